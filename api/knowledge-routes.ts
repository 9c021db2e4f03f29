import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import type { StaffAccounts } from '../core/accounts.js';
import { listAudit, type Actor } from '../core/audit.js';
import type { Database } from '../core/db/schema.js';
import { AppError } from '../core/errors.js';
import { ARTICLE_ID_PATTERN } from '../knowledge/article.js';
import { KNOWLEDGE_ROLES, type KnowledgeEditorial } from '../knowledge/editorial.js';
import type { KnowledgeSearch } from '../knowledge/search.js';
import { saveSynonyms } from '../knowledge/synonyms.js';
import { requireStaff } from './staff-auth.js';

export interface KnowledgeRoutesOptions {
  db: Kysely<Database>;
  accounts: StaffAccounts;
  editorial: KnowledgeEditorial;
  search: KnowledgeSearch;
}

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });
const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength });

const ArticleContent = Type.Object(
  {
    category: Text(64),
    title: Text(200),
    question: Text(500),
    variants: Type.Array(Text(500), { maxItems: 50 }),
    answerShort: Text(300),
    answerFull: Text(20_000),
    department: Text(100),
    tags: Type.Array(Text(50), { maxItems: 30 }),
    region: Text(50),
    effectiveFrom: Day,
    expiresAt: Type.Union([Day, Type.Null()]),
    source: Type.Union([
      Type.Object({
        title: Text(300),
        url: Type.Union([Type.String({ pattern: '^https?://', maxLength: 2000 }), Type.Null()]),
      }),
      Type.Null(),
    ]),
  },
  { additionalProperties: false },
);

const ArticleId = Type.String({ pattern: ARTICLE_ID_PATTERN.source });
const IdParams = Type.Object({ id: ArticleId });
const Note = Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) });

const ListQuery = Type.Object({
  status: Type.Optional(
    Type.Union(['draft', 'in_review', 'published', 'retired', 'pending_review'].map((s) => Type.Literal(s))),
  ),
  category: Type.Optional(Type.String({ maxLength: 64 })),
  region: Type.Optional(Type.String({ maxLength: 50 })),
  q: Type.Optional(Type.String({ maxLength: 200 })),
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 20 })),
});

const SearchBody = Type.Object({
  q: Type.String({ minLength: 1, maxLength: 500 }),
  region: Type.Optional(Type.String({ maxLength: 50 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
});

/** Checks a date string is a real day (2026-02-30 is not) and that expiry follows the effective date. */
function checkDates(content: Static<typeof ArticleContent>): string | undefined {
  for (const [field, value] of [
    ['effectiveFrom', content.effectiveFrom],
    ['expiresAt', content.expiresAt],
  ] as const) {
    if (value !== null && new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value)
      return `${field}: ${value} is not a date`;
  }
  if (content.expiresAt !== null && content.expiresAt <= content.effectiveFrom)
    return 'expiresAt must be after effectiveFrom';
  return undefined;
}

/**
 * The knowledge base API for the editors' console and the agent desk: list, read, edit, the review
 * workflow, history and diffs, the audit trail, synonyms, and "try a question". Every route checks roles;
 * every change is audited (in the editorial service, in the same transaction as the change).
 */
export const knowledgeRoutes: FastifyPluginAsyncTypebox<KnowledgeRoutesOptions> = async (app, options) => {
  const { editorial, search, accounts } = options;
  const read = requireStaff(accounts, KNOWLEDGE_ROLES.read);
  const edit = requireStaff(accounts, KNOWLEDGE_ROLES.edit);
  const review = requireStaff(accounts, KNOWLEDGE_ROLES.review);
  const retire = requireStaff(accounts, KNOWLEDGE_ROLES.retire);
  const tags = ['knowledge'];
  const badDates = (content: Static<typeof ArticleContent>) => {
    const problem = checkDates(content);
    if (problem) throw new AppError('E_VALIDATION', problem);
  };

  app.get('/categories', { schema: { tags, summary: 'Article categories' }, preValidation: read }, async () =>
    editorial.categories(),
  );

  app.get(
    '/articles',
    { schema: { tags, summary: 'List articles (paginated, filtered)', querystring: ListQuery }, preValidation: read },
    async (request) => editorial.list(request.query),
  );

  app.post(
    '/articles',
    {
      schema: {
        tags,
        summary: 'Create an article as a draft',
        body: Type.Object({ id: ArticleId, ...ArticleContent.properties }, { additionalProperties: false }),
      },
      preValidation: edit,
    },
    async (request, reply) => {
      const { id, ...content } = request.body;
      badDates(content);
      if (await editorial.exists(id)) throw new AppError('E_CONFLICT', `article ${id} exists`);
      await editorial.saveDrafts(request.staff!.actor, [{ id, ...content }]);
      return reply.code(201).send(await editorial.get(id));
    },
  );

  app.get(
    '/articles/:id',
    {
      schema: { tags, summary: 'An article: live content and the open revision', params: IdParams },
      preValidation: read,
    },
    async (request) => editorial.get(request.params.id),
  );

  app.put(
    '/articles/:id/draft',
    {
      schema: {
        tags,
        summary: 'Save the open draft (a new revision when there is none)',
        params: IdParams,
        body: Type.Object(
          { baseRevision: Type.Optional(Type.Integer({ minimum: 0 })), ...ArticleContent.properties },
          { additionalProperties: false },
        ),
      },
      preValidation: edit,
    },
    async (request) => {
      const { baseRevision, ...content } = request.body;
      badDates(content);
      return editorial.saveDraft(request.staff!.actor, { id: request.params.id, ...content }, baseRevision);
    },
  );

  const transition = (
    path: string,
    summary: string,
    guard: typeof edit,
    act: (id: string, actor: Actor, note?: string) => Promise<unknown>,
  ) =>
    app.post(
      `/articles/:id/${path}`,
      {
        schema: { tags, summary, params: IdParams, body: Note },
        // The note is optional, and so is the body that carries it.
        preValidation: [guard, async (request) => void (request.body ??= {})],
      },
      async (request) => act(request.params.id, request.staff!.actor, request.body.note),
    );
  transition('submit', 'Submit the draft for review', edit, (id, actor) => editorial.submit(actor, id));
  transition('approve', 'Approve and publish the revision in review', review, (id, actor, note) =>
    editorial.approve(actor, id, note),
  );
  transition('reject', 'Send the revision in review back to draft, with a reason', review, (id, actor, note) =>
    editorial.reject(actor, id, note ?? ''),
  );
  transition('withdraw', 'Discard the open revision', edit, (id, actor) => editorial.withdraw(actor, id));
  transition('retire', 'Take the article out of service', retire, (id, actor, note) =>
    editorial.retire(actor, id, note),
  );

  app.get(
    '/articles/:id/revisions',
    { schema: { tags, summary: 'Every revision, newest first', params: IdParams }, preValidation: read },
    async (request) => editorial.history(request.params.id),
  );

  app.get(
    '/articles/:id/diff',
    {
      schema: {
        tags,
        summary: 'What changed between two revisions, field by field',
        params: IdParams,
        querystring: Type.Object({ from: Type.Integer({ minimum: 1 }), to: Type.Integer({ minimum: 1 }) }),
      },
      preValidation: read,
    },
    async (request) => editorial.diff(request.params.id, request.query.from, request.query.to),
  );

  app.get(
    '/articles/:id/audit',
    {
      schema: {
        tags,
        summary: "The article's audit trail, newest first",
        params: IdParams,
        querystring: Type.Object({
          before: Type.Optional(Type.String({ pattern: '^\\d+$' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
      },
      preValidation: read,
    },
    async (request) =>
      listAudit(options.db, { targetType: 'knowledge_article', targetId: request.params.id, ...request.query }),
  );

  app.post(
    '/search',
    { schema: { tags, summary: 'Try a question: ranked hits with scores', body: SearchBody }, preValidation: read },
    async (request) => {
      const { q, region, limit } = request.body;
      const started = performance.now();
      const hits = await search.search(q, { region, limit: limit ?? 5 });
      return { hits, ms: Math.round((performance.now() - started) * 10) / 10 };
    },
  );

  app.get('/synonyms', { schema: { tags, summary: 'The synonym dictionary' }, preValidation: read }, async () => ({
    groups: search.synonymGroups,
  }));

  app.put(
    '/synonyms',
    {
      schema: {
        tags,
        summary: 'Replace the synonym dictionary',
        body: Type.Object({
          groups: Type.Array(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 50 }), { maxItems: 5000 }),
        }),
      },
      preValidation: edit,
    },
    async (request) => {
      const dictionary = await saveSynonyms(options.db, request.staff!.actor, request.body.groups);
      search.useSynonyms(dictionary);
      return { groups: dictionary.groups };
    },
  );
};
