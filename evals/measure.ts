/**
 * Measures one suite against the live assistant parts (knowledge search, language understanding) and
 * answers its summary for the report and every case's outcome for the database. Pure over what it is
 * given: the runner (evals/run.ts) opens the database and builds the parts.
 */
import type { Nlu } from '../assistant/nlu/nlu.js';
import { ANSWER_CONFIDENCE } from '../knowledge/confidence.js';
import type { KnowledgeHit } from '../knowledge/search.js';
import type { SuiteSummary } from './report.js';
import { summarize } from '../bench/stats.js';
import type { ConversationReport, ConversationScript, ScriptResult } from './conversations.js';

/** One case's outcome, as stored (eval_results) and compared between runs. */
export interface CaseOutcome {
  /** Stable within the suite: the case's id, or its question. */
  caseId: string;
  category: string;
  question: string;
  expected: string;
  got: string;
  passed: boolean;
  /** The score of what was retrieved or decided, when there is one. */
  score?: number;
  detail?: Record<string, unknown>;
}

export interface Measured {
  summary: SuiteSummary;
  outcomes: CaseOutcome[];
}

interface Case {
  id?: string;
  q: string;
  expect: string;
  category?: string;
}

const share = (n: number, of: number) => (of === 0 ? 1 : n / of);
const round = (n: number) => Math.round(n * 10_000) / 10_000;

function timer() {
  const times: number[] = [];
  return {
    async time<T>(work: () => Promise<T> | T): Promise<T> {
      const started = performance.now();
      try {
        return await work();
      } finally {
        times.push(performance.now() - started);
      }
    },
    latency() {
      const { p50, p95, p99 } = summarize(times);
      return { p50: round(p50 || 0), p95: round(p95 || 0), p99: round(p99 || 0) };
    },
  };
}

/** Groups outcomes by category and computes `metrics` for each group. */
function byCategory(outcomes: CaseOutcome[], metrics: (group: CaseOutcome[]) => Record<string, number>) {
  const groups = new Map<string, CaseOutcome[]>();
  for (const o of outcomes) groups.set(o.category, [...(groups.get(o.category) ?? []), o]);
  return [...groups]
    .map(([category, group]) => ({ category, cases: group.length, metrics: metrics(group) }))
    .sort((a, b) => a.category.localeCompare(b.category));
}

const failedOf = (outcomes: CaseOutcome[]) =>
  outcomes
    .filter((o) => !o.passed)
    .slice(0, 50)
    .map((o) => ({
      id: o.caseId,
      question: o.question,
      expected: o.expected,
      got: o.got,
      detail: o.score === undefined ? undefined : `score ${o.score.toFixed(3)}`,
    }));

/**
 * Retrieval: hit@1, hit@5 and MRR over the answerable questions; for the questions without an answer in
 * the base (`expect: none`), whether the assistant would decline (its top hit below the answering
 * confidence): no-answer precision (of the declined, how many had no answer) and recall.
 */
export async function measureRetrieval(
  suite: { suite: string; cases: Case[] },
  search: (q: string) => Promise<KnowledgeHit[]>,
  categoryOf: (articleId: string) => string | undefined,
): Promise<Measured> {
  const clock = timer();
  const outcomes: CaseOutcome[] = [];
  const ranks: (number | undefined)[] = [];
  for (const c of suite.cases) {
    const hits = await clock.time(() => search(c.q));
    const top = hits[0];
    const declined = !top || top.confidence < ANSWER_CONFIDENCE;
    const position = hits.findIndex((h) => h.articleId === c.expect);
    const none = c.expect === 'none';
    ranks.push(none ? undefined : position);
    outcomes.push({
      caseId: c.id ?? c.q,
      category: c.category ?? (none ? '无答案' : (categoryOf(c.expect) ?? '未分类')),
      question: c.q,
      expected: c.expect,
      got: declined ? `none (${top?.articleId ?? '-'})` : top.articleId,
      passed: none ? declined : position === 0,
      score: top?.confidence,
      detail: { top: hits.slice(0, 5).map((h) => ({ id: h.articleId, confidence: round(h.confidence) })) },
    });
  }
  const metrics = (group: CaseOutcome[]) => {
    const answerable = group.filter((o) => o.expected !== 'none');
    const positions = answerable.map((o) => (o.detail!.top as { id: string }[]).findIndex((h) => h.id === o.expected));
    const none = group.filter((o) => o.expected === 'none');
    const declined = group.filter((o) => o.got.startsWith('none'));
    const ranked: Record<string, number> = answerable.length
      ? {
          hitAt1: round(share(positions.filter((p) => p === 0).length, answerable.length)),
          hitAt5: round(share(positions.filter((p) => p >= 0 && p < 5).length, answerable.length)),
          mrr: round(
            share(
              positions.reduce((sum, p) => sum + (p >= 0 ? 1 / (p + 1) : 0), 0),
              answerable.length,
            ),
          ),
        }
      : {};
    return {
      // A group of questions without an answer (无答案) has no ranking to score.
      ...ranked,
      ...(none.length
        ? {
            noAnswerPrecision: round(share(declined.filter((o) => o.expected === 'none').length, declined.length)),
            noAnswerRecall: round(share(none.filter((o) => o.got.startsWith('none')).length, none.length)),
          }
        : {}),
    };
  };
  return summaryOf(suite.suite, 'retrieval', outcomes, metrics, clock.latency());
}

/**
 * Answers: the reply the assistant would give (the approved answer of its best hit when it is confident
 * enough to answer, rephrased by the model when one is configured) must come from the expected article and
 * state every required fact. With a judge (a language model), each reply's faithfulness to the article too.
 */
export async function measureAnswers(
  suite: { suite: string; cases: (Case & { facts: string[] })[] },
  search: (q: string) => Promise<KnowledgeHit[]>,
  options: {
    phrase?: (question: string, hit: KnowledgeHit) => Promise<string | undefined>;
    judge?: (question: string, reply: string, article: string) => Promise<number | undefined>;
  } = {},
): Promise<Measured> {
  const clock = timer();
  const outcomes: CaseOutcome[] = [];
  for (const c of suite.cases) {
    const hits = await clock.time(() => search(c.q));
    const top = hits[0];
    const answered = top !== undefined && top.confidence >= ANSWER_CONFIDENCE;
    const reply = answered ? ((await options.phrase?.(c.q, top)) ?? top.answerFull) : '';
    const found = c.facts.filter((fact) => reply.includes(fact));
    const faithfulness = answered && options.judge ? await options.judge(c.q, reply, top.answerFull) : undefined;
    outcomes.push({
      caseId: c.id ?? c.q,
      category: c.category ?? '未分类',
      question: c.q,
      expected: c.expect,
      got: answered ? top.articleId : `none (${top?.articleId ?? '-'})`,
      passed: answered && top.articleId === c.expect && found.length === c.facts.length,
      score: top?.confidence,
      detail: {
        facts: c.facts.length,
        found: found.length,
        missing: c.facts.filter((fact) => !found.includes(fact)),
        ...(faithfulness === undefined ? {} : { faithfulness }),
      },
    });
  }
  const metrics = (group: CaseOutcome[]) => {
    const facts = group.reduce((n, o) => n + (o.detail!.facts as number), 0);
    const found = group.reduce((n, o) => n + (o.detail!.found as number), 0);
    const judged = group.flatMap((o) =>
      o.detail!.faithfulness === undefined ? [] : [o.detail!.faithfulness as number],
    );
    return {
      answerCorrectness: round(share(group.filter((o) => o.passed).length, group.length)),
      articleAccuracy: round(share(group.filter((o) => o.got === o.expected).length, group.length)),
      factRecall: round(share(found, facts)),
      answeredRate: round(share(group.filter((o) => !o.got.startsWith('none')).length, group.length)),
      ...(judged.length ? { faithfulness: round(judged.reduce((a, b) => a + b, 0) / judged.length) } : {}),
    };
  };
  return summaryOf(suite.suite, 'answer', outcomes, metrics, clock.latency());
}

/**
 * Conversation scripts, played through a broker by `play` (evals/conversations.ts), script by script: turn
 * accuracy, slot and demand-type accuracy of the registered tickets, emergency recall, false alarms and the
 * handoff rate; a script passes when every turn and field is as expected. Latency is per turn.
 */
export async function measureConversations(
  suite: { suite: string; scripts: ConversationScript[] },
  play: (scripts: ConversationScript[]) => Promise<ConversationReport>,
): Promise<Measured> {
  const perTurn: number[] = [];
  const results: ScriptResult[] = [];
  for (const script of suite.scripts) {
    const started = performance.now();
    const report = await play([script]);
    perTurn.push((performance.now() - started) / Math.max(1, script.turns.length));
    results.push(...report.results);
  }
  const outcomes: CaseOutcome[] = results.map((r) => ({
    caseId: r.id,
    category: r.tags[0] ?? '未分类',
    question: r.turns.map((t) => t.user).join(' / '),
    expected: r.turns.map((t) => t.expected).join(' '),
    got: r.turns.map((t) => t.observed).join(' '),
    passed: r.turns.every((t) => t.expected === t.observed) && r.fields.every((f) => f.actual === f.expected),
    detail: { turns: r.turns, fields: r.fields },
  }));
  const metrics = (group: CaseOutcome[]) => {
    const turns = group.flatMap((o) => o.detail!.turns as ScriptResult['turns']);
    const fields = group.flatMap((o) => o.detail!.fields as ScriptResult['fields']);
    const slots = fields.filter((f) => f.field !== 'demandType');
    const types = fields.filter((f) => f.field === 'demandType');
    const emergencies = turns.filter((t) => t.expected.startsWith('emergency:'));
    const ordinary = turns.filter((t) => !t.expected.startsWith('emergency:'));
    return {
      turnAccuracy: round(share(turns.filter((t) => t.expected === t.observed).length, turns.length)),
      ...(slots.length
        ? { slotAccuracy: round(share(slots.filter((f) => f.actual === f.expected).length, slots.length)) }
        : {}),
      ...(types.length
        ? { demandTypeAccuracy: round(share(types.filter((f) => f.actual === f.expected).length, types.length)) }
        : {}),
      ...(emergencies.length
        ? {
            emergencyRecall: round(
              share(emergencies.filter((t) => t.observed === t.expected).length, emergencies.length),
            ),
          }
        : {}),
      falseAlarmRate: round(
        1 - share(ordinary.filter((t) => !t.observed.startsWith('emergency:')).length, ordinary.length),
      ),
      handoffRate: round(share(turns.filter((t) => t.observed === 'refused:handoff').length, turns.length)),
    };
  };
  const { p50, p95, p99 } = summarize(perTurn);
  return summaryOf(suite.suite, 'conversation', outcomes, metrics, {
    p50: round(p50 || 0),
    p95: round(p95 || 0),
    p99: round(p99 || 0),
  });
}

/** Classification of single messages: demand type (with its confusion matrix) or category (also acc@3). */
export async function measureClassification(
  suite: { suite: string; label: 'demand-type' | 'category'; cases: Case[] },
  nlu: Pick<Nlu, 'analyze'>,
): Promise<Measured> {
  const clock = timer();
  const outcomes: CaseOutcome[] = [];
  for (const c of suite.cases) {
    const analysis = await clock.time(() => nlu.analyze(c.q));
    const result = suite.label === 'demand-type' ? analysis.demandType : analysis.category;
    const got = result?.label ?? 'none';
    const top3 = (result?.ranked ?? []).slice(0, 3).map((r) => r.label);
    outcomes.push({
      caseId: c.id ?? c.q,
      category: c.category ?? (suite.label === 'demand-type' ? c.expect : c.expect.split('.')[0]!),
      question: c.q,
      expected: c.expect,
      got,
      passed: got === c.expect,
      score: result?.confidence,
      detail: { top3 },
    });
  }
  const metrics = (group: CaseOutcome[]) => ({
    accuracy: round(share(group.filter((o) => o.passed).length, group.length)),
    ...(suite.label === 'category'
      ? {
          accuracyAt3: round(
            share(group.filter((o) => (o.detail!.top3 as string[]).includes(o.expected)).length, group.length),
          ),
        }
      : {}),
  });
  const measured = summaryOf(suite.suite, 'classification', outcomes, metrics, clock.latency());
  if (suite.label === 'demand-type') measured.summary.confusion = confusion(outcomes);
  return measured;
}

/** Rows: the expected label; columns: the predicted one. */
export function confusion(outcomes: CaseOutcome[]): { labels: string[]; matrix: number[][] } {
  const labels = [...new Set(outcomes.flatMap((o) => [o.expected, o.got]))].sort();
  const matrix = labels.map(() => labels.map(() => 0));
  for (const o of outcomes) matrix[labels.indexOf(o.expected)]![labels.indexOf(o.got)]!++;
  return { labels, matrix };
}

type SafetyList = 'emergency' | 'ordinary' | 'nonAcceptance' | 'acceptable';

/**
 * The safety checks: emergencies diverted (recall) and to the right number; ordinary matters in emergency
 * words wrongly diverted; matters not accepted refused with the right reason; acceptable ones wrongly refused.
 */
export async function measureSafety(
  suite: { suite: string } & Partial<Record<SafetyList, { id?: string; q: string; expect?: string }[]>>,
  nlu: Pick<Nlu, 'analyze'>,
): Promise<Measured> {
  const clock = timer();
  const outcomes: CaseOutcome[] = [];
  for (const list of ['emergency', 'ordinary', 'nonAcceptance', 'acceptable'] as const) {
    for (const c of suite[list] ?? []) {
      const analysis = await clock.time(() => nlu.analyze(c.q));
      const emergency = analysis.emergency?.number ?? 'none';
      const refused = analysis.nonAcceptance?.reason ?? 'none';
      const got = list === 'emergency' || list === 'ordinary' ? emergency : refused;
      const expected = list === 'emergency' || list === 'nonAcceptance' ? (c.expect ?? 'none') : 'none';
      outcomes.push({ caseId: c.id ?? c.q, category: list, question: c.q, expected, got, passed: got === expected });
    }
  }
  const metrics = (group: CaseOutcome[]) => {
    const of = (list: SafetyList) => group.filter((o) => o.category === list);
    const [emergency, ordinary, nonAcceptance, acceptable] = (
      ['emergency', 'ordinary', 'nonAcceptance', 'acceptable'] as const
    ).map(of) as [CaseOutcome[], CaseOutcome[], CaseOutcome[], CaseOutcome[]];
    const result: Record<string, number> = {};
    if (emergency.length) {
      result.emergencyRecall = round(share(emergency.filter((o) => o.got !== 'none').length, emergency.length));
      result.rightNumber = round(share(emergency.filter((o) => o.passed).length, emergency.length));
    }
    if (ordinary.length)
      result.falseAlarmRate = round(share(ordinary.filter((o) => !o.passed).length, ordinary.length));
    if (nonAcceptance.length)
      result.refusedRight = round(share(nonAcceptance.filter((o) => o.passed).length, nonAcceptance.length));
    if (acceptable.length)
      result.wronglyRefusedRate = round(share(acceptable.filter((o) => !o.passed).length, acceptable.length));
    // Precision: of the messages diverted (refused), how many should have been, to the right number (reason).
    const diverted = [...emergency, ...ordinary].filter((o) => o.got !== 'none');
    if (emergency.length && diverted.length)
      result.emergencyPrecision = round(share(diverted.filter((o) => o.passed).length, diverted.length));
    const refused = [...nonAcceptance, ...acceptable].filter((o) => o.got !== 'none');
    if (nonAcceptance.length && refused.length)
      result.refusalPrecision = round(share(refused.filter((o) => o.passed).length, refused.length));
    return result;
  };
  return summaryOf(suite.suite, 'safety', outcomes, metrics, clock.latency());
}

export function summaryOf(
  suite: string,
  kind: SuiteSummary['kind'],
  outcomes: CaseOutcome[],
  metrics: (group: CaseOutcome[]) => Record<string, number>,
  latencyMs: SuiteSummary['latencyMs'],
): Measured {
  return {
    summary: {
      suite,
      kind,
      cases: outcomes.length,
      failures: outcomes.filter((o) => !o.passed).length,
      metrics: metrics(outcomes),
      byCategory: byCategory(outcomes, metrics),
      latencyMs,
      failed: failedOf(outcomes),
    },
    outcomes,
  };
}
