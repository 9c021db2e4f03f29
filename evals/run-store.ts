import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { audit, type Actor } from '../core/audit.js';
import type { Database } from '../core/db/schema.js';
import { AppError } from '../core/errors.js';
import type { CaseOutcome } from './measure.js';
import type { RunSummary, TrendPoint } from './report.js';

/** A case whose outcome differs between two runs. */
export interface CaseChange {
  suite: string;
  caseId: string;
  question: string;
  expected: string;
  before: string;
  after: string;
}

export interface RunComparison {
  from: string;
  to: string;
  /** Per suite and metric: the value in each run and the difference (after - before). */
  metrics: { suite: string; metric: string; before: number; after: number; delta: number }[];
  /** Passed before, failed now. */
  regressed: CaseChange[];
  /** Failed before, passed now. */
  improved: CaseChange[];
}

/** The knowledge base's version: a hash of the published articles and their revision numbers. */
export async function knowledgeVersion(db: Kysely<Database>): Promise<string> {
  const rows = await db
    .selectFrom('knowledge_articles')
    .select(['id', 'version'])
    .where('status', '=', 'published')
    .orderBy('id')
    .execute();
  const hash = createHash('sha256');
  for (const row of rows) hash.update(`${row.id}@${row.version}\n`);
  return `${rows.length}:${hash.digest('hex').slice(0, 12)}`;
}

/** Eval runs and their cases in the database: stored once, listed, compared. */
export class EvalRunStore {
  constructor(private readonly db: Kysely<Database>) {}

  async save(run: RunSummary, outcomes: { suite: string; outcome: CaseOutcome }[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('eval_runs')
        .values({
          id: run.id,
          started_at: run.startedAt,
          finished_at: run.finishedAt,
          knowledge_version: run.knowledgeVersion,
          embedder: run.embedder,
          suites: JSON.stringify(run.suites.map((s) => s.suite)),
          passed: run.passed,
          summary: JSON.stringify(run),
        })
        .execute();
      // In slices: a run of every suite has a few thousand cases.
      for (let i = 0; i < outcomes.length; i += 500) {
        await trx
          .insertInto('eval_results')
          .values(
            outcomes.slice(i, i + 500).map(({ suite, outcome: o }) => ({
              run_id: run.id,
              suite,
              case_id: o.caseId,
              category: o.category,
              question: o.question,
              expected: o.expected,
              got: o.got,
              passed: o.passed,
              score: o.score ?? null,
              detail: JSON.stringify(o.detail ?? {}),
            })),
          )
          .onConflict((oc) => oc.columns(['run_id', 'suite', 'case_id']).doNothing())
          .execute();
      }
    });
  }

  async get(id: string): Promise<RunSummary | undefined> {
    const row = await this.db.selectFrom('eval_runs').select('summary').where('id', '=', id).executeTakeFirst();
    return row?.summary as unknown as RunSummary | undefined;
  }

  /** Runs newest first. */
  async list(limit = 50, offset = 0) {
    const rows = await this.db
      .selectFrom('eval_runs')
      .select(['id', 'started_at', 'finished_at', 'knowledge_version', 'embedder', 'suites', 'passed'])
      .orderBy('started_at', 'desc')
      .limit(limit)
      .offset(offset)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      startedAt: r.started_at.toISOString(),
      finishedAt: r.finished_at.toISOString(),
      knowledgeVersion: r.knowledge_version,
      embedder: r.embedder,
      suites: r.suites,
      passed: r.passed,
    }));
  }

  /** A run's case outcomes, failed ones only when `failed`, in suite order; paged. */
  async cases(runId: string, filter: { suite?: string; failed?: boolean; limit?: number; offset?: number } = {}) {
    let query = this.db
      .selectFrom('eval_results')
      .select(['suite', 'case_id', 'category', 'question', 'expected', 'got', 'passed', 'score', 'detail', 'verdict'])
      .where('run_id', '=', runId);
    if (filter.suite) query = query.where('suite', '=', filter.suite);
    if (filter.failed) query = query.where('passed', '=', false);
    const rows = await query
      .orderBy('suite')
      .orderBy('case_id')
      .limit(filter.limit ?? 50)
      .offset(filter.offset ?? 0)
      .execute();
    return rows.map((r) => ({
      suite: r.suite,
      caseId: r.case_id,
      category: r.category,
      question: r.question,
      expected: r.expected,
      got: r.got,
      passed: r.passed,
      score: r.score,
      detail: r.detail,
      verdict: r.verdict,
    }));
  }

  /** Records an editor's verdict on a case, audited in the same transaction. */
  async setVerdict(
    actor: Actor,
    runId: string,
    suite: string,
    caseId: string,
    verdict: 'correct' | 'wrong' | 'expected_wrong',
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('eval_results')
        .set({ verdict, verdict_by: actor.name, verdict_at: sql`now()` })
        .where('run_id', '=', runId)
        .where('suite', '=', suite)
        .where('case_id', '=', caseId)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      await audit(trx, actor, {
        action: 'evals.verdict',
        targetType: 'eval_case',
        targetId: `${runId}/${suite}/${caseId}`,
        detail: { verdict },
      });
      return true;
    });
  }

  /** The last `limit` runs' headline metrics, oldest first, for the trend chart. */
  async trend(limit = 20): Promise<TrendPoint[]> {
    const rows = await this.db
      .selectFrom('eval_runs')
      .select(['id', 'started_at', 'summary'])
      .orderBy('started_at', 'desc')
      .limit(limit)
      .execute();
    return rows.reverse().map((r) => {
      const summary = r.summary as unknown as RunSummary;
      const metrics: Record<string, number> = {};
      for (const suite of summary.suites)
        for (const [name, value] of Object.entries(suite.metrics)) metrics[`${suite.suite}/${name}`] = value;
      return { id: r.id, startedAt: r.started_at.toISOString(), metrics };
    });
  }

  /** The latest run before `id` (what a run is compared with by default). */
  async previous(id: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('eval_runs')
      .select('id')
      .where('started_at', '<', (eb) => eb.selectFrom('eval_runs').select('started_at').where('id', '=', id))
      .orderBy('started_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.id;
  }

  /** What got better and what regressed from run `from` to run `to`, metric by metric and case by case. */
  async compare(from: string, to: string): Promise<RunComparison> {
    const [before, after] = await Promise.all([this.get(from), this.get(to)]);
    if (!before || !after) throw new AppError('E_NOT_FOUND', `No eval run ${before ? to : from}.`);
    const metrics: RunComparison['metrics'] = [];
    for (const suite of after.suites) {
      const old = before.suites.find((s) => s.suite === suite.suite);
      if (!old) continue;
      for (const [metric, value] of Object.entries(suite.metrics)) {
        const was = old.metrics[metric];
        if (was === undefined) continue;
        metrics.push({ suite: suite.suite, metric, before: was, after: value, delta: value - was });
      }
    }
    const rows = await this.db
      .selectFrom('eval_results as a')
      .innerJoin('eval_results as b', (join) =>
        join.onRef('a.suite', '=', 'b.suite').onRef('a.case_id', '=', 'b.case_id'),
      )
      .select(['a.suite', 'a.case_id', 'a.question', 'a.expected', 'a.got as before', 'b.got as after', 'a.passed'])
      .where('a.run_id', '=', from)
      .where('b.run_id', '=', to)
      .whereRef('a.passed', '<>', 'b.passed')
      .orderBy('a.suite')
      .orderBy('a.case_id')
      .execute();
    const change = (r: (typeof rows)[number]): CaseChange => ({
      suite: r.suite,
      caseId: r.case_id,
      question: r.question,
      expected: r.expected,
      before: r.before,
      after: r.after,
    });
    return {
      from,
      to,
      metrics,
      regressed: rows.filter((r) => r.passed).map(change),
      improved: rows.filter((r) => !r.passed).map(change),
    };
  }
}
