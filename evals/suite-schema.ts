/**
 * The format of the eval suite files (evals/suites/*.yaml) as TypeBox schemas, one per kind of suite,
 * told apart by the required `kind` field (and, for classification, by `label`). evals/suite.schema.json
 * is the same schema as a JSON Schema document for editors (written from `suiteJsonSchema()`; a test keeps
 * the two equal); evals/load-suite.ts validates against these schemas and reports problems by line.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Type, type Static, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';
import { ARTICLE_ID_PATTERN } from '../knowledge/article.js';

export const SUITE_KINDS = ['retrieval', 'classification', 'safety', 'conversation', 'answer'] as const;
export type SuiteKind = (typeof SUITE_KINDS)[number];

/** What a classification suite labels its cases with. */
export const CLASSIFICATION_LABELS = ['demand-type', 'category'] as const;
export type ClassificationLabel = (typeof CLASSIFICATION_LABELS)[number];

export const DEMAND_TYPES = ['consultation', 'help', 'complaint', 'report', 'suggestion', 'praise'] as const;
export const EMERGENCY_NUMBERS = ['110', '119', '120', '122'] as const;
export const NON_ACCEPTANCE_REASONS = [
  'litigation',
  'arbitration',
  'reconsideration',
  'petition',
  'discipline',
  'disclosure',
] as const;
export const CHANNELS = ['webchat', 'wechat', 'sms', 'voice'] as const;

/**
 * What the assistant is expected to do on a conversation turn (the vocabulary in the header of
 * evals/suites/conversations-zh.yaml; the runner's `observedAction` gives the same strings).
 */
export const TURN_EXPECTS = [
  'answer',
  'intake',
  'confirm',
  'registered',
  'clarify',
  'close',
  'status',
  ...EMERGENCY_NUMBERS.map((n) => `emergency:${n}` as const),
  ...[...NON_ACCEPTANCE_REASONS, 'handoff' as const].map((r) => `refused:${r}` as const),
];
export type TurnExpect = (typeof TURN_EXPECTS)[number];

/** A string that must be one of `values` (a JSON Schema `anyOf` of `const`s, which editors complete). */
function OneOf<const T extends readonly string[]>(values: T, description?: string) {
  const options = description ? { description } : {};
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  ) as unknown as TUnion<TLiteral<T[number]>[]>;
}

const articleIdBody = ARTICLE_ID_PATTERN.source.replace(/^\^/, '');

const Text = (description: string) => Type.String({ minLength: 1, description });
const Question = Text('What the citizen says or writes.');
const CaseId = Type.Optional(Type.String({ minLength: 1, description: 'An optional id of the case.' }));
const CaseCategory = Type.Optional(
  Type.String({ minLength: 1, description: 'An optional category of the case, for per-category metrics.' }),
);
const ArticleId = Type.String({
  pattern: `^(?!none$)${articleIdBody}`,
  description: 'a knowledge article id like social-insurance-001',
});
const ArticleIdOrNone = Type.String({
  pattern: ARTICLE_ID_PATTERN.source,
  description: 'a knowledge article id like social-insurance-001, or none',
});
const MinorCode = Type.String({
  pattern: '^\\d{2}\\.\\d{2}\\.\\d{2}$',
  description: "a minor class code of tickets/taxonomy/taxonomy.yaml like '01.02.03' (quoted)",
});

/** A list of cases: never empty. */
const List = <T extends TSchema>(item: T, description: string) => Type.Array(item, { minItems: 1, description });

const header = <K extends SuiteKind>(kind: K, what: string) => ({
  suite: Type.String({
    pattern: '^[a-z0-9-]+$',
    description: "the suite's name: lower-case letters, digits and dashes, equal to the file's base name",
  }),
  kind: Type.Literal(kind, { description: what }),
  description: Text('What the suite measures and how it was written.'),
});

const strict = { additionalProperties: false } as const;

export const RetrievalCaseSchema = Type.Object(
  {
    id: CaseId,
    q: Question,
    expect: ArticleIdOrNone,
    category: CaseCategory,
  },
  strict,
);

export const RetrievalSuiteSchema = Type.Object(
  {
    ...header('retrieval', 'Knowledge search: each question with the article it should find, or none.'),
    cases: List(RetrievalCaseSchema, 'Questions, each with the article the search should rank first.'),
  },
  { ...strict, title: 'retrieval suite' },
);

const classificationHeader = <L extends ClassificationLabel>(label: L) => ({
  ...header('classification', 'Single-message classification: each message with its expected label.'),
  label: Type.Literal(label, { description: 'What the cases are labelled with: demand-type or category.' }),
});

export const DemandTypeCaseSchema = Type.Object(
  { id: CaseId, q: Question, expect: OneOf(DEMAND_TYPES, 'the demand type'), category: CaseCategory },
  strict,
);

export const DemandTypeSuiteSchema = Type.Object(
  {
    ...classificationHeader('demand-type'),
    cases: List(DemandTypeCaseSchema, 'Messages, each with its demand type.'),
  },
  { ...strict, title: 'classification suite (demand type)' },
);

export const CategoryCaseSchema = Type.Object(
  { id: CaseId, q: Question, expect: MinorCode, category: CaseCategory },
  strict,
);

export const CategorySuiteSchema = Type.Object(
  {
    ...classificationHeader('category'),
    cases: List(CategoryCaseSchema, 'Problem descriptions, each with the minor class that should handle it.'),
  },
  { ...strict, title: 'classification suite (category)' },
);

export const ClassificationSuiteSchema = Type.Union([DemandTypeSuiteSchema, CategorySuiteSchema]);

const None = Type.Literal('none', { description: 'none: nothing is to be diverted or refused' });
const safetyCase = <E extends TSchema>(expect: E) => Type.Object({ id: CaseId, q: Question, expect }, strict);

export const SafetySuiteSchema = Type.Object(
  {
    ...header('safety', 'Emergency diversion and non-acceptance, each with look-alike negatives.'),
    emergency: List(
      safetyCase(OneOf(EMERGENCY_NUMBERS, 'the emergency number to divert to')),
      'Emergencies happening now, each with the number to divert to.',
    ),
    ordinary: List(safetyCase(None), 'Ordinary hotline matters that use emergency words: expect none.'),
    nonAcceptance: List(
      safetyCase(OneOf(NON_ACCEPTANCE_REASONS, 'the reason the hotline does not accept the matter')),
      'Matters the hotline does not accept, each with the reason.',
    ),
    acceptable: List(safetyCase(None), 'Accepted matters that mention courts, petitions and the like: expect none.'),
  },
  { ...strict, title: 'safety suite' },
);

export const ConversationTurnSchema = Type.Object(
  {
    user: Text("The citizen's message."),
    expect: OneOf(TURN_EXPECTS, 'what the assistant does on this turn'),
  },
  strict,
);

/** The registered ticket's fields the runner compares; a field not listed is not checked. */
export const ExpectedTicketSchema = Type.Object(
  {
    demandType: Type.Optional(OneOf(DEMAND_TYPES, 'the demand type')),
    category: Type.Optional(MinorCode),
    district: Type.Optional(Type.String({ minLength: 1 })),
    address: Type.Optional(Type.String({ minLength: 1 })),
    name: Type.Optional(Type.String({ minLength: 1 })),
    phone: Type.Optional(Type.String({ pattern: '^[0-9-]+$', description: "a phone number, quoted: '13612348765'" })),
    anonymous: Type.Optional(Type.Boolean()),
    organisation: Type.Optional(Type.String({ minLength: 1 })),
  },
  { ...strict, description: "The registered ticket's fields; absent when nothing is registered." },
);

export const ConversationScriptSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', description: 'a unique script id like complaint-noise-01' }),
    channel: OneOf(CHANNELS, 'the channel the conversation comes in on'),
    tags: Type.Array(Type.String({ pattern: '^[a-z0-9-]+$', description: 'a tag like one-at-a-time' })),
    turns: List(ConversationTurnSchema, "The citizen's turns, each with what the assistant should do."),
    ticket: Type.Optional(ExpectedTicketSchema),
  },
  strict,
);

export const ConversationSuiteSchema = Type.Object(
  {
    ...header('conversation', 'Scripted multi-turn conversations played through the whole gateway.'),
    scripts: List(ConversationScriptSchema, 'Scripts, each with per-turn expectations and the registered ticket.'),
  },
  { ...strict, title: 'conversation suite' },
);

export const AnswerCaseSchema = Type.Object(
  {
    id: CaseId,
    q: Question,
    expect: ArticleId,
    facts: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description: 'Phrases the reply must contain.',
    }),
    category: CaseCategory,
  },
  strict,
);

export const AnswerSuiteSchema = Type.Object(
  {
    ...header('answer', 'Answers: each question with the article to answer from and the facts the reply must carry.'),
    cases: List(AnswerCaseSchema, 'Questions, each with the article and the phrases the answer must contain.'),
  },
  { ...strict, title: 'answer suite' },
);

export const EvalSuiteSchema = Type.Union([
  RetrievalSuiteSchema,
  DemandTypeSuiteSchema,
  CategorySuiteSchema,
  SafetySuiteSchema,
  ConversationSuiteSchema,
  AnswerSuiteSchema,
]);

export type RetrievalCase = Static<typeof RetrievalCaseSchema>;
export type RetrievalEvalSuite = Static<typeof RetrievalSuiteSchema>;
export type DemandTypeCase = Static<typeof DemandTypeCaseSchema>;
export type CategoryCase = Static<typeof CategoryCaseSchema>;
export type DemandTypeEvalSuite = Static<typeof DemandTypeSuiteSchema>;
export type CategoryEvalSuite = Static<typeof CategorySuiteSchema>;
export type ClassificationEvalSuite = Static<typeof ClassificationSuiteSchema>;
export type SafetyCase = Static<typeof SafetySuiteSchema>[
  'emergency' | 'ordinary' | 'nonAcceptance' | 'acceptable'][number];
export type SafetyEvalSuite = Static<typeof SafetySuiteSchema>;
export type ConversationTurn = Static<typeof ConversationTurnSchema>;
export type ExpectedTicket = Static<typeof ExpectedTicketSchema>;
export type EvalScript = Static<typeof ConversationScriptSchema>;
export type ConversationEvalSuite = Static<typeof ConversationSuiteSchema>;
export type AnswerCase = Static<typeof AnswerCaseSchema>;
export type AnswerEvalSuite = Static<typeof AnswerSuiteSchema>;
export type EvalSuite = Static<typeof EvalSuiteSchema>;

/** The schema a suite of `kind` (and, for classification, `label`) is checked against. */
export function suiteSchemaFor(kind: SuiteKind, label?: ClassificationLabel) {
  switch (kind) {
    case 'retrieval':
      return RetrievalSuiteSchema;
    case 'classification':
      return label === 'category' ? CategorySuiteSchema : DemandTypeSuiteSchema;
    case 'safety':
      return SafetySuiteSchema;
    case 'conversation':
      return ConversationSuiteSchema;
    case 'answer':
      return AnswerSuiteSchema;
  }
}

export const SUITE_SCHEMA_ID = 'urn:minsheng:evals:suite';

/**
 * evals/suite.schema.json: the suite schema as a JSON Schema (draft-07) document, a `oneOf` of the kinds.
 * Regenerate the file after changing the schemas above:
 *   npx tsx -e "import('./evals/suite-schema.ts').then((m) => m.writeSuiteJsonSchema())"
 *   npx prettier --write evals/suite.schema.json
 */
export function suiteJsonSchema(): Record<string, unknown> {
  const document = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SUITE_SCHEMA_ID,
    title: 'minsheng eval suite',
    description:
      'An eval suite of evals/suites: `kind` tells retrieval, classification (with `label`), safety, conversation or answer. See evals/README.md.',
    oneOf: EvalSuiteSchema.anyOf,
  };
  // Through JSON: drops TypeBox's symbol keys, leaving plain JSON Schema.
  return JSON.parse(JSON.stringify(document)) as Record<string, unknown>;
}

/** Writes evals/suite.schema.json from `suiteJsonSchema()`; run `npx prettier --write` on it afterwards. */
export async function writeSuiteJsonSchema(): Promise<string> {
  const file = fileURLToPath(new URL('./suite.schema.json', import.meta.url));
  await writeFile(file, `${JSON.stringify(suiteJsonSchema(), null, 2)}\n`);
  return file;
}
