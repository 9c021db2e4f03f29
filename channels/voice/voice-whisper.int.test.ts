/**
 * The whole voice pipeline with the real whisper.cpp server: the shared recordings streamed through
 * Twilio's protocol as a phone line carries them (8 kHz mu-law), faster than real time and in real time,
 * endpointed, transcribed by the model the gateway keeps loaded, and answered with speech. The model is
 * whisper.cpp's zero-weight test model: it recognises nothing, so each utterance is met with "sorry, I
 * didn't catch that" — which proves every stage ran. Skips when the shared fixtures are absent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../core/process-alive.js';
import { eventually, startTestGateway, type TestGateway } from '../../test/support/gateway.js';
import { espeakMissing } from '../../test/support/espeak.js';
import { endedCall, silence, TWILIO_VOICE_ENV, TwilioMediaClient } from '../../test/support/twilio-media-client.js';
import {
  fixturesMissing,
  RECORDINGS,
  telephoneAudio,
  TINY_MODEL,
  whisperMissing,
} from '../../test/support/voice-fixtures.js';
import type { WhisperServerTranscriber } from './whisper.js';

const skip = fixturesMissing([TINY_MODEL, ...RECORDINGS.map((r) => r.file)]) ?? whisperMissing() ?? espeakMissing;

describe.skipIf(skip)('voice calls through whisper.cpp (zero-weight model)', () => {
  let gateway: TestGateway;
  let pid: number | undefined;

  beforeAll(async () => {
    gateway = await startTestGateway({
      env: {
        ...TWILIO_VOICE_ENV,
        WHISPER_MODEL: TINY_MODEL,
        WHISPER_THREADS: '1',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await gateway?.cleanup();
    // Closing the gateway stopped the recogniser's process.
    if (pid !== undefined) expect(isAlive(pid)).toBe(false);
  });

  const heard = (client: TwilioMediaClient, replies: number, timeoutMs: number) =>
    eventually(() => (client.completed >= replies ? true : undefined), timeoutMs, `${replies} replies`);

  it('endpoints, transcribes and answers every recording, streamed faster than real time', async () => {
    const client = await TwilioMediaClient.call(gateway.url);
    await heard(client, 1, 20_000);
    for (const [index, recording] of RECORDINGS.entries()) {
      await client.sendAudio(await telephoneAudio(recording.file));
      await client.sendAudio(silence(1500));
      // Nothing recognised: "sorry, I didn't catch that" after each.
      await heard(client, index + 2, 30_000);
    }
    // Every utterance went through the model (not the "recognition is down" path).
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    const recognised = /minsheng_transcription_duration_seconds_count\{transcriber="whisper-server"\} (\d+)/.exec(
      metrics,
    );
    expect(Number(recognised?.[1])).toBeGreaterThanOrEqual(RECORDINGS.length);
    const transcriber = gateway.voice!.services.transcriber as WhisperServerTranscriber;
    pid = transcriber.pid;
    expect(pid).toBeGreaterThan(0);
    client.stop();
    const record = await endedCall(gateway, `twilio:${client.callSid}`);
    expect(record.utterances).toBeGreaterThanOrEqual(RECORDINGS.length);
    expect(record.endReason).toBe('caller-hung-up');
    // Empty transcripts are not the caller's words: only the greeting and the prompts are in the conversation.
    const page = await gateway.broker.activitiesAfter(record.conversationId!, 0);
    expect(page.activities.filter((a) => a.from.role === 'user')).toHaveLength(0);
  }, 180_000);

  it('does the same in real time, with the model still loaded', async () => {
    const client = await TwilioMediaClient.call(gateway.url, { realTimePlayback: true });
    await heard(client, 1, 60_000);
    const speech = await telephoneAudio(RECORDINGS[0]!.file);
    await client.sendAudio(speech, { realTime: true });
    const endOfSpeech = performance.now();
    const before = client.receivedBytes;
    await client.sendAudio(silence(1000), { realTime: true });
    await eventually(() => (client.receivedBytes > before ? true : undefined), 30_000, 'reply audio');
    // Reported, not asserted: endpointing (700 ms of silence) + recognition + synthesis.
    process.stderr.write(
      `[voice] end of speech -> first reply audio: ${Math.round(performance.now() - endOfSpeech)} ms\n`,
    );
    expect((gateway.voice!.services.transcriber as WhisperServerTranscriber).pid).toBe(pid);
    client.stop();
  }, 120_000);
});
