import { REPORT_CSP } from '../core/html.js';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import type { StaffAccounts } from '../core/accounts.js';
import type { Database } from '../core/db/schema.js';
import { AppError } from '../core/errors.js';
import { renderReport } from '../evals/report.js';
import { EvalRunStore } from '../evals/run-store.js';
import { runEvals, type EvalParts } from '../evals/runner.js';
import { addTranscriptCase, listTranscriptCases } from '../evals/transcript-cases.js';
import type { EvalSuite } from '../evals/suite-schema.js';
import { audit } from '../core/audit.js';
import { requireStaff } from './staff-auth.js';

export interface EvalsRoutesOptions {
  db: Kysely<Database>;
  accounts: StaffAccounts;
  /** The live assistant parts a re-run measures against. */
  parts(): Promise<EvalParts>;
}

/** Who reads the evals: those who write and review the knowledge base, and supervisors. */
export const EVALS_ROLES = ['editor', 'reviewer', 'supervisor', 'admin'] as const;
/** Who acts on them (verdicts, re-runs): those who write and review the knowledge base. */
export const EVALS_ACT_ROLES = ['editor', 'reviewer', 'admin'] as const;

const tags = ['evals'];
const page = {
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
};
const RunId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/**
 * The stored eval runs (`npm run evals`) for the knowledge editors: the runs, one run's summary, its cases
 * (the failures to review), its HTML report, and what changed between two runs.
 */
export const evalsRoutes: FastifyPluginAsyncTypebox<EvalsRoutesOptions> = async (app, options) => {
  const store = new EvalRunStore(options.db);
  const read = requireStaff(options.accounts, EVALS_ROLES);
  const act = requireStaff(options.accounts, EVALS_ACT_ROLES);
  const found = async <T>(value: Promise<T | undefined>, id: string): Promise<T> => {
    const result = await value;
    if (result === undefined) throw new AppError('E_NOT_FOUND', `No eval run ${id}.`);
    return result;
  };

  app.get(
    '/runs',
    { schema: { tags, summary: 'Eval runs, newest first', querystring: Type.Object(page) }, preValidation: read },
    async (request) => ({ items: await store.list(request.query.limit, request.query.offset), ...request.query }),
  );

  app.get(
    '/runs/:id',
    { schema: { tags, summary: "A run's summary: suites, metrics, thresholds", params: RunId }, preValidation: read },
    async (request) => found(store.get(request.params.id), request.params.id),
  );

  app.get(
    '/runs/:id/cases',
    {
      schema: {
        tags,
        summary: "A run's cases (failed=true: the failures), by suite",
        params: RunId,
        querystring: Type.Object({
          suite: Type.Optional(Type.String({ maxLength: 64 })),
          failed: Type.Boolean({ default: false }),
          ...page,
        }),
      },
      preValidation: read,
    },
    async (request) => {
      await found(store.get(request.params.id), request.params.id);
      const { suite, failed, limit, offset } = request.query;
      return { items: await store.cases(request.params.id, { suite, failed, limit, offset }), limit, offset };
    },
  );

  app.post(
    '/runs/:id/cases/verdict',
    {
      schema: {
        tags,
        summary: "An editor's verdict on a case: correct after all, wrong, or the expectation is wrong",
        params: RunId,
        body: Type.Object({
          suite: Type.String({ minLength: 1, maxLength: 64 }),
          caseId: Type.String({ minLength: 1, maxLength: 2000 }),
          verdict: Type.Union([Type.Literal('correct'), Type.Literal('wrong'), Type.Literal('expected_wrong')]),
        }),
      },
      preValidation: act,
    },
    async (request) => {
      const { suite, caseId, verdict } = request.body;
      const done = await store.setVerdict(request.staff!.actor, request.params.id, suite, caseId, verdict);
      if (!done) throw new AppError('E_NOT_FOUND', `No case ${caseId} in ${suite} of run ${request.params.id}.`);
      return { suite, caseId, verdict };
    },
  );

  app.post(
    '/runs/:id/rerun',
    {
      schema: {
        tags,
        summary: "Re-measure a run's failed retrieval cases against the live knowledge base (a new run)",
        params: RunId,
        body: Type.Optional(Type.Object({})),
      },
      preValidation: act,
    },
    async (request) => {
      const run = await found(store.get(request.params.id), request.params.id);
      const retrieval = new Set(run.suites.filter((s) => s.kind === 'retrieval').map((s) => s.suite));
      const failed = (await store.cases(run.id, { failed: true, limit: 100_000 })).filter((c) =>
        retrieval.has(c.suite),
      );
      if (failed.length === 0)
        throw new AppError('E_CONFLICT', 'Nothing to re-run: the run has no failed retrieval cases.');
      const suites: EvalSuite[] = [...retrieval].flatMap((name) => {
        const cases = failed.filter((c) => c.suite === name);
        return cases.length
          ? [
              {
                suite: name,
                kind: 'retrieval' as const,
                description: `re-run of ${run.id}`,
                cases: cases.map((c) => ({ id: c.caseId, q: c.question, expect: c.expected, category: c.category })),
              },
            ]
          : [];
      });
      const rerun = await runEvals(suites, await options.parts());
      await store.save(rerun.run, rerun.outcomes);
      await audit(options.db, request.staff!.actor, {
        action: 'evals.rerun',
        targetType: 'eval_run',
        targetId: run.id,
        detail: {
          run: rerun.run.id,
          cases: failed.length,
          failures: rerun.outcomes.filter((o) => !o.outcome.passed).length,
        },
      });
      return rerun.run;
    },
  );

  // Real conversations feed the evals: an agent (on a conversation routed to them) or an editor turns a
  // citizen's message into a case, with the article that should answer it.
  const take = requireStaff(options.accounts, ['agent', ...EVALS_ROLES]);
  app.post(
    '/cases',
    {
      schema: {
        tags,
        summary: "Turn a citizen's message into a retrieval eval case (suite `transcripts`)",
        body: Type.Object({
          conversationId: Type.String({ minLength: 1, maxLength: 64 }),
          activityId: Type.String({ minLength: 1, maxLength: 100 }),
          expect: Type.String({ minLength: 1, maxLength: 64, description: 'An article id, or none' }),
        }),
      },
      preValidation: take,
    },
    async (request, reply) => {
      const session = request.staff!;
      const { conversationId } = request.body;
      if (!session.account.roles.some((r) => (EVALS_ROLES as readonly string[]).includes(r))) {
        // An agent only from a conversation that was offered to or handled by them.
        const theirs = await options.db
          .selectFrom('handoffs')
          .select('id')
          .where('conversation_id', '=', conversationId)
          .where((eb) => eb.or([eb('agent_id', '=', session.account.id), eb('consultant_id', '=', session.account.id)]))
          .executeTakeFirst();
        if (!theirs) throw new AppError('E_FORBIDDEN', 'This conversation is not routed to you.');
      }
      return reply.code(201).send(await addTranscriptCase(options.db, session.actor, request.body));
    },
  );

  app.get(
    '/cases',
    {
      schema: { tags, summary: 'The eval cases taken from conversations', querystring: Type.Object(page) },
      preValidation: read,
    },
    async (request) => ({ items: await listTranscriptCases(options.db, request.query.limit, request.query.offset) }),
  );

  app.get(
    '/runs/:id/report',
    { schema: { tags, summary: "A run's HTML report", params: RunId }, preValidation: read },
    async (request, reply) => {
      const run = await found(store.get(request.params.id), request.params.id);
      const trend = (await store.trend(50)).filter((point) => point.startedAt <= run.startedAt).slice(-20);
      return reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', REPORT_CSP)
        .header('x-content-type-options', 'nosniff')
        .send(renderReport(run, trend));
    },
  );

  app.get(
    '/compare',
    {
      schema: {
        tags,
        summary: 'What got better and what regressed from one run to another',
        querystring: Type.Object({
          from: Type.String({ minLength: 1, maxLength: 64 }),
          to: Type.String({ minLength: 1, maxLength: 64 }),
        }),
      },
      preValidation: read,
    },
    async (request) => {
      const { from, to } = request.query;
      return store.compare(from, to);
    },
  );
};
