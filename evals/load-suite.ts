/**
 * Loads an eval suite file (evals/suites/*.yaml): parses the YAML, checks it against the schema of its
 * `kind` (evals/suite-schema.ts) and the rules a schema cannot state (no duplicate question or script id,
 * the suite named after its file), and reports every problem with the line it is on.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Range } from 'yaml';
import {
  CLASSIFICATION_LABELS,
  SUITE_KINDS,
  suiteSchemaFor,
  type ClassificationLabel,
  type EvalSuite,
  type SuiteKind,
} from './suite-schema.js';

export const SUITES_DIR = fileURLToPath(new URL('./suites/', import.meta.url));

export interface SuiteProblem {
  /** JSON pointer into the suite, e.g. `/cases/3/expect`; empty for the file as a whole. */
  path: string;
  /** 1-based line in the file, when known. */
  line?: number;
  /** 1-based column, for YAML syntax errors. */
  column?: number;
  message: string;
}

/** How many problems an error's message lists (all of them are in `problems`). */
const LISTED = 10;

export class EvalSuiteError extends Error {
  readonly file: string;
  readonly problems: SuiteProblem[];

  constructor(file: string, problems: SuiteProblem[]) {
    const lines = problems.slice(0, LISTED).map((p) => `  ${formatProblem(file, p)}`);
    if (problems.length > LISTED) lines.push(`  ... and ${problems.length - LISTED} more`);
    const count = problems.length === 1 ? 'a problem' : `${problems.length} problems`;
    super(`${file}: the eval suite has ${count}:\n${lines.join('\n')}`);
    this.name = 'EvalSuiteError';
    this.file = file;
    this.problems = problems;
  }
}

/** `file:line: /cases/3/expect: message` (`file:line:column: message` for a YAML syntax error). */
export function formatProblem(file: string, problem: SuiteProblem): string {
  let where = file;
  if (problem.line !== undefined) where += `:${problem.line}`;
  if (problem.line !== undefined && problem.column !== undefined) where += `:${problem.column}`;
  return problem.path ? `${where}: ${problem.path}: ${problem.message}` : `${where}: ${problem.message}`;
}

/** The suite files (`*.yaml`) in `dir` (evals/suites by default), as paths, sorted by name. */
export async function listSuites(dir: string = SUITES_DIR): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => path.join(dir, e.name))
    .sort();
}

/** Reads, parses and checks a suite file; its `suite` must be the file's base name. */
export async function loadSuite(file: string): Promise<EvalSuite> {
  const text = await readFile(file, 'utf8');
  return checkSuite(text, file, path.basename(file).replace(/\.ya?ml$/, ''));
}

/** Parses and checks a suite's text; `file` only names it in the problems. */
export function loadSuiteText(text: string, file: string): EvalSuite {
  return checkSuite(text, file);
}

function checkSuite(text: string, file: string, baseName?: string): EvalSuite {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length) {
    throw new EvalSuiteError(
      file,
      doc.errors.map((e) => {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        return { path: '', line, column: col, message: `YAML: ${e.message}` };
      }),
    );
  }
  const lineOf = (pointer: string) => nodeLine(doc, lineCounter, pointer);
  const problem = (pointer: string, message: string): SuiteProblem => ({
    path: pointer,
    line: lineOf(pointer),
    message,
  });

  let value: unknown;
  try {
    value = doc.toJS();
  } catch (error) {
    throw new EvalSuiteError(file, [{ path: '', message: `YAML: ${(error as Error).message}` }]);
  }
  if (!isRecord(value)) {
    throw new EvalSuiteError(file, [
      problem('', `expected a mapping with suite, kind, description and the cases; got ${describe(value)}`),
    ]);
  }

  const problems: SuiteProblem[] = [];
  const schema = schemaOf(value, (pointer, message) => problems.push(problem(pointer, message)));
  if (schema) {
    const seen = new Set<string>();
    for (const error of Value.Errors(schema, value)) {
      // One problem per place: a missing property is also "not a string", a bad item also fails its union.
      if ([...seen].some((p) => error.path === p || error.path.startsWith(`${p}/`))) continue;
      seen.add(error.path);
      problems.push(problem(error.path, explain(error)));
    }
  }
  for (const [pointer, message] of duplicates(value, lineOf)) problems.push(problem(pointer, message));
  if (baseName !== undefined && typeof value.suite === 'string' && value.suite !== baseName)
    problems.push(problem('/suite', `expected the file's base name '${baseName}'; got '${value.suite}'`));

  if (problems.length) {
    // In file order; problems without a line (none in practice) last.
    problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
    throw new EvalSuiteError(file, problems);
  }
  return value as EvalSuite;
}

/** The schema of the suite's kind (and label), or undefined after reporting why there is none. */
function schemaOf(suite: Record<string, unknown>, report: (pointer: string, message: string) => void) {
  const kinds: readonly string[] = SUITE_KINDS;
  if (!('kind' in suite)) {
    report('/kind', `missing required property 'kind': one of ${SUITE_KINDS.join(', ')}`);
    return undefined;
  }
  if (typeof suite.kind !== 'string' || !kinds.includes(suite.kind)) {
    report('/kind', oneOf(SUITE_KINDS, suite.kind));
    return undefined;
  }
  const kind = suite.kind as SuiteKind;
  if (kind !== 'classification') return suiteSchemaFor(kind);
  const labels: readonly string[] = CLASSIFICATION_LABELS;
  if (!('label' in suite)) {
    report(
      '/label',
      `missing required property 'label' (what the cases are labelled with): one of ${CLASSIFICATION_LABELS.join(', ')}`,
    );
    return undefined;
  }
  if (typeof suite.label !== 'string' || !labels.includes(suite.label)) {
    report('/label', oneOf(CLASSIFICATION_LABELS, suite.label));
    return undefined;
  }
  return suiteSchemaFor(kind, suite.label as ClassificationLabel);
}

const CASE_LISTS = ['cases', 'emergency', 'ordinary', 'nonAcceptance', 'acceptable'];

/** Questions asked twice in the suite (in any of its lists) and script ids used twice: pointer, message. */
function duplicates(
  suite: Record<string, unknown>,
  lineOf: (pointer: string) => number | undefined,
): [string, string][] {
  const found: [string, string][] = [];
  const check = (seen: Map<string, string>, key: unknown, pointer: string, what: string) => {
    if (typeof key !== 'string') return;
    const normalized = key.trim();
    const first = seen.get(normalized);
    if (first === undefined) seen.set(normalized, pointer);
    else found.push([pointer, `duplicate ${what} '${clip(key)}', first at line ${lineOf(first) ?? '?'} (${first})`]);
  };
  const questions = new Map<string, string>();
  for (const list of CASE_LISTS) {
    const items = suite[list];
    if (!Array.isArray(items)) continue;
    items.forEach((item, i) => {
      if (isRecord(item)) check(questions, item.q, `/${list}/${i}/q`, 'question');
    });
  }
  const ids = new Map<string, string>();
  if (Array.isArray(suite.scripts))
    suite.scripts.forEach((script, i) => {
      if (isRecord(script)) check(ids, script.id, `/scripts/${i}/id`, 'script id');
    });
  return found;
}

/** A TypeBox error in words, with the value found. */
function explain(error: ValueError): string {
  const schema = error.schema as TSchema & Record<string, unknown>;
  const got = describe(error.value);
  const property = error.path.split('/').pop() ?? '';
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return `missing required property '${property}'`;
    case ValueErrorType.ObjectAdditionalProperties:
      return `unexpected property '${property}'`;
    case ValueErrorType.Union: {
      const values = constants(schema);
      if (values) return oneOf(values, error.value);
      return `expected ${schema.anyOf.map((s: TSchema) => s.type as string).join(' or ')}; got ${got}`;
    }
    case ValueErrorType.Literal:
      return `expected '${String(schema.const)}'; got ${got}`;
    case ValueErrorType.ArrayMinItems:
      return schema.minItems === 1 ? 'must not be empty' : `expected at least ${String(schema.minItems)} items`;
    case ValueErrorType.StringMinLength:
      return 'must not be empty';
    case ValueErrorType.StringPattern:
      return `expected ${typeof schema.description === 'string' ? schema.description : `a string matching ${String(schema.pattern)}`}; got ${got}`;
    case ValueErrorType.String:
      return `expected a string; got ${got}${quoteHint(error.value)}`;
    case ValueErrorType.Boolean:
      return `expected true or false; got ${got}`;
    case ValueErrorType.Array:
      return `expected a list; got ${got}`;
    case ValueErrorType.Object:
      return `expected a mapping; got ${got}`;
    default:
      return `${error.message}; got ${got}`;
  }
}

/** The values of a union of constants (an enum), or undefined for another union. */
function constants(schema: Record<string, unknown>): string[] | undefined {
  const variants = schema.anyOf as Record<string, unknown>[] | undefined;
  if (!variants?.every((v) => typeof v.const === 'string')) return undefined;
  return variants.map((v) => v.const as string);
}

function oneOf(values: readonly string[], value: unknown): string {
  const message = `expected one of ${values.join(', ')}; got ${describe(value)}`;
  if (typeof value !== 'string') return message + quoteHint(value);
  const near = closest(value, values);
  return near ? `${message} (did you mean '${near}'?)` : message;
}

/** YAML reads 119, 13612348765 or 01.10 unquoted as numbers. */
function quoteHint(value: unknown): string {
  return typeof value === 'number' ? ` (quote it: '${String(value)}')` : '';
}

function describe(value: unknown): string {
  if (value === undefined || value === null) return 'nothing';
  if (typeof value === 'string') return `'${clip(value)}'`;
  if (typeof value === 'number') return `the number ${String(value)}`;
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}

const clip = (text: string) => (text.length > 40 ? `${text.slice(0, 39)}…` : text);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value closest to `text` by edit distance, if close enough to be a likely typo. */
function closest(text: string, values: readonly string[]): string | undefined {
  let best: { value: string; distance: number } | undefined;
  for (const value of values) {
    const distance = editDistance(text.toLowerCase(), value);
    if (!best || distance < best.distance) best = { value, distance };
  }
  return best && best.distance > 0 && best.distance <= Math.max(1, Math.floor(best.value.length / 3))
    ? best.value
    : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The line of the node a JSON pointer names: the key's line for a property, the item's for a list item; for
 * a place that does not exist (a missing property), the line of the nearest enclosing node.
 */
function nodeLine(doc: Document, lineCounter: LineCounter, pointer: string): number | undefined {
  let node: unknown = doc.contents;
  let range: Range | null | undefined = rangeOf(node);
  const segments = pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  for (const segment of segments) {
    if (isSeq(node)) {
      node = node.items[Number(segment)];
      if (node === undefined) break;
      range = rangeOf(node) ?? range;
    } else if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment);
      if (!pair) break;
      range = rangeOf(pair.key) ?? rangeOf(pair.value) ?? range;
      node = pair.value;
    } else break;
  }
  return range ? lineCounter.linePos(range[0]).line : undefined;
}

const rangeOf = (node: unknown): Range | undefined =>
  typeof node === 'object' && node !== null && 'range' in node
    ? ((node as { range?: Range }).range ?? undefined)
    : undefined;
