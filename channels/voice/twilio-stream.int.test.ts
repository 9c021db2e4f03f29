/**
 * The voice bot over Twilio's protocol, end to end on a real gateway (PGlite): the signed incoming-call
 * webhook, the Media Streams socket, endpointing, the broker's turns, spoken replies (espeak-ng), barge-in,
 * DTMF, silence, call control against Twilio's REST API (nock) and bad input. Speech recognition is the
 * scripted fake here (broker-level behaviour); whisper.int.test.ts and voice-whisper.int.test.ts run the
 * real whisper.cpp.
 */
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeTranscriber } from './fake-transcriber.js';
import { streamToken } from './twilio-stream.js';
import { eventually, startTestGateway, type TestGateway } from '../../test/support/gateway.js';
import nock, { onlyLocalNetwork } from '../../test/support/nock.js';
import { createStaff, signIn } from '../../test/support/staff.js';
import {
  endedCall,
  silence,
  TEST_TWILIO,
  toneBurst,
  TWILIO_VOICE_ENV,
  TwilioMediaClient,
} from '../../test/support/twilio-media-client.js';
import { espeakMissing } from '../../test/support/espeak.js';

onlyLocalNetwork();

const TWILIO_API = 'https://api.twilio.com';
const callPath = (sid: string) => `/2010-04-01/Accounts/${TEST_TWILIO.accountSid}/Calls/${sid}.json`;

describe.skipIf(espeakMissing)('voice bot over Twilio Media Streams', () => {
  let gateway: TestGateway;
  // Each test scripts what the caller "says".
  const transcriber = new FakeTranscriber();
  const script = { push: (...texts: string[]) => transcriber.enqueue(...texts) };

  beforeAll(async () => {
    gateway = await startTestGateway({
      env: {
        ...TWILIO_VOICE_ENV,
        // The fake recognises; the variable only switches speech recognition on.
        WHISPER_MODEL: '/nonexistent/ggml-model.bin',
        EMERGENCY_NUMBER_119: '+8657112119',
      },
      transcriber,
    });
  }, 60_000);
  afterAll(() => gateway?.cleanup());

  const conversationText = async (client: TwilioMediaClient) => {
    const record = await gateway.calls.get(`twilio:${client.callSid}`);
    const page = await gateway.broker.activitiesAfter(record!.conversationId!, 0);
    return page.activities.map((a) => `${a.from.role}:${a.text}`);
  };

  it('lists calls for supervisors only, with the caller masked', async () => {
    const client = await TwilioMediaClient.call(gateway.url, { from: '+8613912345678' });
    await eventually(async () =>
      (await gateway.calls.get(`twilio:${client.callSid}`))?.conversationId ? true : undefined,
    );
    await createStaff(gateway, 'voice-supervisor', ['supervisor']);
    await createStaff(gateway, 'voice-agent', ['agent']);
    const supervisor = await signIn(gateway, 'voice-supervisor', '/api/operations');
    const live = await supervisor('GET', '/voice-calls?open=true');
    expect(live.status).toBe(200);
    const listed = (live.body.items as { id: string; caller: string; endedAt: null }[]).find(
      (call) => call.id === `twilio:${client.callSid}`,
    );
    expect(listed).toMatchObject({ caller: '+86139****5678', endedAt: null });
    const agent = await signIn(gateway, 'voice-agent', '/api/operations');
    expect((await agent('GET', '/voice-calls')).status).toBe(403);
    expect((await fetch(`${gateway.url}/api/operations/voice-calls`)).status).toBe(401);
    client.stop();
    await endedCall(gateway, `twilio:${client.callSid}`);
  });

  it('queues a call for agents when the bot is at capacity, without opening a stream', async () => {
    const { settings } = gateway.voice!.services;
    const maxCalls = settings.maxCalls;
    settings.maxCalls = 0;
    try {
      const params = { CallSid: 'CA0overcapacity', From: '+8613800138000', To: TEST_TWILIO.callerId };
      const url = `${gateway.url}/voice/twilio/incoming`;
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': twilio.getExpectedTwilioSignature(TEST_TWILIO.authToken, url, params),
        },
        body: new URLSearchParams(params),
      });
      const twiml = await response.text();
      expect(twiml).toContain('<Say language="zh-CN">您好，智能语音助手线路繁忙');
      expect(twiml).toContain('<Enqueue>12345-agents</Enqueue>');
      expect(twiml).not.toContain('<Stream');
    } finally {
      settings.maxCalls = maxCalls;
    }
  });

  it('refuses an unsigned incoming-call webhook', async () => {
    const response = await fetch(`${gateway.url}/voice/twilio/incoming`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'CallSid=CA1&From=%2B8613800138000',
    });
    expect(response.status).toBe(403);
  });

  it('greets the caller, takes an utterance to the assistant and speaks its answer', async () => {
    script.push('社保卡丢了怎么补办');
    const synthesize = vi.spyOn(gateway.voice!.services.synthesizer, 'synthesize');
    const client = await TwilioMediaClient.call(gateway.url);
    // The greeting plays (its mark comes back at once), then the caller speaks for a second.
    await eventually(() => (client.completed >= 1 ? true : undefined), 20_000, 'the greeting');
    await client.sendAudio(silence(500));
    await client.sendAudio(toneBurst(1000));
    await client.sendAudio(silence(1500));
    // The answer, then "did this help?" with its two buttons.
    await eventually(() => (client.completed >= 3 ? true : undefined), 20_000, 'the spoken answer');
    const lines = await conversationText(client);
    expect(lines[0]).toMatch(/^bot:您好，这里是12345/);
    expect(lines[1]).toBe('user:社保卡丢了怎么补办');
    expect(lines[2]).toMatch(/^bot:.*(社保卡|补办)/);
    // What was spoken: the hotline's number digit by digit, and the buttons of the answer read as choices.
    const spoken = synthesize.mock.calls.map(([text]) => text);
    synthesize.mockRestore();
    expect(spoken[0]).toMatch(/^您好，这里是幺二三四五/);
    expect(spoken.some((text) => text.includes('您可以说：'))).toBe(true);
    // The greeting and the answer came back as audio: seconds of 8 kHz speech, not silence.
    expect(client.receivedBytes).toBeGreaterThan(8000 * 4);
    const [greeting] = client.received;
    expect(Math.max(...greeting!.map(Math.abs))).toBeGreaterThan(1000);
    client.stop();
    await endedCall(gateway, `twilio:${client.callSid}`);
    const record = await gateway.calls.get(`twilio:${client.callSid}`);
    expect(record).toMatchObject({ endReason: 'caller-hung-up', utterances: 1, caller: '+8613800138000' });
    expect(record!.audioMs).toBe(3000);
  });

  it('stops the bot talking when the caller speaks over it (barge-in)', async () => {
    script.push('我想问一下公积金提取');
    const client = await TwilioMediaClient.call(gateway.url, { holdMarks: true });
    await eventually(() => (client.marks.length >= 1 ? true : undefined), 20_000, 'the greeting');
    await client.sendAudio(toneBurst(600));
    await eventually(() => (client.clears >= 1 ? true : undefined), 5_000, 'a clear message');
    client.stop();
    await endedCall(gateway, `twilio:${client.callSid}`);
    expect(await gateway.calls.get(`twilio:${client.callSid}`)).toMatchObject({ bargeIns: 1 });
  });

  it('puts a caller who presses 0 in the agents queue through Twilio', async () => {
    const client = await TwilioMediaClient.call(gateway.url);
    let twiml = '';
    const api = nock(TWILIO_API)
      .post(callPath(client.callSid), (body: Record<string, string>) => {
        twiml = body.Twiml ?? '';
        return true;
      })
      .reply(200, { sid: client.callSid, status: 'in-progress' });
    await eventually(() => (client.completed >= 1 ? true : undefined), 20_000, 'the greeting');
    client.dtmf('0');
    // The call is moved once the handoff reply has been spoken.
    await eventually(async () => (await gateway.calls.get(`twilio:${client.callSid}`))?.outcome ?? undefined);
    expect(api.isDone()).toBe(true);
    expect(twiml).toContain('<Enqueue>12345-agents</Enqueue>');
    const lines = await conversationText(client);
    expect(lines).toContain('user:转人工');
    expect(lines.at(-1)).toMatch(/^bot:.*人工/);
    client.stop();
  });

  it('bridges an emergency to the configured 119 after telling the caller', async () => {
    script.push('着火了着火了，我们楼下的店铺烧起来了');
    const client = await TwilioMediaClient.call(gateway.url);
    let twiml = '';
    nock(TWILIO_API)
      .post(callPath(client.callSid), (body: Record<string, string>) => {
        twiml = body.Twiml ?? '';
        return true;
      })
      .reply(200, { sid: client.callSid, status: 'in-progress' });
    await eventually(() => (client.completed >= 1 ? true : undefined), 20_000, 'the greeting');
    await client.sendAudio(toneBurst(1200));
    await client.sendAudio(silence(1000));
    const record = await eventually(async () => {
      const found = await gateway.calls.get(`twilio:${client.callSid}`);
      return found?.outcome ? found : undefined;
    }, 20_000);
    expect(record.outcome).toBe('bridged:119');
    expect(twiml).toContain('+8657112119</Dial>');
    expect((await conversationText(client)).some((line) => /^bot:.*119/.test(line))).toBe(true);
    client.stop();
  });

  it('ends an hour of silence streamed faster than real time after two prompts and a goodbye', async () => {
    const client = await TwilioMediaClient.call(gateway.url);
    const started = performance.now();
    await eventually(() => (client.completed >= 1 ? true : undefined), 20_000, 'the greeting');
    const hour = silence(60 * 60 * 1000);
    await client.sendAudio(hour);
    const closed = await client.whenClosed();
    expect(closed.code).toBe(1000);
    // Greeting, "are you still there?" twice, goodbye.
    expect(client.completed).toBe(4);
    const record = await endedCall(gateway, `twilio:${client.callSid}`);
    expect(record.endReason).toBe('silence');
    expect(record.audioMs).toBeLessThan(10 * 60 * 1000);
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(gateway.voice!.services.active!.size).toBe(0);
  });

  it('closes a stream whose start names another encoding, and records why', async () => {
    const client = await TwilioMediaClient.call(gateway.url, {
      mediaFormat: { encoding: 'audio/x-l16', sampleRate: 16000, channels: 1 },
    });
    await client.whenClosed();
    const record = await endedCall(gateway, `twilio:${client.callSid}`);
    expect(record.endReason).toBe('unsupported-media-format');
  });

  it('refuses a stream without the token the webhook handed out, and records nothing', async () => {
    const client = await TwilioMediaClient.call(gateway.url, { token: streamToken('another secret', 'CA1') });
    const closed = await client.whenClosed();
    expect(closed).toMatchObject({ code: 1008, reason: 'invalid stream token' });
    expect(await gateway.calls.get(`twilio:${client.callSid}`)).toBeUndefined();
  });

  it('drops a stream that sends garbage: binary frames, broken JSON, bad payloads', async () => {
    const client = await TwilioMediaClient.call(gateway.url);
    for (let i = 0; i < 8; i++) client.socket.send(Buffer.from([0, 1, 2, 3]));
    for (let i = 0; i < 8; i++) client.socket.send('{"event": "media", ');
    for (let i = 0; i < 8; i++) {
      client.send({ event: 'media', media: { chunk: String(1000 + i), payload: '%%% not base64 %%%' } });
    }
    await client.whenClosed();
    const record = await endedCall(gateway, `twilio:${client.callSid}`);
    expect(record.endReason).toBe('protocol-error');
  });

  it('drops late and repeated chunks and fills a gap with silence', async () => {
    const client = await TwilioMediaClient.call(gateway.url);
    const frame = silence(20);
    client.sendFrame(frame, 1);
    client.sendFrame(frame, 2);
    client.sendFrame(frame, 2); // repeated
    client.sendFrame(frame, 5); // 3 and 4 lost
    client.sendFrame(frame, 4); // late
    client.stop();
    const record = await endedCall(gateway, `twilio:${client.callSid}`);
    expect(record.audioMs).toBe(5 * 20);
  });

  it('closes the call when the client vanishes mid-call, and keeps what was said', async () => {
    script.push('我要投诉小区门口的烧烤摊油烟太大');
    const client = await TwilioMediaClient.call(gateway.url);
    await eventually(() => (client.completed >= 1 ? true : undefined), 20_000, 'the greeting');
    await client.sendAudio(toneBurst(1500));
    // No stop, no close frame: the TCP connection just goes.
    client.socket.terminate();
    const record = await endedCall(gateway, `twilio:${client.callSid}`);
    expect(record.endReason).toBe('stream-closed');
    // The utterance in progress when the line went was still transcribed and stored.
    await eventually(async () =>
      (await conversationText(client)).includes('user:我要投诉小区门口的烧烤摊油烟太大') ? true : undefined,
    );
    expect(gateway.voice!.services.active!.size).toBe(0);
  });

  it('leaves no timers or sessions behind after calls that vanish', async () => {
    // Every timer the voice channel starts during these calls must be cleared, or have fired, when they end.
    const started = new Map<NodeJS.Timeout, string>();
    const real = { setInterval, setTimeout };
    const recording =
      <T extends (...args: never[]) => NodeJS.Timeout>(original: T) =>
      (...args: Parameters<T>) => {
        const timer = original(...args);
        const stack = new Error().stack ?? '';
        if (/channels\/voice\/(?!.*test)/.test(stack)) started.set(timer, stack.split('\n')[2]!.trim());
        return timer;
      };
    Object.assign(globalThis, {
      setInterval: recording(real.setInterval as never),
      setTimeout: recording(real.setTimeout as never),
    });
    try {
      const clients = await Promise.all(Array.from({ length: 10 }, () => TwilioMediaClient.call(gateway.url)));
      await Promise.all(
        clients.map((client) => eventually(() => (client.completed >= 1 ? true : undefined), 30_000, 'the greeting')),
      );
      for (const client of clients) client.socket.terminate();
      await eventually(() => (gateway.voice!.services.active!.size === 0 ? true : undefined), 20_000, 'calls ended');
      for (const client of clients) {
        expect((await gateway.calls.get(`twilio:${client.callSid}`))?.endReason).toBe('stream-closed');
      }
      expect(started.size).toBeGreaterThan(0);
      // Node marks a timer destroyed once it was cleared or, for a timeout, once it fired.
      const live = [...started].filter(([timer]) => !(timer as unknown as { _destroyed: boolean })._destroyed);
      expect(live.map(([, where]) => where)).toEqual([]);
    } finally {
      Object.assign(globalThis, real);
    }
  });
});
