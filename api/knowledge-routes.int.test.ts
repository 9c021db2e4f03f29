import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../test/support/gateway.js';
import { createStaff, signIn, type StaffClient } from '../test/support/staff.js';

const article = {
  id: 'tax-950',
  category: 'tax',
  title: '房产税减免申请',
  question: '自住房可以申请减免房产税吗？',
  variants: ['个人自住房要不要交房产税', '房产税困难减免怎么申请', '老人名下房子房产税能免吗'],
  answerShort: '个人所有非营业用房产免征房产税；确有困难的可向区税务局申请减免。',
  answerFull:
    '根据示例规定，个人所有的非营业用房产免征房产税。出租或经营用房应依法缴纳；纳税确有困难的，可向房产所在地区税务局提出减免申请。',
  department: '市税务局',
  tags: ['房产税', '减免'],
  region: '全市',
  effectiveFrom: '2026-01-01',
  expiresAt: null,
  source: { title: '示例：房产税减免办理指引', url: 'https://example.gov.cn/fcs' },
};

describe('knowledge API with staff sign-in and roles', () => {
  let gw: TestGateway;
  let editor: StaffClient;
  let reviewer: StaffClient;
  let agent: StaffClient;

  beforeAll(async () => {
    // The workflow alone: its new 房产税 article takes eval questions from the demo's own (evals/publish-gate
    // blocks that, as its own test shows).
    gw = await startTestGateway({ env: { PUBLISH_GATE_SUITE: 'off' } });
    await createStaff(gw, 'editor1', ['editor']);
    await createStaff(gw, 'reviewer1', ['reviewer']);
    await createStaff(gw, 'agent1', ['agent']);
    [editor, reviewer, agent] = [
      await signIn(gw, 'editor1'),
      await signIn(gw, 'reviewer1'),
      await signIn(gw, 'agent1'),
    ];
  });
  afterAll(async () => gw?.cleanup());

  it('refuses anonymous callers, wrong passwords and the wrong role', async () => {
    expect((await fetch(`${gw.url}/api/knowledge/articles`)).status).toBe(401);
    const wrong = await fetch(`${gw.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'editor1', password: 'not-the-password' }),
    });
    expect(wrong.status).toBe(401);
    expect((await agent('POST', '/articles', article)).status).toBe(403);
    expect((await agent('GET', '/articles?status=published&pageSize=5')).status).toBe(200);
  });

  it('serves the demo base to staff, paginated and filtered', async () => {
    const { status, body } = await agent('GET', '/articles?status=published&category=housing-fund&pageSize=5');
    expect(status).toBe(200);
    expect(body.total).toBeGreaterThanOrEqual(5);
    expect(body.items).toHaveLength(5);
    expect(body.items.every((i: { category: string }) => i.category === 'housing-fund')).toBe(true);
  });

  it('runs the workflow over HTTP: an editor drafts and submits, only a reviewer publishes', async () => {
    expect((await editor('POST', '/articles', { ...article, effectiveFrom: '2026-02-30' })).status).toBe(400);
    expect((await editor('POST', '/articles', { ...article, category: 'no-such' })).status).toBe(400);
    const created = await editor('POST', '/articles', article);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'draft', pending: { revision: 1, status: 'draft' } });
    expect((await editor('POST', '/articles', article)).status).toBe(409);

    const submitted = await editor('POST', `/articles/${article.id}/submit`);
    expect(submitted.body).toMatchObject({ status: 'in_review' });
    expect((await editor('POST', `/articles/${article.id}/approve`)).status).toBe(403);
    const approved = await reviewer('POST', `/articles/${article.id}/approve`, { note: '同意发布' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'published', version: 1 });

    const tried = await agent('POST', '/search', { q: '我自己住的房子要交房产税吗' });
    expect(tried.status).toBe(200);
    const hit = tried.body.hits.find((h: { articleId: string }) => h.articleId === article.id);
    expect(hit).toMatchObject({ score: expect.any(Number), similarity: expect.any(Number) });
    expect(hit.matched.text).toBeTruthy();
  });

  it('shows revisions, a diff and the audit trail; retiring takes the answer away', async () => {
    const { id, ...content } = article;
    const saved = await editor('PUT', `/articles/${id}/draft`, {
      ...content,
      answerShort: '个人自住的非营业用房免征房产税。',
      baseRevision: 1,
    });
    expect(saved.body.pending).toMatchObject({ revision: 2, status: 'draft' });
    const diff = await agent('GET', `/articles/${id}/diff?from=1&to=2`);
    expect(diff.body.map((d: { field: string }) => d.field)).toEqual(['answerShort']);
    expect((await agent('GET', `/articles/${id}/revisions`)).body).toHaveLength(2);

    // A cross-site request is refused even with the cookie (SameSite aside).
    const forged = await editor('POST', `/articles/${id}/retire`, {}, { origin: 'https://evil.example' });
    expect(forged.status).toBe(403);
    expect((await editor('POST', `/articles/${id}/retire`, { note: '政策调整' })).body.status).toBe('retired');
    const tried = await agent('POST', '/search', { q: '我自己住的房子要交房产税吗' });
    expect(tried.body.hits.map((h: { articleId: string }) => h.articleId)).not.toContain(id);

    const trail = await agent('GET', `/articles/${id}/audit`);
    expect(trail.body.map((e: { action: string; actor: string }) => `${e.actor} ${e.action}`)).toEqual([
      'editor1 knowledge.article.retire',
      'editor1 knowledge.draft.save',
      'reviewer1 knowledge.review.approve',
      'editor1 knowledge.review.submit',
      'editor1 knowledge.article.create',
    ]);
  });

  it('lets editors edit the synonym dictionary, validated', async () => {
    const { body } = await agent('GET', '/synonyms');
    expect(body.groups.length).toBeGreaterThan(10);
    expect((await agent('PUT', '/synonyms', { groups: [['房产税', '房屋税']] })).status).toBe(403);
    expect((await editor('PUT', '/synonyms', { groups: [['房产税']] })).status).toBe(400);
    const saved = await editor('PUT', '/synonyms', { groups: [...body.groups, ['房产税', '房屋税']] });
    expect(saved.status).toBe(200);
    expect((await agent('GET', '/synonyms')).body.groups).toContainEqual(['房产税', '房屋税']);
  });
});
