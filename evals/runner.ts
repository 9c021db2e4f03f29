/**
 * One eval run: the chosen suites measured against the live assistant parts, the thresholds checked, the
 * summary the report is drawn from and every case's outcome. The CLI (evals/cli.ts) opens the database and
 * builds the parts; tests pass their own.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import type { Nlu } from '../assistant/nlu/nlu.js';
import type { KnowledgeHit } from '../knowledge/search.js';
import {
  measureAnswers,
  measureClassification,
  measureConversations,
  measureRetrieval,
  measureSafety,
  type CaseOutcome,
  type Measured,
} from './measure.js';
import type { LlmAssistant } from '../assistant/llm.js';
import type { ConversationReport, ConversationScript } from './conversations.js';
import type { RunSummary, SuiteSummary, ThresholdResult } from './report.js';
import type { EvalSuite } from './suite-schema.js';

export interface EvalParts {
  nlu: Pick<Nlu, 'analyze'>;
  search(question: string): Promise<KnowledgeHit[]>;
  /** The knowledge category of an article (per-category metrics of retrieval). */
  categoryOf(articleId: string): string | undefined;
  knowledgeVersion: string;
  embedder: string;
  /**
   * Plays conversation scripts through a broker whose tickets are thrown away (a scratch gateway: the
   * scripts register tickets). Without it, conversation suites are skipped.
   */
  conversations?: (scripts: ConversationScript[]) => Promise<ConversationReport>;
  /** The language model, when one is configured: rephrases answers as the assistant would, and judges them. */
  llm?: Pick<LlmAssistant, 'phrase' | 'judgeFaithfulness'>;
}

export interface Threshold {
  suite: string;
  metric: string;
  min?: number;
  max?: number;
}

/** Suites this run could not measure, with why (they are listed, not silently dropped). */
export interface SkippedSuite {
  suite: string;
  reason: string;
}

export interface EvalRun {
  run: RunSummary;
  outcomes: { suite: string; outcome: CaseOutcome }[];
  skipped: SkippedSuite[];
}

export const DEFAULT_THRESHOLDS = new URL('./thresholds.yaml', import.meta.url);

export async function loadThresholds(file: URL | string = DEFAULT_THRESHOLDS): Promise<Threshold[]> {
  const list = parse(await readFile(file, 'utf8')) as unknown;
  if (!Array.isArray(list)) throw new Error(`${String(file)}: expected a list of { suite, metric, min | max }`);
  return list.map((t: Threshold, i) => {
    if (typeof t?.suite !== 'string' || typeof t.metric !== 'string' || (t.min === undefined && t.max === undefined))
      throw new Error(`${String(file)}: entry ${i + 1} needs suite, metric and min or max`);
    return t;
  });
}

/** The number of cases a suite has, for the progress bar. */
export function caseCount(suite: EvalSuite): number {
  switch (suite.kind) {
    case 'safety':
      return (['emergency', 'ordinary', 'nonAcceptance', 'acceptable'] as const).reduce(
        (n, list) => n + (suite[list]?.length ?? 0),
        0,
      );
    case 'conversation':
      return suite.scripts.length;
    default:
      return suite.cases.length;
  }
}

/** Measures the suites one after the other; `tick` is called once per case (the progress bar). */
export async function runEvals(
  suites: EvalSuite[],
  parts: EvalParts,
  options: { thresholds?: Threshold[]; tick?: () => void } = {},
): Promise<EvalRun> {
  const startedAt = new Date().toISOString();
  const tick = options.tick ?? (() => {});
  const nlu = { analyze: (text: string) => (tick(), parts.nlu.analyze(text)) };
  const search = (question: string) => (tick(), parts.search(question));
  const play = (scripts: ConversationScript[]) => (tick(), parts.conversations!(scripts));
  const measured: Measured[] = [];
  const skipped: SkippedSuite[] = [];
  for (const suite of suites) {
    switch (suite.kind) {
      case 'retrieval':
        measured.push(await measureRetrieval(suite, search, parts.categoryOf));
        break;
      case 'classification':
        measured.push(await measureClassification(suite, nlu));
        break;
      case 'safety':
        measured.push(await measureSafety(suite, nlu));
        break;
      case 'conversation':
        if (parts.conversations)
          measured.push(await measureConversations(suite as { suite: string; scripts: ConversationScript[] }, play));
        else skipped.push({ suite: suite.suite, reason: 'no scratch gateway to play conversation scripts on' });
        break;
      case 'answer': {
        const llm = parts.llm;
        measured.push(
          await measureAnswers(suite, search, {
            phrase: llm && ((question, hit) => llm.phrase(question, hit, false)),
            judge: llm && ((question, reply, article) => llm.judgeFaithfulness(question, reply, article)),
          }),
        );
        break;
      }
      default: {
        const unknown = suite as { suite: string; kind: string };
        skipped.push({ suite: unknown.suite, reason: `${unknown.kind} suites are not measured` });
      }
    }
  }
  const summaries = measured.map((m) => m.summary);
  const thresholds = checkThresholds(summaries, options.thresholds ?? []);
  return {
    run: {
      id: runId(startedAt),
      startedAt,
      finishedAt: new Date().toISOString(),
      knowledgeVersion: parts.knowledgeVersion,
      embedder: parts.embedder,
      suites: summaries,
      thresholds,
      passed: thresholds.every((t) => t.passed),
    },
    outcomes: measured.flatMap((m) => m.outcomes.map((outcome) => ({ suite: m.summary.suite, outcome }))),
    skipped,
  };
}

/** Each threshold of a suite that ran, against its metric (a metric the suite lacks fails: a typo shows). */
export function checkThresholds(summaries: SuiteSummary[], thresholds: Threshold[]): ThresholdResult[] {
  return thresholds.flatMap((t) => {
    const suite = summaries.find((s) => s.suite === t.suite);
    if (!suite) return [];
    const actual = suite.metrics[t.metric];
    const passed =
      actual !== undefined && (t.min === undefined || actual >= t.min) && (t.max === undefined || actual <= t.max);
    return [{ suite: t.suite, metric: t.metric, min: t.min, max: t.max, actual: actual ?? Number.NaN, passed }];
  });
}

/** Sortable and unique: the start time, then a few random characters. */
const runId = (startedAt: string) =>
  `${startedAt.replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomUUID().slice(0, 6)}`;
