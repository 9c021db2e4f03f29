/**
 * Recorded audio through the queue: a WeChat voice message without WeChat's own recognition is fetched,
 * stored, transcribed (the scripted fake here; whisper.cpp in channels/voice/whisper.int.test.ts) and
 * answered as if typed, through the customer-service API (nock plays WeChat).
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeWav } from './voice/audio.js';
import { FakeTranscriber } from './voice/fake-transcriber.js';
import { eventually, startTestGateway, type TestGateway } from '../test/support/gateway.js';
import nock, { onlyLocalNetwork } from '../test/support/nock.js';
import { toneBurst } from '../test/support/twilio-media-client.js';

const TOKEN = 'minshengtoken';
const API = 'https://api.weixin.example.test';

const signedQuery = () => {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(6).toString('hex');
  const signature = createHash('sha1').update([TOKEN, timestamp, nonce].sort().join('')).digest('hex');
  return new URLSearchParams({ timestamp, nonce, signature, openid: 'x' });
};

const voiceMessage = (from: string, mediaId: string, msgId: string) =>
  `<xml><ToUserName><![CDATA[gh_12345hotline]]></ToUserName><FromUserName><![CDATA[${from}]]></FromUserName><CreateTime>1357290913</CreateTime><MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[${mediaId}]]></MediaId><Format><![CDATA[amr]]></Format><MsgId>${msgId}</MsgId></xml>`;

onlyLocalNetwork();

describe('recorded audio is transcribed by a queued job and answered', () => {
  let gw: TestGateway;
  const transcriber = new FakeTranscriber({ script: ['社保卡丢了怎么补办'] });
  const sent: { touser: string; content: string }[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({
      env: {
        WECHAT_TOKEN: TOKEN,
        WECHAT_APP_ID: 'wx0123456789abcdef',
        WECHAT_APP_SECRET: 'app-secret',
        WECHAT_API_BASE_URL: API,
        WHISPER_MODEL: '/nonexistent/ggml-model.bin',
        JOB_ATTEMPTS: '2',
      },
      transcriber,
    });
  }, 60_000);
  afterAll(() => gw?.cleanup());

  const wechatAnswers = (mediaId: string, body: Buffer, contentType: string) => {
    nock(API).get('/cgi-bin/token').query(true).reply(200, { access_token: 'TOKEN', expires_in: 7200 });
    nock(API).get('/cgi-bin/media/get').query({ access_token: 'TOKEN', media_id: mediaId }).reply(200, body, {
      'content-type': contentType,
    });
    nock(API)
      .post('/cgi-bin/message/custom/send')
      .query(true)
      .times(5)
      .reply(200, async (request: Request) => {
        const message = (await request.json()) as { touser: string; text: { content: string } };
        sent.push({ touser: message.touser, content: message.text.content });
        return { errcode: 0, errmsg: 'ok' };
      });
  };
  const post = (xml: string) =>
    fetch(`${gw.url}/wechat?${signedQuery()}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: xml });

  it('answers the transcript of a voice message through the customer-service API', async () => {
    wechatAnswers('voice-1', writeWav(toneBurst(1500), 8000), 'audio/wav');
    const response = await post(voiceMessage('o-voice-1', 'voice-1', '7000000000000000001'));
    // Nothing to answer yet: WeChat gets `success` at once, not after the passive-reply wait.
    expect(await response.text()).toBe('success');
    const reply = await eventually(() => sent.find((s) => s.touser === 'o-voice-1'), 20_000, 'the answer');
    expect(reply.content).toMatch(/社保卡/);
    // 1.5 s at 8 kHz reached the recogniser as 16 kHz.
    expect(transcriber.calls.at(-1)?.samples).toBe(24_000);
    const texts = await gw.database.db
      .selectFrom('activities')
      .select(['text', 'channel_message_id'])
      .where('channel_message_id', 'like', 'transcript:%')
      .execute();
    expect(texts).toEqual([expect.objectContaining({ text: '社保卡丢了怎么补办' })]);
  });

  it('asks the citizen to type when the recording cannot be decoded, and keeps it for agents', async () => {
    const calls = transcriber.calls.length;
    // AMR needs ffmpeg; a path that is not one stands for a machine without it.
    wechatAnswers('voice-2', Buffer.from('#!AMR\n' + 'x'.repeat(200)), 'audio/amr');
    await post(voiceMessage('o-voice-2', 'voice-2', '7000000000000000002'));
    const reply = await eventually(() => sent.find((s) => s.touser === 'o-voice-2'), 20_000, 'the answer');
    expect(reply.content).toMatch(/文字/);
    expect(transcriber.calls.length).toBe(calls);
    const kept = await gw.database.db
      .selectFrom('media')
      .select(['content_type', 'size'])
      .where('source', '=', 'wechat:voice-2')
      .executeTakeFirst();
    expect(kept).toEqual({ content_type: 'audio/amr', size: 206 });
  });
});
