/**
 * One phone call with the voice bot, whatever carries its audio (Twilio Media Streams, AudioSocket):
 * caller audio is endpointed into utterances, each utterance transcribed and handed to the broker as a
 * message; every reply in the conversation is spoken back. The caller can interrupt the bot (barge-in),
 * press 0 for an agent or key in digits ending with #. Silence is met with a prompt, then a goodbye.
 *
 * Time-outs run on the audio clock (the endpointer's), not the wall clock: a call streamed faster than
 * real time behaves exactly as in real time, and a stalled stream is the transport's concern.
 */
import type { ConversationBroker } from '../../assistant/broker.js';
import type { StoredActivity } from '../../core/activity.js';
import type { CallRecords } from '../../core/call-records.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import { followConversation } from '../follow-conversation.js';
import { resample, TELEPHONY_RATE, WHISPER_RATE } from './audio.js';
import { Endpointer, type EndpointEvent } from './endpointer.js';
import { speakable, spokenParts, voicePrompts, type VoicePrompts } from './prompts.js';
import type { Synthesizer } from './synthesizer.js';
import type { CallRef, EmergencyService, TelephonyControl } from './telephony.js';
import type { Transcriber } from './transcriber.js';

export const VOICE_CHANNEL = 'voice';

/** What a call's media stream must offer the session. Audio is 16-bit PCM at TELEPHONY_RATE. */
export interface CallTransport {
  readonly kind: string;
  /** Queues bot audio; the transport calls `CallSession.played(mark)` once the caller has heard it. */
  play(pcm: Int16Array, mark: string): void;
  /** Drops the bot audio queued or playing (barge-in). */
  clear(): void;
  /** Ends the media stream; on Twilio and AudioSocket that ends the bot's part of the call. */
  close(reason: string): void;
}

export interface VoiceSettings {
  endSilenceMs: number;
  /** Caller silence (audio clock) before "are you still there?"; the second time the bot says goodbye. */
  silenceTimeoutMs: number;
  maxCallMs: number;
  /**
   * Calls this instance takes with the bot at once (speech recognition is one process, utterances queue
   * for it); the transports send the rest to the agents' queue or refuse them.
   */
  maxCalls: number;
  /** Where Twilio calls over the limit wait. */
  agentQueue: string;
  /** Whisper's language: 'zh', 'en' or 'auto'. */
  language: string;
}

export interface VoiceServices {
  broker: ConversationBroker;
  transcriber: Transcriber;
  synthesizer: Synthesizer;
  /** Transfers and bridges; without it the bot tells the caller what to dial instead. */
  telephony?: TelephonyControl;
  calls: CallRecords;
  logger: Logger;
  metrics?: Metrics;
  settings: VoiceSettings;
  /** Calls in progress in this process: ended cleanly on shutdown. */
  active?: Set<CallSession>;
  /** Calls ending (their last words and record still being written): shutdown waits for them. */
  ending?: Set<Promise<void>>;
}

/** Digits keyed without # are sent this long after the last one. */
const DIGIT_TIMEOUT_MS = 3_000;
/** Silence prompts before the bot says goodbye. */
const SILENCE_PROMPTS = 2;
/** The last words of a caller who hung up are still transcribed, within this time. */
const LAST_WORDS_MS = 15_000;

type Action =
  | { kind: 'bridge'; service: EmergencyService }
  | { kind: 'transfer'; priority: 'emergency' | 'normal' }
  | { kind: 'hang-up'; reason: string };

interface Spoken {
  mark: string;
}

/**
 * Whether this instance already has as many calls as it takes (`VoiceSettings.maxCalls`); logs it when so.
 * The transports turn a call away before it starts: Twilio's to the agents' queue, AudioSocket's back to
 * the dialplan.
 */
export function atCapacity({ active, settings, logger }: VoiceServices, transport: string): boolean {
  const calls = active?.size ?? 0;
  if (calls < settings.maxCalls) return false;
  logger.warn({ channel: VOICE_CHANNEL, transport, calls, maxCalls: settings.maxCalls }, 'voice bot at capacity');
  return true;
}

export class CallSession {
  readonly ref: CallRef;
  /** The call's `voice_calls` row: transport and the transport's own call id. */
  private readonly recordId: string;
  /** The caller as the conversation knows them: their number, else the call. */
  private readonly userId: string;
  private readonly endpointer: Endpointer;
  private readonly prompts: VoicePrompts;
  private readonly locale: 'zh-CN' | 'en';
  private readonly log: Logger;
  private readonly abort = new AbortController();
  /** Utterances and digits go to the broker one at a time, in order. */
  private inbound: Promise<void> = Promise.resolve();
  /** Replies are synthesized and played one at a time, in order. */
  private outbound: Promise<void> = Promise.resolve();
  private readonly playing = new Map<string, Spoken>();
  private pendingAction?: Action;
  private stopFollowing?: () => void;
  private conversationReady: Promise<string | undefined>;
  private ended = false;
  private closedPromise?: Promise<void>;
  private digits = '';
  private digitAtMs = 0;
  private silencePrompts = 0;
  /**
   * Something the caller said is not answered yet (or the greeting has not come): silence is not the
   * caller's then. In agent mode an agent may never answer by voice; then only the longest call applies.
   */
  private awaitingReply = true;
  /** Replies queued or playing: silence does not count while the bot talks. */
  private speaking = 0;
  private lastUtteranceEndWall?: number;
  /** Bumped by barge-in: replies queued before it are not played. */
  private generation = 0;
  private replies = 0;
  private keyPresses = 0;
  private readonly totals = { audioMs: 0, utterances: 0, bargeIns: 0 };

  constructor(
    private readonly services: VoiceServices,
    private readonly transport: CallTransport,
    call: { callId: string; caller?: string; locale?: string },
  ) {
    this.ref = { callId: call.callId, conversationId: '', caller: call.caller };
    this.recordId = `${transport.kind}:${call.callId}`;
    this.userId = call.caller ? `tel:${call.caller}` : `call:${call.callId}`;
    const locale = call.locale ?? 'zh-CN';
    this.locale = locale.startsWith('en') ? 'en' : 'zh-CN';
    this.prompts = voicePrompts(this.locale);
    this.log = services.logger.child({ channel: VOICE_CHANNEL, callId: call.callId, transport: transport.kind });
    this.endpointer = new Endpointer({ sampleRate: TELEPHONY_RATE, endSilenceMs: services.settings.endSilenceMs });
    services.active?.add(this);
    this.conversationReady = this.begin().catch((error: unknown) => {
      this.log.error({ err: error }, 'could not start the call; hanging up');
      void this.end('start-failed');
      return undefined;
    });
  }

  private async begin(): Promise<string> {
    const { broker, calls } = this.services;
    await calls.open({ id: this.recordId, transport: this.transport.kind, caller: this.ref.caller });
    const conversation = await broker.startConversation({
      channelId: VOICE_CHANNEL,
      user: { id: this.userId },
      locale: this.locale,
      welcomeText: this.prompts.greeting,
    });
    this.ref.conversationId = conversation.id;
    await calls.setConversation(this.recordId, conversation.id);
    this.log.info({ conversationId: conversation.id }, 'voice call started');
    if (this.ended) return conversation.id;
    this.stopFollowing = followConversation({
      broker,
      conversationId: conversation.id,
      after: 0,
      deliver: (activities) => activities.forEach((a) => this.onActivity(a)),
      onError: (error) => {
        this.log.error({ err: error }, 'could not read the conversation; hanging up');
        void this.end('read-failed');
      },
    });
    return conversation.id;
  }

  /** Caller audio, 16-bit PCM at TELEPHONY_RATE, any frame length. */
  audio(pcm: Int16Array): void {
    if (this.ended) return;
    this.totals.audioMs += (pcm.length * 1000) / TELEPHONY_RATE;
    for (const event of this.endpointer.push(pcm)) this.onEndpoint(event);
    this.checkClocks();
  }

  /** A key the caller pressed: 0 asks for an agent, other digits are collected until # or a pause. */
  dtmf(digit: string): void {
    if (this.ended || !/^[0-9*#]$/.test(digit)) return;
    this.silencePrompts = 0;
    this.endpointer.resetSilence();
    if (digit === '0' && this.digits === '') {
      this.bargeIn();
      this.send(this.prompts.dtmfHuman, { dtmf: '0' });
    } else if (digit === '#') {
      this.flushDigits();
    } else {
      this.digits += digit;
      this.digitAtMs = this.endpointer.timeMs;
    }
  }

  /** The transport reports that the caller has heard the audio up to this mark. */
  played(mark: string): void {
    if (this.playing.delete(mark)) this.doneSpeaking(1);
  }

  /**
   * The call is over (the caller hung up, the stream stopped or broke, or the bot ended it). Idempotent:
   * the last words are still transcribed and sent, then the record is closed.
   */
  end(reason: string): Promise<void> {
    if (this.closedPromise) return this.closedPromise;
    this.ended = true;
    this.closedPromise = (async () => {
      await this.conversationReady;
      for (const event of this.endpointer.flush()) {
        if (event.type === 'utterance') this.queueUtterance(event);
      }
      let timer: NodeJS.Timeout | undefined;
      const lastWords = new Promise<void>((resolve) => (timer = setTimeout(resolve, LAST_WORDS_MS)));
      await Promise.race([this.inbound.catch(() => undefined), lastWords]);
      clearTimeout(timer);
      this.abort.abort();
      this.stopFollowing?.();
      this.services.active?.delete(this);
      this.transport.close(reason);
      await this.services.calls.close(this.recordId, reason, this.totals).catch((error: unknown) => {
        this.log.error({ err: error }, 'could not close the call record');
      });
      this.services.metrics?.voiceCalls.inc({ transport: this.transport.kind, reason });
      this.log.info({ reason, ...this.totals, conversationId: this.ref.conversationId }, 'voice call ended');
    })();
    const ending = this.closedPromise;
    this.services.ending?.add(ending);
    void ending.finally(() => this.services.ending?.delete(ending)).catch(() => undefined);
    return ending;
  }

  private onEndpoint(event: EndpointEvent): void {
    if (event.type === 'speech-start') {
      this.silencePrompts = 0;
      if (this.playing.size > 0) this.bargeIn();
    } else if (event.type === 'utterance') {
      this.queueUtterance(event);
    }
  }

  /**
   * The caller talks over the bot: what plays is cut and what is queued is dropped. An emergency bridge or
   * a transfer already decided still happens.
   */
  private bargeIn(): void {
    if (this.playing.size === 0) return;
    this.totals.bargeIns++;
    this.generation++;
    this.transport.clear();
    const cut = this.playing.size;
    this.playing.clear();
    this.doneSpeaking(cut);
  }

  private queueUtterance(event: Extract<EndpointEvent, { type: 'utterance' }>): void {
    this.totals.utterances++;
    const endedAt = performance.now();
    this.awaitingReply = true;
    this.inbound = this.inbound.then(() => this.transcribeAndSend(event, endedAt));
  }

  private async transcribeAndSend(event: Extract<EndpointEvent, { type: 'utterance' }>, endedAt: number) {
    const { transcriber, settings, metrics } = this.services;
    let text: string;
    try {
      const transcript = await transcriber.transcribe(resample(event.audio, TELEPHONY_RATE, WHISPER_RATE), {
        language: settings.language,
        signal: this.abort.signal,
      });
      metrics?.transcriptionDuration.observe({ transcriber: transcriber.id }, transcript.elapsedMs / 1000);
      text = transcript.text;
    } catch (error) {
      if (this.abort.signal.aborted) return;
      this.log.error({ err: error }, 'transcription failed');
      this.say(this.prompts.recognitionDown, { kind: 'transfer', priority: 'normal' });
      return;
    }
    if (!text) {
      this.log.debug({ startMs: event.startMs, endMs: event.endMs }, 'nothing recognised in an utterance');
      if (!this.ended) this.say(this.prompts.notHeard, undefined, true);
      return;
    }
    this.lastUtteranceEndWall = endedAt;
    await this.sendNow(text, { startMs: Math.round(event.startMs), endMs: Math.round(event.endMs) });
  }

  private flushDigits(): void {
    if (!this.digits) return;
    const digits = this.digits;
    this.digits = '';
    this.send(digits, { dtmf: digits });
  }

  private send(text: string, voice: Record<string, unknown>): void {
    this.awaitingReply = true;
    this.inbound = this.inbound.then(() => this.sendNow(text, voice));
  }

  private async sendNow(text: string, voice: Record<string, unknown>): Promise<void> {
    const conversationId = await this.conversationReady;
    if (!conversationId) return;
    // The channel's message id: unique per utterance (its start on the audio clock) and per key press.
    const key = `${this.ref.callId}:${voice.startMs ?? `dtmf-${++this.keyPresses}`}`;
    try {
      await this.services.broker.receive(
        {
          type: 'message',
          channelId: VOICE_CHANNEL,
          conversation: { id: conversationId },
          from: { id: this.userId, name: '', role: 'user' },
          text,
          locale: this.locale,
          channelData: { voice: { callId: this.ref.callId, ...voice } },
        },
        { channelMessageId: key },
      );
    } catch (error) {
      this.log.error({ err: error }, 'could not store what the caller said');
      this.say(this.prompts.transferFailed, { kind: 'hang-up', reason: 'store-failed' });
    }
  }

  /** Every activity of the conversation, in order: the bot's and agents' messages are spoken. */
  private onActivity(activity: StoredActivity): void {
    if (activity.type !== 'message' || activity.from.role === 'user' || !activity.text) return;
    this.awaitingReply = false;
    const data = activity.channelData as { emergency?: { number?: string }; handoff?: { reason?: string } } | undefined;
    let action: Action | undefined;
    const number = data?.emergency?.number;
    if (number && ['110', '119', '120', '122'].includes(number)) {
      action = { kind: 'bridge', service: number as EmergencyService };
    } else if (data?.handoff?.reason) action = { kind: 'transfer', priority: 'normal' };
    // Buttons cannot be pressed on a phone: their titles are read out, and the caller says one.
    const options = (activity.suggestedActions?.actions ?? []).map((a) => a.title ?? String(a.value ?? ''));
    const spoken = activity.speak ?? activity.text;
    // (Not when the call is about to be handed on: "say 拨打119" is no choice while the bridge is dialled.)
    const choices = action ? [] : options.filter(Boolean);
    this.say(choices.length ? `${spoken} ${this.prompts.options(choices)}` : spoken, action);
  }

  /**
   * Speaks text after what is already queued; `action` runs once the caller has heard it. `answers` marks
   * the channel's own reply to an utterance (nothing recognised), which ends the wait for one.
   */
  private say(text: string, action?: Action, answers = false): void {
    if (action && !this.pendingAction) this.pendingAction = action;
    if (answers) this.awaitingReply = false;
    // Sentence by sentence: the first is heard while the next are synthesized, and prompts hit the cache.
    const parts = spokenParts(speakable(text));
    if (parts.length === 0) {
      this.speaking++;
      this.doneSpeaking(1);
      return;
    }
    this.speaking += parts.length;
    const generation = this.generation;
    const reply = ++this.replies;
    let answersUtteranceAt = this.lastUtteranceEndWall;
    this.lastUtteranceEndWall = undefined;
    parts.forEach((part, index) => {
      this.outbound = this.outbound.then(async () => {
        if (this.ended) return;
        const pcm = await this.synthesize(part);
        if (this.ended) return;
        if (generation !== this.generation || pcm.length === 0) {
          this.doneSpeaking(1);
          return;
        }
        // Named `<reply>.<part>/<parts>`, so a listener can tell when a whole reply was heard.
        const mark = `${reply}.${index + 1}/${parts.length}`;
        this.playing.set(mark, { mark });
        if (answersUtteranceAt !== undefined) {
          this.services.metrics?.voiceReplyLatency.observe((performance.now() - answersUtteranceAt) / 1000);
          answersUtteranceAt = undefined;
        }
        this.transport.play(pcm, mark);
      });
    });
  }

  private async synthesize(text: string): Promise<Int16Array> {
    try {
      return await this.services.synthesizer.synthesize(text, {
        locale: this.locale,
        sampleRate: TELEPHONY_RATE,
        signal: this.abort.signal,
      });
    } catch (error) {
      if (!this.abort.signal.aborted) this.log.error({ err: error }, 'speech synthesis failed');
      return new Int16Array(0);
    }
  }

  private doneSpeaking(count: number): void {
    this.speaking = Math.max(0, this.speaking - count);
    if (this.speaking > 0) return;
    this.endpointer.resetSilence();
    const action = this.pendingAction;
    if (!action) return;
    this.pendingAction = undefined;
    void this.run(action);
  }

  private async run(action: Action): Promise<void> {
    const { telephony, calls } = this.services;
    if (action.kind === 'hang-up') {
      await this.end(action.reason);
      return;
    }
    try {
      if (!telephony) throw new Error('no call control is configured');
      if (action.kind === 'bridge') await telephony.bridgeEmergency(this.ref, action.service);
      else await telephony.transferToAgents(this.ref, { priority: action.priority });
      const outcome = action.kind === 'bridge' ? `bridged:${action.service}` : 'transferred';
      await calls.setOutcome(this.recordId, outcome);
      this.log.info({ outcome }, 'call handed on');
    } catch (error) {
      this.log.error({ err: error, action: action.kind }, 'call control failed');
      if (action.kind === 'bridge') {
        this.say(this.prompts.emergencyBridgeFailed(action.service), { kind: 'hang-up', reason: 'emergency' });
      } else this.say(this.prompts.transferFailed);
    }
  }

  /** Digit and silence time-outs, and the longest call, on the audio clock. */
  private checkClocks(): void {
    const now = this.endpointer.timeMs;
    if (this.digits && now - this.digitAtMs >= DIGIT_TIMEOUT_MS) this.flushDigits();
    if (now >= this.services.settings.maxCallMs && !this.pendingAction) {
      this.say(this.prompts.timeUp, { kind: 'hang-up', reason: 'max-duration' });
      return;
    }
    if (this.speaking > 0 || this.awaitingReply || this.endpointer.inSpeech || this.pendingAction) return;
    if (this.endpointer.silenceMs < this.services.settings.silenceTimeoutMs) return;
    this.endpointer.resetSilence();
    if (++this.silencePrompts > SILENCE_PROMPTS) {
      this.say(this.prompts.goodbye, { kind: 'hang-up', reason: 'silence' });
    } else this.say(this.prompts.stillThere);
  }
}
