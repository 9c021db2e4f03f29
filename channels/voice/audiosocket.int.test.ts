/**
 * The voice bot over Asterisk's AudioSocket protocol (TCP), with a city switch's call-control webhook
 * (nock plays the switch): frames in and out, pacing, DTMF, hang-up, and bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIOSOCKET_KIND, audioSocketFrame, AudioSocketParser } from './audiosocket.js';
import { AudioSocketClient } from '../../test/support/audiosocket-client.js';
import { FakeTranscriber } from './fake-transcriber.js';
import { signControlRequest } from './webhook-telephony.js';
import { eventually, startTestGateway, type TestGateway } from '../../test/support/gateway.js';
import nock, { onlyLocalNetwork } from '../../test/support/nock.js';
import { espeakMissing } from '../../test/support/espeak.js';
import { endedCall, silence, toneBurst } from '../../test/support/twilio-media-client.js';

onlyLocalNetwork();

const SWITCH = 'http://switch.city.example';
const SECRET = 'switch-secret-0123456789';

const uuid = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
const callId = '01234567-89ab-cdef-0123-456789abcdef';

describe.skipIf(espeakMissing)('voice bot over AudioSocket', () => {
  let gateway: TestGateway;
  let port: number;
  const transcriber = new FakeTranscriber();

  beforeAll(async () => {
    gateway = await startTestGateway({
      env: {
        VOICE_AUDIOSOCKET_PORT: '0',
        WHISPER_MODEL: '/nonexistent/ggml-model.bin',
        VOICE_CONTROL_URL: `${SWITCH}/call-control`,
        VOICE_CONTROL_SECRET: SECRET,
      },
      transcriber,
    });
    port = gateway.voice!.audioSocketPort!;
  }, 60_000);
  afterAll(() => gateway?.cleanup());

  it('parses frames split anywhere across TCP reads', () => {
    const bytes = Buffer.concat([
      audioSocketFrame(AUDIOSOCKET_KIND.uuid, uuid),
      audioSocketFrame(AUDIOSOCKET_KIND.dtmf, Buffer.from('5')),
      audioSocketFrame(AUDIOSOCKET_KIND.hangup),
    ]);
    const parser = new AudioSocketParser();
    const frames = [...bytes].flatMap((byte) => parser.push(Buffer.from([byte])));
    expect(frames.map((f) => f.kind)).toEqual([AUDIOSOCKET_KIND.uuid, AUDIOSOCKET_KIND.dtmf, AUDIOSOCKET_KIND.hangup]);
    expect(frames[0]!.payload.equals(uuid)).toBe(true);
  });

  it('greets in paced 20 ms frames and transfers a caller who presses 0 through the switch webhook', async () => {
    let body = '';
    let signature = '';
    let timestamp = '';
    const control = nock(SWITCH)
      .post('/call-control')
      .reply(async (request: Request) => {
        body = await request.text();
        signature = request.headers.get('x-minsheng-signature') ?? '';
        timestamp = request.headers.get('x-minsheng-timestamp') ?? '';
        return [200, {}];
      });
    const client = await AudioSocketClient.connect(port);
    client.send(AUDIOSOCKET_KIND.uuid, uuid);
    client.streamSilence();
    await eventually(() => (client.audioFrames().length >= 50 ? true : undefined), 20_000, 'a second of greeting');
    const frames = client.audioFrames();
    expect(frames.every((f) => f.payload.length === 320)).toBe(true);
    // Paced as Asterisk plays it: 50 frames take about a second, not a burst.
    const first = client.arrivals[client.frames.indexOf(frames[0]!)]!;
    const fiftieth = client.arrivals[client.frames.indexOf(frames[49]!)]!;
    expect(fiftieth - first).toBeGreaterThan(800);

    client.send(AUDIOSOCKET_KIND.dtmf, Buffer.from('0'));
    await eventually(async () => (await gateway.calls.get(`audiosocket:${callId}`))?.outcome ?? undefined, 30_000);
    expect(control.isDone()).toBe(true);
    expect(JSON.parse(body)).toMatchObject({ action: 'transfer-to-agents', callId });
    expect(signature).toBe(signControlRequest(SECRET, timestamp, body));

    client.send(AUDIOSOCKET_KIND.hangup);
    const record = await endedCall(gateway, `audiosocket:${callId}`);
    expect(record.endReason).toBe('caller-hung-up');
    client.socket.destroy();
  });

  it('takes speech to the assistant and hangs up with a frame when the caller says nothing more', async () => {
    const client = await AudioSocketClient.connect(port);
    const id = Buffer.from('fedcba9876543210fedcba9876543210', 'hex');
    client.send(AUDIOSOCKET_KIND.uuid, id);
    const calls = transcriber.calls.length;
    client.audio(toneBurst(800));
    client.audio(silence(1000));
    await eventually(() => (transcriber.calls.length > calls ? true : undefined), 10_000, 'a transcription');
    // Then only silence, faster than real time: two prompts, a goodbye, the hang-up frame.
    for (let i = 0; i < 60 && !client.closed; i++) {
      client.audio(silence(1000));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await eventually(() => (client.closed ? true : undefined), 60_000, 'the hang-up');
    expect(client.frames.at(-1)?.kind).toBe(AUDIOSOCKET_KIND.hangup);
  }, 90_000);

  it('hangs up at once when the bot is at capacity, so the dialplan goes on', async () => {
    const { settings } = gateway.voice!.services;
    const maxCalls = settings.maxCalls;
    settings.maxCalls = 0;
    try {
      const client = await AudioSocketClient.connect(port);
      await eventually(() => (client.closed ? true : undefined), 5_000, 'the hang-up');
      expect(client.frames.map((f) => f.kind)).toEqual([AUDIOSOCKET_KIND.hangup]);
    } finally {
      settings.maxCalls = maxCalls;
    }
  });

  it('closes a connection that sends frames before naming the call', async () => {
    const client = await AudioSocketClient.connect(port);
    for (let i = 0; i < 25; i++) client.send(AUDIOSOCKET_KIND.audio, Buffer.alloc(320));
    await eventually(() => (client.closed ? true : undefined), 5_000, 'the close');
  });
});
