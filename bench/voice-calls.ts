/**
 * Voice bot latency: from the end of the caller's speech (the last voiced frame sent) to the first frame
 * of the spoken reply, over Twilio's protocol in real time, on a gateway with embedded PGlite. Includes
 * endpointing (VOICE_END_SILENCE_MS of silence must pass before an utterance ends), the assistant turn,
 * speech synthesis (espeak-ng, cached per sentence) and the socket. EXCLUDES recognition time: the
 * transcriber is the scripted fake (0 ms), because the only whisper model here is the zero-weight test
 * model, whose time says nothing about a real one (bench/voice-transcription.ts measures the pipeline).
 *
 * Baseline, same run: the same questions typed, i.e. the broker turn alone (message stored -> reply
 * stored), which is what the voice path adds endpointing and speech to.
 */
import { FakeTranscriber } from '../channels/voice/fake-transcriber.js';
import { startTestGateway } from '../test/support/gateway.js';
import { espeakMissing } from '../test/support/espeak.js';
import { silence, toneBurst, TWILIO_VOICE_ENV, TwilioMediaClient } from '../test/support/twilio-media-client.js';
import { loadSuite } from './retrieval.js';
import { summarize, table, type Summary } from './stats.js';

export interface VoiceLatencyLevel {
  calls: number;
  utterances: number;
  latency: Summary;
  baseline: Summary;
}

const END_SILENCE_MS = 700;
const LEVELS = [
  { calls: 1, utterancesEach: 8 },
  { calls: 10, utterancesEach: 3 },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function measureVoiceLatency(): Promise<VoiceLatencyLevel[] | undefined> {
  console.log('\nVoice bot: end of speech -> first reply audio, Twilio Media Streams in real time (ms)');
  if (espeakMissing) {
    console.log(`skipped: ${espeakMissing}\n`);
    return undefined;
  }
  const questions = loadSuite()
    .filter((c) => c.expect)
    .map((c) => c.q);
  let next = 0;
  const transcriber = new FakeTranscriber({ script: [] });
  const gateway = await startTestGateway({
    env: {
      ...TWILIO_VOICE_ENV,
      WHISPER_MODEL: '/bench/uses/the/scripted/fake',
      VOICE_END_SILENCE_MS: String(END_SILENCE_MS),
    },
    transcriber,
  });
  const results: VoiceLatencyLevel[] = [];
  try {
    for (const level of LEVELS) {
      const latencies: number[] = [];
      const baseline: number[] = [];
      await Promise.all(
        Array.from({ length: level.calls }, async (_, callIndex) => {
          await sleep(callIndex * 150);
          const client = await TwilioMediaClient.call(gateway.url);
          while (client.completed < 1) await sleep(10);
          for (let i = 0; i < level.utterancesEach; i++) {
            transcriber.enqueue(questions[next++ % questions.length]!);
            await client.sendAudio(toneBurst(800), { realTime: true });
            const endOfSpeech = performance.now();
            const before = client.receivedBytes;
            const heard = client.completed;
            // The line keeps carrying silence until the reply's first audio arrives.
            while (client.receivedBytes === before) await client.sendAudio(silence(20), { realTime: true });
            latencies.push(performance.now() - endOfSpeech);
            while (client.completed === heard) await client.sendAudio(silence(20), { realTime: true });
            await client.sendAudio(silence(300), { realTime: true });
          }
          client.stop();
        }),
      );
      // The same questions typed: the broker turn alone, same gateway, same concurrency.
      await Promise.all(
        Array.from({ length: level.calls }, async () => {
          const conversation = await gateway.broker.startConversation({ channelId: 'bench', user: { id: 'bench' } });
          for (let i = 0; i < level.utterancesEach; i++) {
            const started = performance.now();
            const replied = new Promise<void>((resolve) => {
              const stop = gateway.broker.subscribe(conversation.id, ({ activities }) => {
                if (activities.some((a) => a.from.role !== 'user')) {
                  stop();
                  resolve();
                }
              });
            });
            await gateway.broker.receive(
              {
                type: 'message',
                channelId: 'bench',
                conversation: { id: conversation.id },
                from: { id: 'bench', name: '', role: 'user' },
                text: questions[next++ % questions.length],
              },
              { channelMessageId: null },
            );
            await replied;
            baseline.push(performance.now() - started);
          }
        }),
      );
      results.push({
        calls: level.calls,
        utterances: latencies.length,
        latency: summarize(latencies),
        baseline: summarize(baseline),
      });
    }
  } finally {
    await gateway.cleanup();
  }
  console.log(
    `includes ${END_SILENCE_MS} ms endpointing (VOICE_END_SILENCE_MS) + turn + espeak-ng + socket; EXCLUDES\n` +
      'speech recognition (scripted fake: the only whisper model here is the zero-weight test model);\n' +
      'baseline: the same questions typed (broker turn: message stored -> reply stored), same run\n',
  );
  console.log(
    table(
      ['calls', 'utterances', 'p50', 'p95', 'max', 'base p50', 'base p95', 'p50 - endpointing', 'p50/base'],
      results.map((r) => [
        r.calls,
        r.utterances,
        r.latency.p50,
        r.latency.p95,
        r.latency.max,
        r.baseline.p50,
        r.baseline.p95,
        r.latency.p50 - END_SILENCE_MS,
        `${(r.latency.p50 / r.baseline.p50).toFixed(1)}x`,
      ]),
    ),
  );
  return results;
}
