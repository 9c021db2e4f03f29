/**
 * An agent on a phone call the bot still holds (AudioSocket with no call control to move the call): the
 * agent's messages are spoken to the caller by speech synthesis, and what the caller says reaches the desk.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIOSOCKET_KIND } from '../channels/voice/audiosocket.js';
import { FakeTranscriber } from '../channels/voice/fake-transcriber.js';
import { EspeakSynthesizer } from '../channels/voice/synthesizer.js';
import { AudioSocketClient } from '../test/support/audiosocket-client.js';
import { DeskClient } from '../test/support/desk-client.js';
import { espeakMissing } from '../test/support/espeak.js';
import { eventually, startTestGateway, type TestGateway } from '../test/support/gateway.js';
import { createStaff } from '../test/support/staff.js';
import { silence, toneBurst } from '../test/support/twilio-media-client.js';

/** espeak-ng, keeping every text it was asked to speak. */
class RecordingSynthesizer extends EspeakSynthesizer {
  readonly spoken: string[] = [];
  protected override async _synthesize(text: string, locale: string, signal?: AbortSignal) {
    this.spoken.push(text);
    return super._synthesize(text, locale, signal);
  }
}

describe.skipIf(espeakMissing)('an agent on a call the bot holds', () => {
  let gw: TestGateway;
  const transcriber = new FakeTranscriber();
  const synthesizer = new RecordingSynthesizer();

  beforeAll(async () => {
    gw = await startTestGateway({
      env: { VOICE_AUDIOSOCKET_PORT: '0', WHISPER_MODEL: '/nonexistent/ggml-model.bin' },
      transcriber,
      synthesizer,
    });
    await createStaff(gw, 'voice-agent', ['agent']);
  }, 60_000);
  afterAll(() => gw?.cleanup());

  it("speaks the agent's messages to the caller and brings the caller's words to the desk", async () => {
    const desk = await (await DeskClient.signIn(gw.url, 'voice-agent')).connect();
    await desk.ok('PUT', '/presence', { presence: 'available' });
    const client = await AudioSocketClient.connect(gw.voice!.audioSocketPort!);
    const callId = '0badc0de-0000-4000-8000-000000000001';
    client.send(AUDIOSOCKET_KIND.uuid, Buffer.from(callId.replaceAll('-', ''), 'hex'));
    const say = (text: string) => {
      transcriber.enqueue(text);
      client.audio(toneBurst(800));
      client.audio(silence(1000));
    };

    say('转人工');
    const offer = await desk.next((m) => m.type === 'offer', 30_000);
    const handoff = offer.handoff as { id: string; conversationId: string; channelId: string };
    expect(handoff.channelId).toBe('voice');
    await desk.ok('POST', `/handoffs/${handoff.id}/accept`, {});
    desk.send({ type: 'watch', conversationId: handoff.conversationId, after: 0 });

    const framesBefore = client.audioFrames().length;
    await desk.ok('POST', `/handoffs/${handoff.id}/messages`, { text: '您好，我是坐席小王，请您讲。' });
    await eventually(() => (synthesizer.spoken.some((t) => t.includes('我是坐席小王')) ? true : undefined), 20_000);
    await eventually(() => (client.audioFrames().length > framesBefore + 25 ? true : undefined), 20_000, 'speech');

    say('我家小区停水两天了');
    await desk.activity(handoff.conversationId, '我家小区停水两天了', 30_000);
    client.send(AUDIOSOCKET_KIND.hangup);
    client.socket.destroy();
    desk.close();
  });
});
