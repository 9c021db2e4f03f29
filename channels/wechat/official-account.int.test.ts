import { randomBytes } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, type TestGateway } from '../../test/support/gateway.js';
import nock, { onlyLocalNetwork } from '../../test/support/nock.js';
import { createStaff, STAFF_PASSWORD } from '../../test/support/staff.js';
import { DeskClient } from '../../test/support/desk-client.js';
import { sealWechat, unsealWechat, wechatSignature } from '../../test/support/wechat.js';
import { splitWechatText } from './official-account.js';

/**
 * The official account channel through whole gateways. The test side signs and encrypts messages with
 * its own implementation of WeChat's documented scheme (the gateway uses @wecom/crypto), so each checks
 * the other; WeChat's API is faked by nock (the one outbound call a test may fake).
 */
const TOKEN = 'minshengtoken';
const APP_ID = 'wx0123456789abcdef';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const API = 'https://api.weixin.example.test';

const sha1 = wechatSignature;
const seal = (xml: string) => sealWechat(AES_KEY, APP_ID, xml);
const unseal = (encrypted: string) => unsealWechat(AES_KEY, encrypted);

const parser = new XMLParser({ processEntities: false, parseTagValue: false });
const parse = (xml: string) => (parser.parse(xml) as { xml: Record<string, string> }).xml;

/** A message as WeChat's documentation shows it. */
const textMessage = (from: string, content: string, msgId: string) =>
  `<xml><ToUserName><![CDATA[gh_12345hotline]]></ToUserName><FromUserName><![CDATA[${from}]]></FromUserName><CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>${msgId}</MsgId></xml>`;

function signedQuery(extra: Record<string, string> = {}) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(6).toString('hex');
  return { timestamp, nonce, signature: sha1([TOKEN, timestamp, nonce]), openid: 'x', ...extra };
}

async function postXml(gw: TestGateway, body: string, query: Record<string, string>) {
  return fetch(`${gw.url}/wechat?${new URLSearchParams(query)}`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml' },
    body,
  });
}

function encryptedPost(gw: TestGateway, xml: string, tamper = false) {
  const Encrypt = seal(xml);
  const query = signedQuery({ encrypt_type: 'aes' });
  const msg_signature = tamper ? sha1(['forged']) : sha1([TOKEN, query.timestamp, query.nonce, Encrypt]);
  return postXml(
    gw,
    `<xml><ToUserName><![CDATA[gh_12345hotline]]></ToUserName><Encrypt><![CDATA[${Encrypt}]]></Encrypt></xml>`,
    {
      ...query,
      msg_signature,
    },
  );
}

const env = (passiveReplyMs: number) => ({
  WECHAT_TOKEN: TOKEN,
  WECHAT_APP_ID: APP_ID,
  WECHAT_APP_SECRET: 'app-secret',
  WECHAT_ENCODING_AES_KEY: AES_KEY,
  WECHAT_API_BASE_URL: API,
  WECHAT_PASSIVE_REPLY_MS: String(passiveReplyMs),
  JOB_ATTEMPTS: '3',
});

onlyLocalNetwork();

/** WeChat's customer-service message API: accepts the next ten sends and records each. */
function customServiceApi() {
  const sent: { touser: string; content: string; token: string }[] = [];
  nock(API)
    .post('/cgi-bin/message/custom/send')
    .query(true)
    .times(10)
    .reply(200, async (request: Request) => {
      const body = (await request.json()) as { touser: string; text: { content: string } };
      sent.push({
        touser: body.touser,
        content: body.text.content,
        token: new URL(request.url).searchParams.get('access_token')!,
      });
      return { errcode: 0, errmsg: 'ok' };
    });
  return sent;
}

describe('WeChat official account: passive replies', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ env: env(4000) });
  });
  afterAll(async () => gw?.cleanup());

  it('answers URL verification only with the right signature', async () => {
    const query = { ...signedQuery(), echostr: 'echo-1234' };
    const ok = await fetch(`${gw.url}/wechat?${new URLSearchParams(query)}`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('echo-1234');
    const bad = await fetch(`${gw.url}/wechat?${new URLSearchParams({ ...query, signature: sha1(['x']) })}`);
    expect(bad.status).toBe(403);
  });

  it('answers a plaintext message in the response, and a retried MsgId once', async () => {
    const api = nock(API).post(/.*/).reply(200, { errcode: 0 });
    const xml = textMessage('o-citizen-1', '我在这边租房住，公积金能不能取出来交房租', '5000000000000000001');
    const response = await postXml(gw, xml, signedQuery());
    expect(response.status).toBe(200);
    const reply = parse(await response.text());
    expect(reply).toMatchObject({ ToUserName: 'o-citizen-1', FromUserName: 'gh_12345hotline', MsgType: 'text' });
    expect(reply.Content).toContain('公积金');
    expect(reply.Content).toContain('以上答复是否解决了您的问题');

    // WeChat retries when it thinks the first try failed: acknowledged, nothing answered twice.
    const retry = await postXml(gw, xml, signedQuery());
    expect(await retry.text()).toBe('success');
    const rows = await gw.database.db
      .selectFrom('activities')
      .select(['id', 'delivery_status'])
      .where('channel_message_id', '=', '5000000000000000001')
      .execute();
    expect(rows).toHaveLength(1);
    // The replies were claimed by the passive reply: the delayed sends find nothing to do.
    await new Promise((resolve) => setTimeout(resolve, 5500));
    expect(api.isDone()).toBe(false);
  });

  it('refuses bad signatures with 403', async () => {
    const xml = textMessage('o-citizen-2', '你好', '5000000000000000002');
    expect((await postXml(gw, xml, { ...signedQuery(), signature: sha1(['forged']) })).status).toBe(403);
    expect((await postXml(gw, xml, { timestamp: '1', nonce: '2' })).status).toBe(403);
    expect((await encryptedPost(gw, xml, true)).status).toBe(403);
  });

  it('decrypts safe-mode messages and encrypts the reply', async () => {
    const response = await encryptedPost(gw, textMessage('o-citizen-3', '身份证丢了怎么补办', '5000000000000000003'));
    expect(response.status).toBe(200);
    const envelope = parse(await response.text());
    expect(envelope.MsgSignature).toBe(sha1([TOKEN, envelope.TimeStamp!, envelope.Nonce!, envelope.Encrypt!]));
    const opened = unseal(envelope.Encrypt!);
    expect(opened.appId).toBe(APP_ID);
    expect(parse(opened.xml).Content).toContain('身份证');
  });

  it('reads voice through WeChat’s recognition, and welcomes a new follower', async () => {
    const voice = `<xml><ToUserName><![CDATA[gh_12345hotline]]></ToUserName><FromUserName><![CDATA[o-citizen-4]]></FromUserName><CreateTime>1357290913</CreateTime><MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[media_id]]></MediaId><Format><![CDATA[amr]]></Format><Recognition><![CDATA[社保卡丢了怎么补办]]></Recognition><MsgId>5000000000000000004</MsgId></xml>`;
    expect(parse(await (await postXml(gw, voice, signedQuery())).text()).Content).toContain('社保卡');
    const subscribe = `<xml><ToUserName><![CDATA[gh_12345hotline]]></ToUserName><FromUserName><![CDATA[o-citizen-5]]></FromUserName><CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event></xml>`;
    expect(parse(await (await postXml(gw, subscribe, signedQuery())).text()).Content).toContain('12345');
  });

  it('keeps an image a citizen sent, for agents only', async () => {
    const picture = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');
    nock(API).get('/cgi-bin/token').query(true).reply(200, { access_token: 'MEDIA-TOKEN', expires_in: 7200 });
    nock(API)
      .get('/cgi-bin/media/get')
      .query({ access_token: 'MEDIA-TOKEN', media_id: 'media-photo-1' })
      .reply(200, picture, { 'content-type': 'image/jpeg' });
    const image = `<xml><ToUserName><![CDATA[gh_12345hotline]]></ToUserName><FromUserName><![CDATA[o-citizen-7]]></FromUserName><CreateTime>1348831860</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://mmbiz.example/pic.jpg]]></PicUrl><MediaId><![CDATA[media-photo-1]]></MediaId><MsgId>5000000000000000007</MsgId></xml>`;
    expect((await postXml(gw, image, signedQuery())).status).toBe(200);
    const url = await eventually(async () => {
      const row = await gw.database.db
        .selectFrom('activities')
        .select('body')
        .where('channel_message_id', '=', '5000000000000000007')
        .executeTakeFirst();
      const contentUrl = (row?.body as { attachments?: { contentUrl?: string }[] } | undefined)?.attachments?.[0]
        ?.contentUrl;
      return contentUrl?.startsWith('/api/media/') ? contentUrl : undefined;
    }, 15_000);
    await createStaff(gw, 'wechat-agent', ['agent']);
    const login = await fetch(`${gw.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'wechat-agent', password: STAFF_PASSWORD }),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const seen = await fetch(`${gw.url}${url}`, { headers: { cookie } });
    expect(seen.status).toBe(200);
    expect(seen.headers.get('content-type')).toBe('image/jpeg');
    expect(seen.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await seen.arrayBuffer())).toEqual(picture);
    expect((await fetch(`${gw.url}${url}`)).status).toBe(401);
  });

  it('refuses XML bombs, external entities, malformed XML and oversized bodies', async () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><xml><FromUserName>&lol2;</FromUserName><MsgType>text</MsgType><Content>&lol2;</Content></xml>`;
    expect((await postXml(gw, bomb, signedQuery())).status).toBe(400);
    const external = `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><FromUserName>o</FromUserName><MsgType>text</MsgType><Content>&xxe;</Content></xml>`;
    expect((await postXml(gw, external, signedQuery())).status).toBe(400);
    expect((await postXml(gw, '<xml><FromUserName>o</FromUserName><Content>', signedQuery())).status).toBe(400);
    const huge = textMessage('o-citizen-6', '字'.repeat(400_000), '5000000000000000006');
    expect((await postXml(gw, huge, signedQuery())).status).toBe(413);
  });

  it("answers the citizen's messages with `success` and sends the agent's through the customer-service API", async () => {
    // Whatever token the earlier tests left cached, or a fresh one.
    nock(API).get('/cgi-bin/token').query(true).optionally().reply(200, { access_token: 'TOKEN-A', expires_in: 7200 });
    const sent = customServiceApi();
    await createStaff(gw, 'wechat-desk-agent', ['agent']);
    const desk = await (await DeskClient.signIn(gw.url, 'wechat-desk-agent')).connect();
    await desk.ok('PUT', '/presence', { presence: 'available' });
    // The bot's answer to 转人工 is the passive reply; then the agent takes over.
    const asked = await postXml(gw, textMessage('o-agent-1', '转人工', '6100000000000000001'), signedQuery());
    expect(parse(await asked.text()).Content).toContain('转接人工坐席');
    const handoff = await eventually(async () => {
      const { items } = await desk.ok('GET', '/handoffs?view=mine');
      return items.find((h: { channelId: string }) => h.channelId === 'wechat');
    });
    await desk.ok('POST', `/handoffs/${handoff.id}/accept`, {});
    await desk.ok('POST', `/handoffs/${handoff.id}/messages`, { text: '您好，我是人工坐席小李。' });
    await eventually(() => (sent.some((m) => m.content === '您好，我是人工坐席小李。') ? true : undefined));
    expect(sent.find((m) => m.content === '您好，我是人工坐席小李。')?.touser).toBe('o-agent-1');

    const said = await postXml(
      gw,
      textMessage('o-agent-1', '我家楼下的路灯坏了', '6100000000000000002'),
      signedQuery(),
    );
    expect(await said.text()).toBe('success');
    const card = await desk.ok('GET', `/handoffs/${handoff.id}`);
    expect(card.transcript.map((a: { text?: string }) => a.text)).toContain('我家楼下的路灯坏了');
    nock.cleanAll();
  });
});

describe('WeChat official account: replies by the customer-service API', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    // No time for a passive reply: every reply takes the asynchronous path.
    gw = await startTestGateway({ env: env(0) });
  });
  afterAll(async () => gw?.cleanup());

  const status = async (msgId: string) => {
    const inbound = await gw.database.db
      .selectFrom('activities')
      .select('id')
      .where('channel_message_id', '=', msgId)
      .executeTakeFirst();
    if (!inbound) return undefined;
    return gw.database.db
      .selectFrom('activities')
      .select(['id', 'delivery_status', 'delivery_attempts', 'delivery_error', 'text'])
      .where('reply_to_id', '=', inbound.id)
      .execute();
  };

  it('answers `success` at once and sends the reply through the API, with one shared token', async () => {
    const tokens = nock(API)
      .get('/cgi-bin/token')
      .query({ grant_type: 'client_credential', appid: APP_ID, secret: 'app-secret' })
      .once()
      .reply(200, { access_token: 'TOKEN-1', expires_in: 7200 });
    const sent = customServiceApi();
    const response = await postXml(
      gw,
      textMessage('o-async-1', '你好，有个问题想问一下', '6000000000000000001'),
      signedQuery(),
    );
    expect(await response.text()).toBe('success');
    await postXml(gw, textMessage('o-async-2', '我要反映个事', '6000000000000000002'), signedQuery());
    await eventually(async () => (sent.length >= 2 ? true : undefined), 15_000, 'two customer-service sends');
    expect(sent.map((s) => s.touser).sort()).toEqual(['o-async-1', 'o-async-2']);
    expect(sent.every((s) => s.token === 'TOKEN-1')).toBe(true);
    expect(tokens.isDone()).toBe(true);
    // The send is marked once the API answered, a moment after the fake provider saw it.
    await eventually(async () => {
      const rows = await status('6000000000000000001');
      return rows?.length === 1 && rows[0]!.delivery_status === 'sent' ? true : undefined;
    });
  });

  it('fetches a new token when WeChat rejects the cached one, and gives up outside the 48-hour window', async () => {
    // WeChat revoked TOKEN-1 (shared by the instances since the last test): the first send is refused.
    const fresh = nock(API)
      .get('/cgi-bin/token')
      .query(true)
      .once()
      .reply(200, { access_token: 'NEW', expires_in: 7200 });
    let calls = 0;
    nock(API)
      .post('/cgi-bin/message/custom/send')
      .query(true)
      .times(5)
      .reply(200, (request: Request) => {
        calls++;
        const token = new URL(request.url).searchParams.get('access_token');
        return token === 'TOKEN-1' ? { errcode: 40001, errmsg: 'invalid credential' } : { errcode: 0, errmsg: 'ok' };
      });
    await postXml(gw, textMessage('o-async-3', '你好，有个问题想问一下', '6000000000000000003'), signedQuery());
    const [sentRow] = await eventually(
      async () => {
        const rows = await status('6000000000000000003');
        return rows?.[0]?.delivery_status === 'sent' ? rows : undefined;
      },
      20_000,
      'the send with a fresh token',
    );
    expect(sentRow!.delivery_attempts).toBe(2);
    expect(calls).toBe(2);
    expect(fresh.isDone()).toBe(true);

    nock.cleanAll();
    nock(API).post('/cgi-bin/message/custom/send').query(true).times(5).reply(200, {
      errcode: 45015,
      errmsg: 'response out of time limit or subscription is canceled',
    });
    await postXml(gw, textMessage('o-async-4', '你好，有个问题想问一下', '6000000000000000004'), signedQuery());
    const [dead] = await eventually(async () => {
      const rows = await status('6000000000000000004');
      return rows?.[0]?.delivery_status === 'dead' ? rows : undefined;
    });
    expect(dead).toMatchObject({ delivery_attempts: 1, delivery_error: expect.stringContaining('45015') });
  });
});

describe('splitWechatText', () => {
  it('keeps each piece within the byte limit, cutting at sentence ends', () => {
    const text = '这是一句用来测试分段的话。'.repeat(300);
    const pieces = splitWechatText(text);
    expect(pieces.join('')).toBe(text);
    expect(pieces.every((p) => Buffer.byteLength(p) <= 2000)).toBe(true);
    expect(pieces.slice(0, -1).every((p) => p.endsWith('。'))).toBe(true);
  });
});
