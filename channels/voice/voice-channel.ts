/**
 * The voice channel's parts, picked by configuration in one place: speech recognition (whisper.cpp
 * server), speech synthesis (espeak-ng or an HTTP provider), call control (Twilio's API or a city
 * switch's webhook) and the AudioSocket listener. Twilio's stream routes are registered by api/app.ts.
 */
import type { ConversationBroker } from '../../assistant/broker.js';
import { CallRecords } from '../../core/call-records.js';
import type { Config } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import { AudioSocketServer } from './audiosocket.js';
import type { CallSession, VoiceServices } from './call.js';
import { EspeakSynthesizer, HttpSynthesizer, type Synthesizer } from './synthesizer.js';
import type { TelephonyControl } from './telephony.js';
import { TwilioTelephony } from './twilio-telephony.js';
import { WebhookTelephony } from './webhook-telephony.js';
import type { Transcriber } from './transcriber.js';
import { builtWhisperBinaries } from './whisper-build.js';
import { WhisperServerTranscriber } from './whisper.js';

/** Speech recognition for calls and recordings: the whisper.cpp server with the configured model. */
export function createTranscriber(
  whisper: NonNullable<Config['whisper']>,
  cacheHome: string,
  logger: Logger,
): Transcriber {
  return new WhisperServerTranscriber({
    serverBinary: whisper.serverBinary ?? builtWhisperBinaries(cacheHome).server,
    model: whisper.model,
    language: whisper.language,
    threads: whisper.threads,
    logger,
  });
}

export function createSynthesizer(tts: NonNullable<Config['voice']>['tts']): Synthesizer {
  // espeak-ng's Mandarin at its default 175 words a minute is about 3 characters a second, slower than
  // people speak on the phone; 220 is about 3.7. Replies are cached by sentence: 512 sentences of about
  // 3 s at 8 kHz are about 25 MB.
  return tts.kind === 'http' ? new HttpSynthesizer(tts) : new EspeakSynthesizer({ speed: 220, cacheEntries: 512 });
}

export function createTelephony(voice: NonNullable<Config['voice']>): TelephonyControl | undefined {
  if (voice.twilio) {
    return new TwilioTelephony({
      ...voice.twilio,
      callerId: voice.callerId ?? '',
      agentQueue: voice.agentQueue,
      emergencyNumbers: voice.emergencyNumbers,
    });
  }
  return voice.control && new WebhookTelephony({ ...voice.control, emergencyNumbers: voice.emergencyNumbers });
}

export interface VoiceChannel {
  services: VoiceServices;
  /** The AudioSocket listener's port, when one is configured. */
  audioSocketPort?: number;
  close(): Promise<void>;
}

export async function startVoiceChannel(input: {
  voice: NonNullable<Config['voice']>;
  language: string;
  broker: ConversationBroker;
  calls: CallRecords;
  transcriber: Transcriber;
  synthesizer?: Synthesizer;
  logger: Logger;
  metrics: Metrics;
}): Promise<VoiceChannel> {
  const { voice } = input;
  const active = new Set<CallSession>();
  const ending = new Set<Promise<void>>();
  const services: VoiceServices = {
    broker: input.broker,
    transcriber: input.transcriber,
    synthesizer: input.synthesizer ?? createSynthesizer(voice.tts),
    telephony: createTelephony(voice),
    calls: input.calls,
    logger: input.logger,
    metrics: input.metrics,
    active,
    ending,
    settings: {
      endSilenceMs: voice.endSilenceMs,
      silenceTimeoutMs: voice.silenceTimeoutMs,
      maxCallMs: voice.maxCallMs,
      maxCalls: voice.maxCalls,
      agentQueue: voice.agentQueue,
      language: input.language,
    },
  };
  const audioSocket = voice.audioSocket && new AudioSocketServer(services);
  const audioSocketPort = audioSocket && (await audioSocket.listen(voice.audioSocket!.port, voice.audioSocket!.host));
  if (audioSocketPort !== undefined) input.logger.info({ port: audioSocketPort }, 'audiosocket listening');
  return {
    services,
    audioSocketPort,
    async close() {
      await Promise.all([...active].map((call) => call.end('shutdown')));
      await Promise.all([...ending]);
      await audioSocket?.close();
    },
  };
}
