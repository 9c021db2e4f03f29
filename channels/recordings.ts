/**
 * Recorded audio a citizen sent (a WeChat voice message without WeChat's own recognition, a voicemail)
 * is transcribed by a queued job once the channel has stored it (core/media-store.ts), and the
 * transcript is handed to the broker as the citizen's message, so the assistant answers it as if typed.
 * Retried like every job; when it cannot be understood in the end, an empty message with the recording
 * attached goes in instead, and the assistant asks the citizen to type (the recording stays for agents).
 */
import type { ConversationBroker } from '../assistant/broker.js';
import type { Logger } from '../core/logger.js';
import type { MediaStore } from '../core/media-store.js';
import { PermanentJobError, type Job, type JobQueue } from '../core/queue/job-queue.js';
import { AudioFormatError, decodeRecording } from './voice/audio.js';
import type { Transcriber } from './voice/transcriber.js';

export const RECORDING_QUEUE = 'transcribe-recording';

export interface RecordingJob {
  /** The message the recording came with; its transcript is a new message answering in its place. */
  activityId: string;
  conversationId: string;
  channelId: string;
  userId: string;
  mediaId: string;
  locale?: string;
}

export class RecordingTranscription {
  constructor(
    private readonly options: {
      media: MediaStore;
      broker: Pick<ConversationBroker, 'receive'>;
      transcriber: Transcriber;
      queue: JobQueue;
      logger: Logger;
      language: string;
    },
  ) {}

  queue(job: RecordingJob): Promise<string | null> {
    return this.options.queue.send(RECORDING_QUEUE, job, { dedupeKey: `transcribe:${job.activityId}` });
  }

  start(): Promise<void> {
    return this.options.queue.work<RecordingJob>(RECORDING_QUEUE, (job) => this.run(job));
  }

  async run(job: Job<RecordingJob>): Promise<void> {
    const { media, transcriber, logger, language } = this.options;
    const { activityId, mediaId } = job.data;
    const stored = await media.get(mediaId);
    if (!stored) throw new PermanentJobError(`recording ${mediaId} is not in the media store`);
    let text = '';
    try {
      const { pcm } = await decodeRecording(stored.bytes, stored.contentType);
      text = (await transcriber.transcribe(pcm, { language })).text;
    } catch (error) {
      const lastAttempt = error instanceof AudioFormatError || job.attempt >= job.maxAttempts;
      if (!lastAttempt) throw error;
      logger.warn({ err: error, activityId, mediaId }, 'recording could not be transcribed; asking to type');
    }
    await this.deliver(job.data, text, stored.contentType);
    logger.info({ activityId, mediaId, recognised: text.length > 0 }, 'recording transcribed');
  }

  private async deliver(job: RecordingJob, text: string, contentType: string): Promise<void> {
    await this.options.broker.receive(
      {
        type: 'message',
        channelId: job.channelId,
        conversation: { id: job.conversationId },
        from: { id: job.userId, name: '', role: 'user' },
        locale: job.locale ?? 'zh-CN',
        text,
        // Nothing recognised: the recording goes with the message, and the assistant asks for text.
        attachments: text ? undefined : [{ contentType, contentUrl: `/api/media/${job.mediaId}` }],
        channelData: { transcriptOf: job.activityId, transcriber: this.options.transcriber.id },
      },
      { channelMessageId: `transcript:${job.activityId}` },
    );
  }
}
