/**
 * No citizen's phone or ID number reaches the logs unmasked. A whole gateway logs at `trace` (every line it
 * can write) while citizens give their numbers on web chat, SMS and WeChat, in a complaint the bot files,
 * in a handoff to an agent who repeats a number back, in malformed and badly signed requests, and as a
 * staff username; then every line is searched for the numbers and for anything else the masking would
 * still change.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.js';
import { maskPii } from '../core/pii.js';
import { Citizen, DeskClient } from './support/desk-client.js';
import { eventually, startTestGateway, type TestGateway } from './support/gateway.js';
import nock, { onlyLocalNetwork } from './support/nock.js';
import { createStaff } from './support/staff.js';
import { wechatSignature } from './support/wechat.js';

const PHONE = '13812345678';
const SMS_PHONE = '+8613912345678';
const WECHAT_PHONE = '13698765432';
const AGENT_PHONE = '15011112222';
const ID_NUMBER = '110101199003071234';
const RAW = [PHONE, SMS_PHONE.slice(3), WECHAT_PHONE, AGENT_PHONE, ID_NUMBER];

const SMS_TOKEN = 'pii-sms-auth-token-0123456789';
const ACCOUNT = 'ACpii0123456789';
const PUBLIC_URL = 'https://12345.example.gov.cn';
const SMS_API = 'https://sms.example.test';
const WECHAT_TOKEN = 'piitoken';
const WECHAT_API = 'https://api.weixin.example.test';

onlyLocalNetwork();

describe('personal numbers in the logs', () => {
  let gw: TestGateway;
  const lines: string[] = [];
  const smsSent: string[] = [];
  const wechatSent: string[] = [];

  beforeAll(async () => {
    const destination = new PassThrough();
    let pending = '';
    destination.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const complete = pending.split('\n');
      pending = complete.pop()!;
      lines.push(...complete.filter(Boolean));
    });
    // The provider refuses the first message with an error that quotes the number, as Twilio's do.
    let refused = false;
    nock(SMS_API)
      .post(`/2010-04-01/Accounts/${ACCOUNT}/Messages.json`)
      .times(50)
      .reply(async (request: Request) => {
        smsSent.push(await request.text());
        if (!refused) {
          refused = true;
          return [400, { code: 21211, message: `The 'To' number ${SMS_PHONE} is not a valid phone number.` }];
        }
        return [201, { sid: `SM${randomBytes(16).toString('hex')}`, status: 'queued' }];
      });
    nock(WECHAT_API)
      .get('/cgi-bin/token')
      .query(true)
      .times(5)
      .reply(200, { access_token: 'pii-access-token', expires_in: 7200 })
      .post('/cgi-bin/message/custom/send')
      .query(true)
      .times(50)
      .reply(async (request: Request) => {
        wechatSent.push(await request.text());
        return [200, { errcode: 0, errmsg: 'ok' }];
      });
    gw = await startTestGateway({
      logger: createLogger({ level: 'trace', destination }),
      env: {
        LOG_LEVEL: 'trace',
        PUBLIC_URL,
        TWILIO_ACCOUNT_SID: ACCOUNT,
        TWILIO_AUTH_TOKEN: SMS_TOKEN,
        SMS_FROM: '+8610612345',
        SMS_API_BASE_URL: SMS_API,
        WECHAT_TOKEN,
        WECHAT_APP_ID: 'wxpii0123456789',
        WECHAT_APP_SECRET: 'pii-app-secret-0123456789',
        WECHAT_API_BASE_URL: WECHAT_API,
        WECHAT_PASSIVE_REPLY_MS: '1',
      },
    });
    await createStaff(gw, 'agent-li', ['agent']);
  });
  afterAll(async () => gw?.cleanup());

  it('masks every one of them, on every channel and every path', async () => {
    // Web chat: a complaint with the citizen's numbers, then a person, who repeats a number back.
    const agent = await (await DeskClient.signIn(gw.url, 'agent-li')).connect();
    await agent.ok('PUT', '/presence', { presence: 'available' });
    const citizen = await Citizen.open(gw.url);
    await citizen.say(`我要投诉，楼下烧烤店油烟太大了，我叫张三，电话${PHONE}，身份证号${ID_NUMBER}`);
    await citizen.say(`地址是幸福路1号，联系电话 138-1234-5678`);
    await citizen.say('转人工');
    const handoff = await eventually(async () => {
      const h = await gw.handoffs.store.openOf(citizen.conversationId);
      return h?.status === 'offered' ? h : undefined;
    }, 15_000);
    await agent.ok('POST', `/handoffs/${handoff.id}/accept`, {});
    await agent.ok('POST', `/handoffs/${handoff.id}/messages`, { text: `您好，请问您的电话是${AGENT_PHONE}吗？` });
    await citizen.say(`不是，是${PHONE}`);

    // Malformed JSON that quotes a number, and a forged token.
    const malformed = await fetch(`${gw.url}/v3/directline/conversations/${citizen.conversationId}/activities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${citizen.bearer}`, 'content-type': 'application/json' },
      body: `{"type":"message","text":"我的电话${PHONE}"`,
    });
    expect(malformed.status).toBe(400);
    const forged = await fetch(`${gw.url}/v3/directline/conversations/${PHONE}/activities`, {
      headers: { authorization: `Bearer ${ID_NUMBER}` },
    });
    expect(forged.status).toBe(401);

    // SMS: from a mobile number, with an ID number in the text; and once with a bad signature.
    const params = {
      From: SMS_PHONE,
      To: '+8610612345',
      Body: `身份证${ID_NUMBER}丢了怎么补办`,
      MessageSid: `SM${randomBytes(16).toString('hex')}`,
      AccountSid: ACCOUNT,
    };
    const sms = (signature: string) =>
      fetch(`${gw.url}/sms/twilio`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
        body: new URLSearchParams(params),
      });
    expect((await sms('forged')).status).toBe(403);
    expect((await sms(twilio.getExpectedTwilioSignature(SMS_TOKEN, `${PUBLIC_URL}/sms/twilio`, params))).status).toBe(
      200,
    );

    // WeChat: a number in the text (the reply goes by the customer-service API).
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(6).toString('hex');
    const signature = wechatSignature([WECHAT_TOKEN, timestamp, nonce]);
    const xml = `<xml><ToUserName><![CDATA[gh_12345]]></ToUserName><FromUserName><![CDATA[o-pii-citizen]]></FromUserName><CreateTime>${timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[我的手机号${WECHAT_PHONE}，医保卡丢了怎么办]]></Content><MsgId>${BigInt(`0x${randomBytes(7).toString('hex')}`)}</MsgId></xml>`;
    const wechat = await fetch(`${gw.url}/wechat?${new URLSearchParams({ timestamp, nonce, signature })}`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: xml,
    });
    expect(wechat.status).toBe(200);

    // A staff sign-in with a phone number as the username.
    const login = await fetch(`${gw.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: PHONE, password: 'not-the-password' }),
    });
    expect(login.status).toBe(401);

    // Everything answered and delivered before the logs are read.
    await eventually(() => (smsSent.length > 0 && wechatSent.length > 0 ? true : undefined), 20_000, 'the replies');
    await eventually(async () => {
      const unanswered = await gw.database.db
        .selectFrom('activities')
        .select('id')
        .where('direction', '=', 'inbound')
        .where('processed_at', 'is', null)
        .execute();
      const undelivered = await gw.database.db
        .selectFrom('activities')
        .select('id')
        .where('delivery_status', '=', 'pending')
        .execute();
      return unanswered.length === 0 && undelivered.length === 0 ? true : undefined;
    }, 20_000);
    // The delivery worker logs after it records the outcome.
    await eventually(() => (lines.some((line) => line.includes('could not be delivered')) ? true : undefined));

    // The run logged every request and turn (debug), and the provider's error that quoted a number, masked.
    expect(lines.length).toBeGreaterThan(25);
    const levels = new Set(lines.map((line) => (JSON.parse(line) as { level: number }).level));
    expect(levels.has(20)).toBe(true);
    const text = lines.join('\n');
    expect(text).toContain('+86139****5678');

    for (const raw of RAW) expect(text, `unmasked ${raw}`).not.toContain(raw);
    const leaking = lines.filter((line) => maskPii(line) !== line);
    expect(leaking).toEqual([]);
  });
});
