/**
 * Images and voice a citizen sends on the official account are fetched from WeChat's media API while it
 * still keeps them (3 days) and stored for agents (core/media-store.ts); the message's attachment then
 * points at `/api/media/<id>`. A queued job per attachment, retried like every job.
 */
import type { ConversationStore } from '../../assistant/conversation-store.js';
import type { Logger } from '../../core/logger.js';
import { MAX_MEDIA_BYTES, type MediaStore } from '../../core/media-store.js';
import { PermanentJobError, type Job, type JobQueue } from '../../core/queue/job-queue.js';
import type { SharedToken } from '../../core/shared-token.js';
import { TOKEN_REJECTED } from './api-errors.js';

export const WECHAT_MEDIA_QUEUE = 'wechat-media';

export interface WechatMediaJob {
  activityId: string;
  conversationId: string;
  mediaId: string;
  /** The attachment of the activity the media belongs to. */
  index: number;
  /** A voice message WeChat did not recognise: once stored, it is transcribed for this citizen. */
  transcribeFor?: { userId: string };
}

/** 40007: the media id is invalid or expired; nothing another attempt can fix. */
const GONE = new Set([40007, 40008]);

export class WechatMediaFetcher {
  constructor(
    private readonly options: {
      apiBaseUrl: string;
      accessToken: SharedToken;
      media: MediaStore;
      store: ConversationStore;
      queue: JobQueue;
      logger: Logger;
      /** Queues the transcription of a stored voice message (channels/recordings.ts). */
      transcribe?: (recording: {
        activityId: string;
        conversationId: string;
        userId: string;
        mediaId: string;
      }) => Promise<unknown>;
    },
  ) {}

  /** Whether voice messages WeChat did not recognise are transcribed here. */
  get transcribes(): boolean {
    return this.options.transcribe !== undefined;
  }

  queue(job: WechatMediaJob): Promise<string | null> {
    return this.options.queue.send(WECHAT_MEDIA_QUEUE, job, { dedupeKey: `media:${job.mediaId}`, backoffMs: 2000 });
  }

  start(): Promise<void> {
    return this.options.queue.work<WechatMediaJob>(WECHAT_MEDIA_QUEUE, (job) => this.fetch(job));
  }

  async fetch(job: Job<WechatMediaJob>): Promise<void> {
    const { activityId, conversationId, mediaId, index } = job.data;
    const token = await this.options.accessToken.get();
    const url = new URL('/cgi-bin/media/get', this.options.apiBaseUrl);
    url.search = new URLSearchParams({ access_token: token, media_id: mediaId }).toString();
    const response = await fetch(url, { signal: AbortSignal.timeout(20_000) });
    const type = response.headers.get('content-type') ?? 'application/octet-stream';
    if (!response.ok) throw new Error(`WeChat media API answered ${response.status}`);
    // Errors come back as JSON with a 200.
    if (type.includes('json') || type.startsWith('text/')) {
      const body = (await response.json().catch(() => ({}))) as { errcode?: number; errmsg?: string };
      if (body.errcode && TOKEN_REJECTED.has(body.errcode)) await this.options.accessToken.invalidate(token);
      const message = `WeChat media ${mediaId}: ${body.errcode} ${body.errmsg ?? ''}`;
      throw body.errcode && GONE.has(body.errcode) ? new PermanentJobError(message) : new Error(message);
    }
    const bytes = Buffer.from(await response.arrayBuffer());
    if (bytes.length === 0 || bytes.length > MAX_MEDIA_BYTES) {
      throw new PermanentJobError(`WeChat media ${mediaId} has ${bytes.length} bytes`);
    }
    const id = await this.options.media.put({
      conversationId,
      contentType: type.split(';')[0]!.trim(),
      bytes,
      source: `wechat:${mediaId}`,
    });
    await this.options.store.setAttachmentUrl(activityId, index, `/api/media/${id}`);
    if (job.data.transcribeFor && this.options.transcribe) {
      await this.options.transcribe({ activityId, conversationId, userId: job.data.transcribeFor.userId, mediaId: id });
    }
    this.options.logger.info({ activityId, mediaId, bytes: bytes.length }, 'wechat media stored');
  }
}
