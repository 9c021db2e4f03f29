/**
 * Eval-gated publishing through the knowledge API: a reviewed edit that would take the social-security card
 * article away from the questions it answers is not published (409 with the regressions, the live article
 * unchanged, the attempt audited); a harmless edit of the same article is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../test/support/gateway.js';
import { createStaff, signIn, type StaffClient } from '../test/support/staff.js';

const ARTICLE = 'social-insurance-001';

describe('publishing gated by the retrieval evals', () => {
  let gw: TestGateway;
  let editor: StaffClient;
  let reviewer: StaffClient;

  beforeAll(async () => {
    gw = await startTestGateway();
    await createStaff(gw, 'gate-editor', ['editor']);
    await createStaff(gw, 'gate-reviewer', ['reviewer']);
    editor = await signIn(gw, 'gate-editor');
    reviewer = await signIn(gw, 'gate-reviewer');
  });
  afterAll(() => gw?.cleanup());

  /** Saves `change` over the live content as a draft, submits it, and asks the reviewer to approve it. */
  async function propose(change: Record<string, unknown>) {
    const { record, version, pending } = await gw.editorial.get(ARTICLE);
    const { id: _id, ...content } = record;
    const saved = await editor('PUT', `/articles/${ARTICLE}/draft`, {
      ...content,
      ...change,
      // The open draft's revision when there is one (a rejected proposal), else the published one.
      baseRevision: pending?.revision ?? version,
    });
    expect(saved.body).not.toHaveProperty('error');
    expect((await editor('POST', `/articles/${ARTICLE}/submit`)).status).toBe(200);
    return reviewer('POST', `/articles/${ARTICLE}/approve`, { note: '同意' });
  }

  it('blocks an edit that would break questions answered right, and shows which', async () => {
    const before = await gw.editorial.get(ARTICLE);
    const harmful = await propose({
      title: '宠物犬登记办理',
      question: '养狗要去哪里办狗证？',
      variants: ['狗证怎么办', '犬只登记需要什么材料', '狗狗办证在哪'],
      answerShort: '携带犬只免疫证明到所在街道办理犬只登记。',
      answerFull: '养犬人应携带犬只狂犬病免疫证明、身份证，到居住地街道办事处办理犬只登记，领取犬牌。',
    });
    expect(harmful.status).toBe(409);
    expect(harmful.body.error.message).toMatch(/^Not published: \d+ of \d+ eval questions/);
    const regressions = harmful.body.error.details.regressions as { question: string; expected: string }[];
    expect(regressions.length).toBeGreaterThan(0);
    expect(regressions.every((r) => r.expected === ARTICLE)).toBe(true);
    expect(regressions.map((r) => r.question)).toContain('我社保卡前两天坐地铁弄丢了，里面还有钱，现在咋办啊');

    // Nothing went live: citizens are still answered from the published revision.
    const after = await gw.editorial.get(ARTICLE);
    expect(after.version).toBe(before.version);
    expect(after.record.title).toBe(before.record.title);
    expect(after.pending?.status).toBe('in_review');
    const audited = await gw.database.db
      .selectFrom('audit_log')
      .select('action')
      .where('target_id', '=', ARTICLE)
      .execute();
    expect(audited.map((a) => a.action)).toContain('knowledge.review.blocked');
    expect((await reviewer('POST', `/articles/${ARTICLE}/reject`, { note: '会影响社保卡问答' })).status).toBe(200);
  });

  it('publishes an edit that keeps every checked question answered', async () => {
    const before = await gw.editorial.get(ARTICLE);
    const harmless = await propose({ answerFull: `${before.record.answerFull}（如有疑问可拨打12345咨询。）` });
    expect(harmless.body).toMatchObject({ status: 'published' });
    expect((await gw.editorial.get(ARTICLE)).version).toBeGreaterThan(before.version);
  });
});
