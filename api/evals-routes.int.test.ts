/**
 * The stored eval runs over HTTP, for knowledge editors: runs, a run's failures, its HTML report (served
 * under a policy that lets nothing run), the comparison of two runs; role-checked.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseOutcome } from '../evals/measure.js';
import type { RunSummary } from '../evals/report.js';
import { EvalRunStore } from '../evals/run-store.js';
import { transcriptSuite } from '../evals/transcript-cases.js';
import { Citizen } from '../test/support/desk-client.js';
import { startTestGateway, type TestGateway } from '../test/support/gateway.js';
import { createStaff, signIn, type StaffClient } from '../test/support/staff.js';

let gw: TestGateway;
let editor: StaffClient;
let agent: StaffClient;
let before: RunSummary;
let after: RunSummary;

const outcome = (caseId: string, passed: boolean, got: string): CaseOutcome => ({
  caseId,
  category: '社保',
  question: caseId === 'q1' ? '<script>alert(1)</script>社保卡丢了怎么补办' : `问题 ${caseId}`,
  expected: 'social-insurance-001',
  got,
  passed,
  score: 0.5,
});

beforeAll(async () => {
  gw = await startTestGateway();
  await createStaff(gw, 'kb-editor', ['editor']);
  await createStaff(gw, 'desk-agent', ['agent']);
  editor = await signIn(gw, 'kb-editor', '/api/evals');
  agent = await signIn(gw, 'desk-agent', '/api/evals');
  const fixture = JSON.parse(await readFile(new URL('../evals/fixtures/run-summary.json', import.meta.url), 'utf8'));
  const { trend: _trend, ...run } = fixture as RunSummary & { trend: unknown };
  before = { ...run, id: 'run-before', startedAt: '2026-11-22T01:00:00.000Z' };
  after = { ...run, id: 'run-after', startedAt: '2026-11-23T01:00:00.000Z' };
  const store = new EvalRunStore(gw.database.db);
  await store.save(before, [
    { suite: 'retrieval-zh', outcome: outcome('q1', true, 'social-insurance-001') },
    { suite: 'retrieval-zh', outcome: outcome('q2', false, 'social-insurance-004') },
  ]);
  await store.save(after, [
    { suite: 'retrieval-zh', outcome: outcome('q1', false, 'social-insurance-005') },
    { suite: 'retrieval-zh', outcome: outcome('q2', true, 'social-insurance-001') },
  ]);
});
afterAll(() => gw?.cleanup());

describe('eval runs over HTTP', () => {
  it('lists runs and a run’s failures for editors, and nothing for agents', async () => {
    expect((await agent('GET', '/runs')).status).toBe(403);
    const runs = await editor('GET', '/runs');
    expect(runs.status).toBe(200);
    expect(runs.body.items.map((r: { id: string }) => r.id)).toEqual(['run-after', 'run-before']);
    const failures = await editor('GET', '/runs/run-after/cases?failed=true');
    expect(failures.body.items).toEqual([
      expect.objectContaining({ caseId: 'q1', got: 'social-insurance-005', passed: false }),
    ]);
    expect((await editor('GET', '/runs/no-such-run')).status).toBe(404);
    expect((await editor('GET', '/runs/run-after')).body.suites).toHaveLength(before.suites.length);
  });

  it('serves the report under a policy that lets nothing load or run, with citizen text escaped', async () => {
    const cookie = await fetch(`${gw.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'kb-editor', password: 'correct-horse-battery' }),
    }).then((r) => r.headers.get('set-cookie')!.split(';')[0]!);
    const response = await fetch(`${gw.url}/api/evals/runs/run-after/report`, { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const html = await response.text();
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)</script>');
  });

  it('compares two runs: what regressed and what got better', async () => {
    const { status, body } = await editor('GET', '/compare?from=run-before&to=run-after');
    expect(status).toBe(200);
    expect(body.regressed).toEqual([expect.objectContaining({ caseId: 'q1', before: 'social-insurance-001' })]);
    expect(body.improved).toEqual([expect.objectContaining({ caseId: 'q2', after: 'social-insurance-001' })]);
    expect((await editor('GET', '/compare?from=run-before&to=nope')).status).toBe(404);
  });

  it('records an editor’s verdict on a failure, audited', async () => {
    const body = { suite: 'retrieval-zh', caseId: 'q1', verdict: 'expected_wrong' };
    expect((await agent('POST', '/runs/run-after/cases/verdict', body)).status).toBe(403);
    expect((await editor('POST', '/runs/run-after/cases/verdict', body)).status).toBe(200);
    const failures = await editor('GET', '/runs/run-after/cases?failed=true');
    expect(failures.body.items[0]).toMatchObject({ caseId: 'q1', verdict: 'expected_wrong' });
    expect((await editor('POST', '/runs/run-after/cases/verdict', { ...body, caseId: 'nope' })).status).toBe(404);
    const audited = await gw.database.db.selectFrom('audit_log').select('action').execute();
    expect(audited.map((a) => a.action)).toContain('evals.verdict');
  });

  it('re-runs a run’s failed retrieval cases against the live base as a new run', async () => {
    const rerun = await editor('POST', '/runs/run-after/rerun', {});
    expect(rerun.status).toBe(200);
    expect(rerun.body.id).not.toBe('run-after');
    expect(rerun.body.suites).toEqual([
      expect.objectContaining({ suite: 'retrieval-zh', kind: 'retrieval', cases: 1 }),
    ]);
    const cases = await editor('GET', `/runs/${rerun.body.id}/cases`);
    expect(cases.body.items).toEqual([expect.objectContaining({ caseId: 'q1', expected: 'social-insurance-001' })]);
    expect((await editor('GET', '/runs')).body.items).toHaveLength(3);
  });

  it('turns a citizen’s message into an eval case, masked, for editors and the agent who had it', async () => {
    const citizen = await Citizen.open(gw.url);
    await citizen.say('我的社保卡丢了，电话13912345678，怎么补');
    const activities = await citizen.activities();
    const asked = activities.find((a) => a.from.role === 'user')!;
    const answered = activities.find((a) => a.from.role === 'bot')!;
    const body = { conversationId: citizen.conversationId, activityId: asked.id, expect: 'social-insurance-001' };
    // An agent to whom the conversation was never routed may not.
    expect((await agent('POST', '/cases', body)).status).toBe(403);
    expect((await editor('POST', '/cases', { ...body, expect: 'no-such-article' })).status).toBe(400);
    expect((await editor('POST', '/cases', { ...body, activityId: answered.id })).status).toBe(400);
    const created = await editor('POST', '/cases', body);
    expect(created.status).toBe(201);
    expect(created.body.question).toContain('社保卡丢了');
    expect(created.body.question).not.toContain('13912345678');
    expect((await editor('POST', '/cases', body)).status).toBe(409);
    expect((await editor('GET', '/cases')).body.items).toHaveLength(1);
    const suite = await transcriptSuite(gw.database.db);
    expect(suite).toMatchObject({ suite: 'transcripts', kind: 'retrieval' });
    expect(suite!.cases).toEqual([expect.objectContaining({ expect: 'social-insurance-001' })]);
  });
});
