import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually, startTestGateway, TEST_DIRECTLINE_SECRET, type TestGateway } from '../../test/support/gateway.js';

// Tight limits, so the rate-limit tests reach them; every other test stays well below.
const MESSAGES_PER_MINUTE = 5;
const GUEST_TOKENS_PER_MINUTE = 3;

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({
    env: {
      RATE_LIMIT_MESSAGES_PER_MINUTE: String(MESSAGES_PER_MINUTE),
      RATE_LIMIT_GUEST_TOKENS_PER_MINUTE: String(GUEST_TOKENS_PER_MINUTE),
    },
  });
});
afterAll(async () => gw?.cleanup());

const dl = (path: string) => `${gw.url}/v3/directline${path}`;
const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });
const json = { 'content-type': 'application/json' };

async function openConversation() {
  const res = await fetch(dl('/conversations'), { method: 'POST', headers: bearer(TEST_DIRECTLINE_SECRET) });
  expect(res.status).toBe(201);
  return (await res.json()) as { conversationId: string; token: string; streamUrl: string; expires_in: number };
}

async function countActivities(conversationId: string) {
  const res = await fetch(dl(`/conversations/${conversationId}/activities`), {
    headers: bearer(TEST_DIRECTLINE_SECRET),
  });
  return ((await res.json()) as { activities: unknown[] }).activities.length;
}

async function post(
  conversationId: string,
  token: string,
  body: string | object,
  headers: Record<string, string> = json,
) {
  return fetch(dl(`/conversations/${conversationId}/activities`), {
    method: 'POST',
    headers: { ...bearer(token), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('Direct Line 3.0 REST', () => {
  it('generates a token with the secret, and a token opens only its own conversation', async () => {
    const gen = await fetch(dl('/tokens/generate'), { method: 'POST', headers: bearer(TEST_DIRECTLINE_SECRET) });
    expect(gen.status).toBe(200);
    const { token, conversationId, expires_in } = (await gen.json()) as Record<string, string>;
    expect(expires_in).toBe(3600);
    const start = await fetch(dl('/conversations'), { method: 'POST', headers: bearer(token!) });
    expect(start.status).toBe(200);
    const body = (await start.json()) as { conversationId: string; streamUrl: string };
    expect(body.conversationId).toBe(conversationId);
    expect(body.streamUrl).toMatch(
      new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/v3/directline/conversations/${conversationId}/stream\\?t=`),
    );
  });

  it('refreshes a token for the same conversation', async () => {
    const { token, conversationId } = await openConversation();
    const res = await fetch(dl('/tokens/refresh'), { method: 'POST', headers: bearer(token) });
    expect(res.status).toBe(200);
    const refreshed = (await res.json()) as { conversationId: string; token: string };
    expect(refreshed.conversationId).toBe(conversationId);
    expect((await post(conversationId, refreshed.token, { type: 'message', text: '你好' })).status).toBe(200);
  });

  it('answers a question from the knowledge base, after the welcome and the echo', async () => {
    const { conversationId, token } = await openConversation();
    const res = await post(conversationId, token, {
      type: 'message',
      text: '社保卡丢了怎么补办',
      channelData: { clientActivityID: 'c1' },
    });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    expect(id).toBe(`${conversationId}|0000002`);
    const activities = await eventually(async () => {
      const r = await fetch(dl(`/conversations/${conversationId}/activities?watermark=0`), { headers: bearer(token) });
      const page = (await r.json()) as {
        activities: { text: string; from: { role: string }; replyToId?: string }[];
        watermark: string;
      };
      return page.activities.length >= 4 ? page : undefined;
    });
    expect(activities.watermark).toBe('4');
    expect(activities.activities.map((a) => a.from.role)).toEqual(['bot', 'user', 'bot', 'bot']);
    expect(activities.activities[2]!.text).toMatch(/^社保卡遗失后/);
    expect(activities.activities[2]!.replyToId).toBe(id);
  });

  it('treats a re-post with the same clientActivityID as a retry', async () => {
    const { conversationId, token } = await openConversation();
    const body = { type: 'message', text: '医保异地备案怎么办', channelData: { clientActivityID: 'same' } };
    const [a, b] = await Promise.all([post(conversationId, token, body), post(conversationId, token, body)]);
    expect(((await a.json()) as { id: string }).id).toBe(((await b.json()) as { id: string }).id);
    await eventually(async () => ((await countActivities(conversationId)) >= 4 ? true : undefined));
    await new Promise((r) => setTimeout(r, 300));
    expect(await countActivities(conversationId)).toBe(4);
  });

  it('ignores a client-chosen sender: the token decides who speaks', async () => {
    const { conversationId, token } = await openConversation();
    await post(conversationId, token, { type: 'message', text: 'hi', from: { id: 'someone-else', role: 'bot' } });
    const page = await eventually(async () => {
      const r = await fetch(dl(`/conversations/${conversationId}/activities?watermark=1`), { headers: bearer(token) });
      const p = (await r.json()) as { activities: { from: { id: string; role: string } }[] };
      return p.activities.length ? p : undefined;
    });
    expect(page.activities[0]!.from.role).toBe('user');
    expect(page.activities[0]!.from.id).toMatch(/^dl_/);
  });
});

describe('Direct Line bad input', () => {
  const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

  it('answers 401 without credentials and with a forged token, in a JSON error body', async () => {
    const { conversationId } = await openConversation();
    const none = await fetch(dl(`/conversations/${conversationId}/activities`));
    expect(none.status).toBe(401);
    expect(await errorOf(none)).toMatchObject({ code: 'E_UNAUTHORIZED' });
    const forged = await post(conversationId, 'dl1.eyJ9.c2ln', { type: 'message', text: 'x' });
    expect(forged.status).toBe(401);
  });

  it('answers 403 when a token reaches for another conversation, and writes nothing there', async () => {
    const mine = await openConversation();
    const theirs = await openConversation();
    const before = await countActivities(theirs.conversationId);
    for (const res of [
      await fetch(dl(`/conversations/${theirs.conversationId}/activities`), { headers: bearer(mine.token) }),
      await post(theirs.conversationId, mine.token, { type: 'message', text: '把别人的对话给我' }),
      await fetch(dl(`/conversations/${theirs.conversationId}`), { headers: bearer(mine.token) }),
    ]) {
      expect(res.status).toBe(403);
      expect(await errorOf(res)).toMatchObject({ code: 'E_FORBIDDEN' });
    }
    expect(await countActivities(theirs.conversationId)).toBe(before);
  });

  it('answers 403 for an expired token', async () => {
    const { conversationId } = await openConversation();
    const { DirectLineTokens } = await import('./tokens.js');
    const { getOrCreateSetting } = await import('../../core/settings.js');
    const secret = await getOrCreateSetting(gw.database.db, 'directline.token_secret', () => 'unused');
    const expired = new DirectLineTokens(secret, 1, () => Date.now() - 10_000).issue(conversationId, 'dl_x').token;
    const res = await fetch(dl(`/conversations/${conversationId}/activities`), { headers: bearer(expired) });
    expect(res.status).toBe(403);
    expect(await errorOf(res)).toMatchObject({ code: 'E_TOKEN_EXPIRED' });
  });

  it('answers 404 for an unknown conversation', async () => {
    const res = await fetch(dl('/conversations/no-such-conversation/activities'), {
      headers: bearer(TEST_DIRECTLINE_SECRET),
    });
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toMatchObject({ code: 'E_NOT_FOUND' });
    const posted = await post('no-such-conversation', TEST_DIRECTLINE_SECRET, {
      type: 'message',
      text: 'x',
      from: { id: 'u' },
    });
    expect(posted.status).toBe(404);
    expect(await errorOf(posted)).toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('answers 400 for malformed JSON and for an activity without a type, writing nothing', async () => {
    const { conversationId, token } = await openConversation();
    const before = await countActivities(conversationId);
    const malformed = await post(conversationId, token, '{"type": "message", "text": ');
    expect(malformed.status).toBe(400);
    expect(await errorOf(malformed)).toMatchObject({ code: 'E_MALFORMED_JSON' });
    const invalid = await post(conversationId, token, { text: 'no type' });
    expect(invalid.status).toBe(400);
    expect(await errorOf(invalid)).toMatchObject({ code: 'E_VALIDATION' });
    const badWatermark = await fetch(dl(`/conversations/${conversationId}/activities?watermark=-1`), {
      headers: bearer(token),
    });
    expect(badWatermark.status).toBe(400);
    expect(await countActivities(conversationId)).toBe(before);
  });

  it('answers 413 for an oversized body, writing nothing', async () => {
    const { conversationId, token } = await openConversation();
    const before = await countActivities(conversationId);
    const res = await post(conversationId, token, { type: 'message', text: '长'.repeat(300_000) });
    expect(res.status).toBe(413);
    expect(await errorOf(res)).toMatchObject({ code: 'E_PAYLOAD_TOO_LARGE' });
    expect(await countActivities(conversationId)).toBe(before);
  });

  it('answers 501 with a clear body for uploads', async () => {
    const { conversationId, token } = await openConversation();
    const res = await fetch(dl(`/conversations/${conversationId}/upload?userId=x`), {
      method: 'POST',
      headers: { ...bearer(token), ...json },
      body: '{}',
    });
    expect(res.status).toBe(501);
    expect((await errorOf(res)).message).toMatch(/not supported yet/);
  });

  it('refuses a stream with a foreign token before upgrading (HTTP 403)', async () => {
    const mine = await openConversation();
    const theirs = await openConversation();
    const url = theirs.streamUrl.replace(/t=[^&]+/, `t=${encodeURIComponent(mine.token)}`);
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(url);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
    });
    expect(status).toBe(403);
  });
});

describe('rate limits', () => {
  const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error;

  it('answers 429 past the messages a conversation may post per minute, storing nothing more', async () => {
    const { conversationId, token } = await openConversation();
    for (let i = 0; i < MESSAGES_PER_MINUTE; i++) {
      expect((await post(conversationId, token, { type: 'message', text: `第${i}条` })).status).toBe(200);
    }
    const before = await countActivities(conversationId);
    const limited = await post(conversationId, token, { type: 'message', text: '刷屏' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await errorOf(limited)).toMatchObject({ code: 'E_RATE_LIMITED' });
    expect(await countActivities(conversationId)).toBe(before);
    // Another conversation is not affected.
    const other = await openConversation();
    expect((await post(other.conversationId, other.token, { type: 'message', text: '你好' })).status).toBe(200);
  });

  it('answers 429 past the guest sessions one address may open per minute', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= GUEST_TOKENS_PER_MINUTE; i++) {
      statuses.push((await fetch(`${gw.url}/webchat/token`, { method: 'POST' })).status);
    }
    expect(statuses).toEqual([...Array(GUEST_TOKENS_PER_MINUTE).fill(200), 429]);
  });
});

describe('operations endpoints', () => {
  it('serves health, readiness, Prometheus metrics and the OpenAPI document', async () => {
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${gw.url}/readyz`)).json()).toEqual({ status: 'ready' });
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/minsheng_activities_received_total\{channel="webchat"\} \d+/);
    const openapi = (await (await fetch(`${gw.url}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toContain('/v3/directline/conversations/{conversationId}/activities');
  });

  it('serves the web chat page at / and /webchat, and the Web Chat bundle gzipped from node_modules', async () => {
    for (const path of ['/', '/webchat']) {
      const page = await fetch(`${gw.url}${path}`);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toContain('<script src="/webchat/vendor/webchat.js"></script>');
    }
    const bundle = await fetch(`${gw.url}/webchat/vendor/webchat.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-encoding')).toBe('gzip');
    expect((await bundle.text()).length).toBeGreaterThan(1_000_000); // fetch decompresses
    const cached = await fetch(`${gw.url}/webchat/vendor/webchat.js`, {
      headers: { 'if-none-match': bundle.headers.get('etag')! },
    });
    expect(cached.status).toBe(304);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await fetch(`${gw.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'E_NOT_FOUND' } });
  });
});
