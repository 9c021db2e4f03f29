/**
 * Rate limits and request size limits on a whole gateway (PostgreSQL, and Redis holding the counters as in
 * production): per citizen (an SMS number, a WeChat openid) at RATE_LIMIT_MESSAGES_PER_MINUTE, per client
 * address on every citizen-facing route and webhook at RATE_LIMIT_IP_PER_MINUTE, each 429 with Retry-After
 * and E_RATE_LIMITED, nothing stored, other citizens and addresses unaffected; health, metrics and staff
 * routes outside the address limit; and each route's body limit (413 just above, accepted just below).
 * Requests go through `app.inject`, which sets the client address each test needs.
 */
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayHeaders } from '../channels/sms/json-gateway.js';
import { FakeTranscriber } from '../channels/voice/fake-transcriber.js';
import { startTestGateway, TEST_DIRECTLINE_SECRET, type TestGateway } from './support/gateway.js';
import nock, { onlyLocalNetwork } from './support/nock.js';
import { deleteRedisKeys, postgresUnavailable, REDIS_URL, redisUnavailable } from './support/services.js';

const MESSAGES_PER_MINUTE = 3;
const IP_PER_MINUTE = 6;

const PUBLIC_URL = 'https://12345.example.gov.cn';
const WECHAT = { token: 'limitstoken', appId: 'wx00000000limits0' };
const TWILIO = { accountSid: `AC${'2'.repeat(32)}`, authToken: 'limits-twilio-auth-token' };
const GATEWAY_SECRET = 'json-gateway-limits-secret-0123456789';

const skip = (await postgresUnavailable()) ?? (await redisUnavailable());
onlyLocalNetwork();

/** A client address no other test uses. */
let lastAddress = 0;
const newAddress = () => `198.51.100.${++lastAddress}`;

interface Request {
  method?: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  payload?: string;
  from: string;
}

const limits = {
  RATE_LIMIT_MESSAGES_PER_MINUTE: String(MESSAGES_PER_MINUTE),
  RATE_LIMIT_IP_PER_MINUTE: String(IP_PER_MINUTE),
  // The guest token's own (tighter by default) limit out of the way: the address limit is under test.
  RATE_LIMIT_GUEST_TOKENS_PER_MINUTE: '1000',
  WECHAT_PASSIVE_REPLY_MS: '0',
  JOB_ATTEMPTS: '1',
};

async function inject(gw: TestGateway, request: Request) {
  const response = await gw.app.inject({
    method: request.method ?? 'POST',
    url: request.url,
    headers: request.headers,
    payload: request.payload,
    remoteAddress: request.from,
  });
  return { status: response.statusCode, body: response.body, retryAfter: response.headers['retry-after'] };
}

/** Inbound messages stored for a user id (`sms:+86…`, `wechat:o…`). */
async function storedFrom(gw: TestGateway, userId: string): Promise<number> {
  const row = await gw.database.db
    .selectFrom('activities')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('direction', '=', 'inbound')
    .where('from_id', '=', userId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function countAll(gw: TestGateway): Promise<{ activities: number; conversations: number }> {
  const db = gw.database.db;
  const a = await db
    .selectFrom('activities')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('direction', '=', 'inbound')
    .executeTakeFirstOrThrow();
  const c = await db
    .selectFrom('conversations')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return { activities: Number(a.n), conversations: Number(c.n) };
}

function expectLimited(answer: { status: number; body: string; retryAfter: unknown }) {
  expect(answer.status, answer.body).toBe(429);
  expect(String(answer.retryAfter)).toMatch(/^\d+$/);
  expect(Number(answer.retryAfter)).toBeGreaterThan(0);
  expect(Number(answer.retryAfter)).toBeLessThanOrEqual(60);
  expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'E_RATE_LIMITED', message: expect.any(String) } });
}

/** `count` requests made by `make(i)` are answered without 429; the next one is limited and stores nothing. */
async function exhaust(gw: TestGateway, count: number, make: (i: number) => Request) {
  for (let i = 0; i < count; i++) {
    const answer = await inject(gw, make(i));
    expect(answer.status, `request ${i + 1}: ${answer.body}`).not.toBe(429);
  }
  const before = await countAll(gw);
  expectLimited(await inject(gw, make(count)));
  expect(await countAll(gw)).toEqual(before);
}

// Signing, as each provider does it.
const sha1 = (parts: string[]) =>
  createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');

function wechatPost(openId: string, content: string, from: string): Request {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(6).toString('hex');
  const query = new URLSearchParams({ timestamp, nonce, signature: sha1([WECHAT.token, timestamp, nonce]) });
  const msgId = String(BigInt(`0x${randomBytes(7).toString('hex')}`));
  return {
    url: `/wechat?${query}`,
    headers: { 'content-type': 'text/xml' },
    payload: `<xml><ToUserName><![CDATA[gh_12345hotline]]></ToUserName><FromUserName><![CDATA[${openId}]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>${msgId}</MsgId></xml>`,
    from,
  };
}

function twilioPost(path: string, params: Record<string, string>, from: string): Request {
  return {
    url: path,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(TWILIO.authToken, PUBLIC_URL + path, params),
    },
    payload: new URLSearchParams(params).toString(),
    from,
  };
}

const smsPost = (phone: string, body: string, from: string) =>
  twilioPost(
    '/sms/twilio',
    { From: phone, To: '+8610612345', Body: body, MessageSid: `SM${randomUUID().replaceAll('-', '')}` },
    from,
  );

describe.skipIf(skip)('rate limits and body limits (Twilio SMS, WeChat, voice, web chat, join links)', () => {
  const prefix = `minsheng-test-${randomUUID()}`;
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({
      engine: 'postgres',
      redisUrl: REDIS_URL,
      env: {
        ...limits,
        MINSHENG_REDIS_PREFIX: prefix,
        PUBLIC_URL,
        WECHAT_TOKEN: WECHAT.token,
        WECHAT_APP_ID: WECHAT.appId,
        WECHAT_APP_SECRET: 'limits-app-secret',
        WECHAT_API_BASE_URL: 'https://api.weixin.limits.test',
        TWILIO_ACCOUNT_SID: TWILIO.accountSid,
        TWILIO_AUTH_TOKEN: TWILIO.authToken,
        SMS_FROM: '+8610612345',
        SMS_API_BASE_URL: 'https://sms.limits.test',
        VOICE_CALLER_ID: '+8657112345',
        WHISPER_MODEL: '/nonexistent/ggml-model.bin',
      },
      transcriber: new FakeTranscriber(),
    });
    // Replies to the stored messages go out through the providers' APIs (not under test here).
    nock('https://api.weixin.limits.test')
      .persist()
      .get(/.*/)
      .reply(200, { access_token: 'token', expires_in: 7200 })
      .post(/.*/)
      .reply(200, { errcode: 0 });
    nock('https://sms.limits.test').persist().post(/.*/).reply(201, { sid: 'SMlimits' });
  }, 60_000);
  afterAll(async () => {
    nock.cleanAll();
    await gw?.cleanup();
    await deleteRedisKeys(prefix);
  });

  describe('per citizen', () => {
    it('refuses an SMS number past its messages a minute with 429, storing nothing; others are unaffected', async () => {
      const [ip1, ip2] = [newAddress(), newAddress()];
      const phone = '+8613800000001';
      for (let i = 0; i < MESSAGES_PER_MINUTE; i++) {
        // From two addresses, as a provider's webhooks come: the limit is the citizen's, not the address's.
        expect((await inject(gw, smsPost(phone, `第${i}条`, i % 2 ? ip1 : ip2))).status).toBe(200);
      }
      expect(await storedFrom(gw, `sms:${phone}`)).toBe(MESSAGES_PER_MINUTE);
      expectLimited(await inject(gw, smsPost(phone, '超出的一条', ip2)));
      expect(await storedFrom(gw, `sms:${phone}`)).toBe(MESSAGES_PER_MINUTE);

      // Another citizen on the same addresses is not limited; an opt-out is honoured whatever the rate.
      expect((await inject(gw, smsPost('+8613800000002', '你好', ip1))).status).toBe(200);
      expect(await storedFrom(gw, 'sms:+8613800000002')).toBe(1);
      const stop = await inject(gw, smsPost(phone, '退订', ip1));
      expect(stop.status).toBe(200);
      expect(stop.body).toContain('退订');
    });

    it('refuses a WeChat user past their messages a minute with 429, storing nothing; others are unaffected', async () => {
      const ip = newAddress();
      const openId = 'o-limits-citizen-1';
      for (let i = 0; i < MESSAGES_PER_MINUTE; i++) {
        expect((await inject(gw, wechatPost(openId, `第${i}条`, ip))).status).toBe(200);
      }
      const limited = wechatPost(openId, '超出的一条', ip);
      expectLimited(await inject(gw, limited));
      expect(await storedFrom(gw, `wechat:${openId}`)).toBe(MESSAGES_PER_MINUTE);
      // WeChat retries what it got no 200 for: still refused, still not stored.
      expectLimited(await inject(gw, limited));
      expect(await storedFrom(gw, `wechat:${openId}`)).toBe(MESSAGES_PER_MINUTE);
      expect((await inject(gw, wechatPost('o-limits-citizen-2', '你好', ip))).status).toBe(200);
      expect(await storedFrom(gw, 'wechat:o-limits-citizen-2')).toBe(1);
    });
  });

  describe('per client address', () => {
    it('limits the WeChat webhook per address; another address is unaffected', async () => {
      const ip = newAddress();
      await exhaust(gw, IP_PER_MINUTE, (i) => wechatPost(`o-limits-ip-${ip}-${i}`, '你好', ip));
      expect((await inject(gw, wechatPost('o-limits-ip-other', '你好', newAddress()))).status).toBe(200);
      // Verification (GET) counts too.
      expectLimited(await inject(gw, { method: 'GET', url: '/wechat?echostr=1', from: ip }));
    });

    it('limits the SMS webhooks per address, status callbacks included', async () => {
      const ip = newAddress();
      await exhaust(gw, IP_PER_MINUTE, (i) => smsPost(`+86139000000${String(i).padStart(2, '0')}`, '你好', ip));
      expectLimited(
        await inject(gw, twilioPost('/sms/twilio/status', { MessageSid: 'SMx', MessageStatus: 'delivered' }, ip)),
      );
      expect((await inject(gw, smsPost('+8613900000099', '你好', newAddress()))).status).toBe(200);
    });

    it('limits the voice webhook and stream per address', async () => {
      const ip = newAddress();
      const call = (i: number) =>
        twilioPost(
          '/voice/twilio/incoming',
          { CallSid: `CA${String(i).padStart(32, '0')}`, From: '+8613800138000' },
          ip,
        );
      await exhaust(gw, IP_PER_MINUTE, call);
      expectLimited(await inject(gw, { method: 'GET', url: '/voice/twilio/stream', from: ip }));
      expect((await inject(gw, { ...call(0), from: newAddress() })).status).toBe(200);
    });

    it('limits Direct Line and the guest token per address, streams and reads included', async () => {
      const ip = newAddress();
      const open = (from: string): Request => ({
        url: '/v3/directline/conversations',
        headers: { authorization: `Bearer ${TEST_DIRECTLINE_SECRET}` },
        from,
      });
      await exhaust(gw, IP_PER_MINUTE, () => open(ip));
      const other = await inject(gw, open(newAddress()));
      expect(other.status).toBe(201);
      const { conversationId, token } = JSON.parse(other.body) as { conversationId: string; token: string };
      const auth = { authorization: `Bearer ${token}` };
      for (const url of [
        `/v3/directline/conversations/${conversationId}/activities`,
        `/v3/directline/conversations/${conversationId}/stream?t=${token}`,
      ]) {
        expectLimited(await inject(gw, { method: 'GET', url, headers: auth, from: ip }));
      }
      const post: Request = {
        url: `/v3/directline/conversations/${conversationId}/activities`,
        headers: { ...auth, 'content-type': 'application/json' },
        payload: JSON.stringify({ type: 'message', text: '你好' }),
        from: ip,
      };
      const before = await countAll(gw);
      expectLimited(await inject(gw, post));
      expect(await countAll(gw)).toEqual(before);

      const guestIp = newAddress();
      await exhaust(gw, IP_PER_MINUTE, () => ({ url: '/webchat/token', from: guestIp }));
      expect((await inject(gw, { url: '/webchat/token', from: newAddress() })).status).toBe(200);
    });

    it('limits the department join links per address', async () => {
      const ip = newAddress();
      await exhaust(gw, IP_PER_MINUTE, () => ({ method: 'GET', url: `/api/join/${'a'.repeat(32)}`, from: ip }));
      expect((await inject(gw, { method: 'GET', url: `/api/join/${'a'.repeat(32)}`, from: newAddress() })).status).toBe(
        404,
      );
    });

    it('leaves health, readiness, metrics and staff routes out of the address limit', async () => {
      const ip = newAddress();
      for (let i = 0; i < IP_PER_MINUTE + 3; i++) {
        for (const url of ['/healthz', '/readyz', '/metrics']) {
          expect((await inject(gw, { method: 'GET', url, from: ip })).status, url).toBe(200);
        }
        expect((await inject(gw, { method: 'GET', url: '/api/auth/me', from: ip })).status).toBe(401);
      }
      // Sign-in keeps its own limit (10 a minute), above the address limit set here.
      for (let i = 0; i < IP_PER_MINUTE + 1; i++) {
        const login = await inject(gw, {
          url: '/api/auth/login',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ username: 'nobody', password: 'wrong-password' }),
          from: ip,
        });
        expect(login.status).toBe(401);
      }
    });
  });

  describe('request size limits per route', () => {
    /** A JSON body of exactly `bytes` bytes: `fields` plus a padding field. */
    const jsonOf = (fields: Record<string, unknown>, bytes: number) => {
      const shell = JSON.stringify({ ...fields, pad: '' });
      return JSON.stringify({ ...fields, pad: 'x'.repeat(bytes - Buffer.byteLength(shell)) });
    };
    const formOf = (params: Record<string, string>, bytes: number) => {
      const shell = new URLSearchParams({ ...params, Pad: '' }).toString();
      return { ...params, Pad: 'x'.repeat(bytes - shell.length) };
    };

    interface Route {
      name: string;
      limit: number;
      request: (bytes: number, from: string) => Request;
      /** What the route answers to a body it reads (not 413). */
      accepted: number[];
    }

    const routes: Route[] = [
      {
        name: 'staff sign-in',
        limit: 4 * 1024,
        request: (bytes, from) => ({
          url: '/api/auth/login',
          headers: { 'content-type': 'application/json' },
          payload: jsonOf({ username: 'nobody', password: 'wrong-password' }, bytes),
          from,
        }),
        accepted: [401],
      },
      {
        name: 'guest token',
        limit: 4 * 1024,
        request: (bytes, from) => ({
          url: '/webchat/token',
          headers: { 'content-type': 'application/json' },
          payload: jsonOf({ locale: 'zh-CN' }, bytes),
          from,
        }),
        accepted: [200],
      },
      {
        name: 'Direct Line conversation start',
        limit: 4 * 1024,
        request: (bytes, from) => ({
          url: '/v3/directline/conversations',
          headers: { authorization: `Bearer ${TEST_DIRECTLINE_SECRET}`, 'content-type': 'application/json' },
          payload: jsonOf({ user: { name: '张三' } }, bytes),
          from,
        }),
        accepted: [201],
      },
      {
        name: 'Direct Line token generation',
        limit: 4 * 1024,
        request: (bytes, from) => ({
          url: '/v3/directline/tokens/generate',
          headers: { authorization: `Bearer ${TEST_DIRECTLINE_SECRET}`, 'content-type': 'application/json' },
          payload: jsonOf({ user: { id: 'dl_limits' } }, bytes),
          from,
        }),
        accepted: [200],
      },
      {
        name: 'department join message',
        limit: 32 * 1024,
        request: (bytes, from) => ({
          url: `/api/join/${'b'.repeat(32)}/messages`,
          headers: { 'content-type': 'application/json' },
          payload: jsonOf({ text: '你好' }, bytes),
          from,
        }),
        accepted: [404],
      },
      {
        name: 'Twilio voice webhook',
        limit: 32 * 1024,
        request: (bytes, from) =>
          twilioPost(
            '/voice/twilio/incoming',
            formOf({ CallSid: `CA${'7'.repeat(32)}`, From: '+8613800138000' }, bytes),
            from,
          ),
        accepted: [200],
      },
      {
        name: 'Twilio SMS status callback',
        limit: 32 * 1024,
        request: (bytes, from) =>
          twilioPost('/sms/twilio/status', formOf({ MessageSid: 'SMsize', MessageStatus: 'sent' }, bytes), from),
        accepted: [204],
      },
    ];

    for (const route of routes) {
      it(`${route.name}: 413 just above ${route.limit} bytes, accepted just below`, async () => {
        const over = route.request(route.limit + 1, newAddress());
        expect(Buffer.byteLength(over.payload!)).toBe(route.limit + 1);
        const before = await countAll(gw);
        const refused = await inject(gw, over);
        expect(refused.status, refused.body).toBe(413);
        expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'E_PAYLOAD_TOO_LARGE' } });
        expect(await countAll(gw)).toEqual(before);
        const under = route.request(route.limit, newAddress());
        expect(Buffer.byteLength(under.payload!)).toBe(route.limit);
        const answer = await inject(gw, under);
        expect(route.accepted, answer.body).toContain(answer.status);
      });
    }
  });
});

describe.skipIf(skip)('rate limits (SMS through the JSON gateway)', () => {
  const prefix = `minsheng-test-${randomUUID()}`;
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({
      engine: 'postgres',
      redisUrl: REDIS_URL,
      env: {
        ...limits,
        MINSHENG_REDIS_PREFIX: prefix,
        SMS_GATEWAY_URL: 'https://sms-gateway.limits.test/v1',
        SMS_GATEWAY_API_KEY: 'gw-key',
        SMS_GATEWAY_SECRET: GATEWAY_SECRET,
        SMS_FROM: '106912345',
      },
    });
    nock('https://sms-gateway.limits.test').persist().post(/.*/).reply(200, { id: 'gw-limits' });
  }, 60_000);
  afterAll(async () => {
    nock.cleanAll();
    await gw?.cleanup();
    await deleteRedisKeys(prefix);
  });

  const post = (phone: string, text: string, from: string, path = '/sms/gateway'): Request => {
    const raw = JSON.stringify({ from: phone, to: '106912345', text, messageId: randomUUID() });
    return {
      url: path,
      headers: gatewayHeaders(GATEWAY_SECRET, raw),
      payload: raw,
      from,
    };
  };

  it('refuses a number past its messages a minute with 429 and Retry-After, storing nothing', async () => {
    const ip = newAddress();
    for (let i = 0; i < MESSAGES_PER_MINUTE; i++) {
      expect((await inject(gw, post('13800000011', `第${i}条`, ip))).status).toBe(200);
    }
    expectLimited(await inject(gw, post('13800000011', '超出的一条', ip)));
    expect(await storedFrom(gw, 'sms:13800000011')).toBe(MESSAGES_PER_MINUTE);
    expect((await inject(gw, post('13800000012', '你好', ip))).status).toBe(200);
  });

  it('limits the webhooks per address', async () => {
    const ip = newAddress();
    await exhaust(gw, IP_PER_MINUTE, (i) => post(`139000001${String(i).padStart(2, '0')}`, '你好', ip));
    expectLimited(await inject(gw, post('13900000199', 'x', ip, '/sms/gateway/status')));
    expect((await inject(gw, post('13900000198', '你好', newAddress()))).status).toBe(200);
  });
});
