import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ConversationBroker } from '../assistant/broker.js';
import { ConversationStore } from '../assistant/conversation-store.js';
import { DirectLineTokens } from '../channels/webchat/tokens.js';
import { LocalActivityBus, type ActivityBus } from '../core/activity-bus.js';
import { RetentionJob } from '../core/retention.js';
import { StaffAccounts } from '../core/accounts.js';
import type { Config } from '../core/config.js';
import { openDatabase, type DatabaseHandle } from '../core/db/database.js';
import { createLogger, type Logger } from '../core/logger.js';
import { createMetrics } from '../core/metrics.js';
import { createJobQueue } from '../core/queue/create-job-queue.js';
import { DatabaseDeadLetters } from '../core/queue/dead-letters.js';
import type { JobQueue } from '../core/queue/job-queue.js';
import { getOrCreateSetting } from '../core/settings.js';
import { LlmAssistant } from '../assistant/llm.js';
import { OutboundDelivery, type ChannelSender } from '../channels/delivery.js';
import { TwilioSmsSender } from '../channels/sms/twilio.js';
import { JsonGatewaySmsSender } from '../channels/sms/json-gateway.js';
import { WechatSender } from '../channels/wechat/official-account.js';
import { SharedToken } from '../core/shared-token.js';
import { MediaStore } from '../core/media-store.js';
import { WechatMediaFetcher } from '../channels/wechat/media.js';
import type { WechatyOptions } from 'wechaty';
import { WechatyChannel, WechatySender } from '../channels/wechat/wechaty.js';
import { OptOuts } from '../core/opt-outs.js';
import { KnowledgeEditorial, seedDemoArticles } from '../knowledge/editorial.js';
import { createEmbedder, embedderConfigFromEnv } from '../knowledge/embedders/create-embedder.js';
import { KnowledgeSearch } from '../knowledge/search.js';
import { loadSynonyms, seedSynonyms } from '../knowledge/synonyms.js';
import { queueReembed, REEMBED_QUEUE, VectorIndex } from '../knowledge/vector-index.js';
import { Nlu } from '../assistant/nlu/nlu.js';
import { WorkingCalendar } from '../core/calendar/working-days.js';
import { loadTaxonomy } from '../tickets/taxonomy.js';
import { DEFAULT_TICKET_POLICY, TicketStore, type TicketPolicy } from '../tickets/ticket-store.js';
import { CallRecords } from '../core/call-records.js';
import { RecordingTranscription } from '../channels/recordings.js';
import type { Transcriber } from '../channels/voice/transcriber.js';
import type { Synthesizer } from '../channels/voice/synthesizer.js';
import { createTranscriber, startVoiceChannel, type VoiceChannel } from '../channels/voice/voice-channel.js';
import { HandoffService } from '../handoff/handoff-service.js';
import { loadSuite } from '../evals/load-suite.js';
import { EvalPublishGate, type GateCase } from '../evals/publish-gate.js';
import { knowledgeVersion } from '../evals/run-store.js';
import { AnalyticsService } from '../analytics/analytics-service.js';
import { AnalyticsReports } from '../analytics/reports.js';
import { buildApp } from './app.js';

export interface Gateway {
  app: FastifyInstance;
  /** Base URL it listens on, e.g. http://127.0.0.1:3000 */
  url: string;
  database: DatabaseHandle;
  queue: JobQueue;
  broker: ConversationBroker;
  accounts: StaffAccounts;
  editorial: KnowledgeEditorial;
  index: VectorIndex;
  tickets: TicketStore;
  /** Replies on push channels (SMS). */
  delivery: OutboundDelivery;
  calls: CallRecords;
  handoffs: HandoffService;
  /** The supervisors' figures (`rollup` brings the conversation figures up to date). */
  analytics: AnalyticsService;
  reports: AnalyticsReports;
  /** The voice bot, when configured (and this instance serves requests). */
  voice?: VoiceChannel;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** A Wechaty puppet instance to drive the Wechaty channel with (tests pass wechaty-puppet-mock's). */
  wechatyPuppet?: WechatyOptions['puppet'];
  /** Speech recognition instead of the configured whisper.cpp (tests pass a scripted fake). */
  transcriber?: Transcriber;
  /** Speech synthesis instead of the configured one. */
  synthesizer?: Synthesizer;
}

/** How often each worker looks for stored messages that were never answered (an indexed, tiny query). */
const RECOVERY_INTERVAL_MS = 5_000;

/** The composition root: builds every part from the config, in dependency order, and starts it. */
export async function startGateway(config: Config, options: StartOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const metrics = createMetrics();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  const { db } = database;
  const cleanups: (() => Promise<unknown>)[] = [() => database.close()];
  const closeAll = async () => {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((error) => logger.warn({ err: error }, 'shutdown step failed'));
  };

  try {
    const index = await VectorIndex.open(db, await createEmbedder(embedderConfigFromEnv(config)));
    await seedSynonyms(db);
    if (config.seedDemo) {
      const added = await seedDemoArticles(db, index);
      if (added) logger.info({ added }, 'demo knowledge base loaded (sample data, not official policy)');
    }
    const accounts = new StaffAccounts(db, { lockout: config.login });
    const admin = await accounts.ensureAdmin(config.adminPassword);
    if (admin?.generatedPassword)
      logger.warn(
        { username: admin.username, password: admin.generatedPassword },
        'first start: created the administrator account; sign in and change this password (shown once)',
      );
    const search = await new KnowledgeSearch(db, index, await loadSynonyms(db)).start();
    cleanups.push(async () => search.stop());
    const editorial = new KnowledgeEditorial(db, index, () => void search.refresh().catch(() => undefined));
    const gateSuite = config.publishGateSuite;
    if (gateSuite) {
      let cases: Promise<GateCase[]> | undefined;
      editorial.useGate(
        new EvalPublishGate({
          db,
          index,
          search,
          // Read on the first publish, not at start-up.
          cases: () =>
            (cases ??= loadSuite(gateSuite).then((suite) => (suite.kind === 'retrieval' ? suite.cases : []))),
        }),
      );
    }
    const tokenSecret =
      config.tokenSecret ??
      (await getOrCreateSetting(db, 'directline.token_secret', () => randomBytes(48).toString('base64url')));
    const tokens = new DirectLineTokens(tokenSecret, config.directLineTokenTtlSeconds);

    const queue = await createJobQueue({
      redisUrl: config.redisUrl,
      redisPrefix: config.redisPrefix,
      pool: database.pool,
      defaults: { attempts: config.jobAttempts, backoffMs: 1000 },
      deadLetters: new DatabaseDeadLetters(db),
      logger,
    });
    // ioredis is loaded only when Redis is configured.
    const bus: ActivityBus = config.redisUrl
      ? await (
          await import('../core/redis-activity-bus.js')
        ).RedisActivityBus.connect(config.redisUrl, logger, `${config.redisPrefix}:activities`)
      : new LocalActivityBus();
    cleanups.push(() => bus.close());

    const calendar = await WorkingCalendar.load(config.tickets.calendarFile, {
      onUncoveredYear: (year) =>
        logger.warn({ year }, 'the holiday calendar has no entry for this year: deadlines count Monday to Friday'),
    });
    const taxonomy = await loadTaxonomy(config.tickets.taxonomyFile);
    const { consultation, other } = config.tickets.deadlineDays;
    const policy: TicketPolicy = {
      ...DEFAULT_TICKET_POLICY,
      deadlineDays: { consultation, help: other, complaint: other, report: other, suggestion: other, praise: other },
    };
    const tickets = new TicketStore(db, calendar, (code) => taxonomy.departmentOf(code).name, policy);
    const nlu = await Nlu.load(taxonomy, { cacheDir: config.nluCacheDir, logger });

    // Push channels: their replies are stored pending and sent by the delivery queue.
    const optOuts = new OptOuts(db);
    const senders: ChannelSender[] = [];
    if (config.sms) {
      senders.push(
        new TwilioSmsSender(config.sms, optOuts, config.publicUrl && `${config.publicUrl}/sms/twilio/status`),
      );
    }
    if (config.smsGateway) senders.push(new JsonGatewaySmsSender(config.smsGateway, optOuts));
    const wechat = config.wechat;
    const wechatToken =
      wechat && new SharedToken(db, `wechat.access_token.${wechat.appId}`, () => WechatSender.fetchToken(wechat));
    if (wechat && wechatToken) senders.push(new WechatSender(wechat, wechatToken, optOuts));
    const wechatyPuppet = options.wechatyPuppet ?? config.wechaty?.puppet;
    // Loaded only when a bot is configured: Wechaty brings gRPC and more, which start-up need not pay for.
    const bot = wechatyPuppet
      ? (await import('wechaty')).WechatyBuilder.build({
          name: 'minsheng-12345',
          puppet: wechatyPuppet as WechatyOptions['puppet'],
          puppetOptions: config.wechaty?.token ? { token: config.wechaty.token } : undefined,
        })
      : undefined;
    if (bot) senders.push(new WechatySender(bot));
    const store = new ConversationStore(db, { pushChannels: senders.map((s) => s.channelId) });
    const delivery = new OutboundDelivery({
      store,
      queue,
      senders,
      logger,
      attempts: config.jobAttempts,
      backoffMs: 2000,
    });
    const mediaStore = new MediaStore(db);
    const calls = new CallRecords(db);
    const transcriber =
      options.transcriber ?? (config.whisper && createTranscriber(config.whisper, config.cacheHome, logger));
    if (transcriber) {
      cleanups.push(() => transcriber.close());
      // The model loads in the background: start-up does not wait for it, the first utterance may.
      void transcriber.start().catch((error: unknown) => {
        logger.error({ err: error }, 'speech recognition could not start; it is retried on the next utterance');
      });
    }
    // Filled in once the broker exists: the media fetcher queues transcriptions, the job hands them to it.
    let recordings: RecordingTranscription | undefined;
    const wechatMedia =
      wechat &&
      wechatToken &&
      new WechatMediaFetcher({
        apiBaseUrl: wechat.apiBaseUrl,
        accessToken: wechatToken,
        media: mediaStore,
        store,
        queue,
        logger,
        transcribe: transcriber && ((recording) => recordings!.queue({ ...recording, channelId: 'wechat' })),
      });
    // Filled in once the broker exists: the broker tells it of handoffs, it posts through the broker.
    const late: { handoffs?: HandoffService } = {};
    const broker = new ConversationBroker({
      handoffs: {
        requested: (conversationId) => late.handoffs!.requested(conversationId),
        ticketRegistered: (conversationId, ticket) => late.handoffs!.ticketRegistered(conversationId, ticket),
      },
      store,
      delivery,
      queue,
      bus,
      knowledge: search,
      intake: { nlu, tickets, deadlineDays: policy.deadlineDays },
      llm: config.llm && new LlmAssistant(config.llm, logger),
      logger,
      metrics,
      inlineTurns: config.role === 'all',
    });
    // Cleanups run last-in first-out: stop taking jobs (running ones finish), then wait for inline turns.
    cleanups.push(() => broker.drain());

    const language = config.whisper?.language ?? 'zh';
    if (transcriber) {
      recordings = new RecordingTranscription({
        media: mediaStore,
        broker,
        transcriber,
        queue,
        logger,
        language,
      });
    }
    const voice =
      config.voice && transcriber && config.role !== 'worker'
        ? await startVoiceChannel({
            voice: config.voice,
            language,
            broker,
            calls,
            transcriber,
            synthesizer: options.synthesizer,
            logger,
            metrics,
          })
        : undefined;
    if (voice) cleanups.push(() => voice.close());
    const handoffs = (late.handoffs = new HandoffService({
      db,
      broker,
      bus,
      tickets,
      logger,
      metrics,
      offerTimeoutMs: config.handoff.offerTimeoutMs,
      entryQueue: config.handoff.queues[0]!,
      queues: config.handoff.overflow,
      voice: voice?.services.telephony && { telephony: voice.services.telephony, calls },
    }).start());
    cleanups.push(async () => handoffs.stop());
    if (config.voice) {
      const lost = await calls.closeLost(config.voice.maxCallMs + 60_000);
      if (lost) logger.warn({ lost }, 'closed voice call records left open by a process that died mid-call');
    }
    cleanups.push(() => queue.stop());

    const analytics = new AnalyticsService(db, taxonomy, calendar.timeZone);
    const reports = new AnalyticsReports({
      db,
      analytics,
      queue,
      chromiumPath: config.analytics.chromiumPath,
      logger,
    });
    cleanups.push(async () => reports.stop());

    if (config.role !== 'api') {
      await reports.start({
        schedule: config.analytics.scheduledReports,
        rollupIntervalMs: config.analytics.rollupIntervalMs,
      });
      await queue.work(REEMBED_QUEUE, async () => {
        const done = await index.reembed((status) => logger.info({ reembed: status }, 'knowledge re-embedding'));
        if (done) await search.refresh();
      });
      if (index.pending) {
        logger.warn(
          { active: index.activeEmbedder, configured: index.configured.id },
          'the knowledge index was built with another embedder: re-embedding (searches use the old index until it is done)',
        );
        await queueReembed(queue, index);
      }
      const retention = new RetentionJob(db, config.retention, logger);
      await retention.start(queue, true);
      cleanups.push(async () => retention.stop());
      await broker.startWorker(config.workerConcurrency);
      await broker.recoverUnanswered();
      if (delivery.channels.length > 0) {
        await delivery.start(config.workerConcurrency);
        cleanups.push(async () => delivery.stop());
      }
      if (wechatMedia) await wechatMedia.start();
      if (recordings) await recordings.start();
      if (bot) {
        new WechatyChannel(bot, broker, logger).listen();
        await bot.start();
        cleanups.push(() => bot.stop());
        logger.info({ puppet: typeof wechatyPuppet === 'string' ? wechatyPuppet : 'custom' }, 'wechaty bot started');
      }
      const timer = setInterval(() => {
        broker.recoverUnanswered().catch((error) => logger.warn({ err: error }, 'recovery sweep failed'));
      }, RECOVERY_INTERVAL_MS).unref();
      cleanups.push(async () => clearInterval(timer));
    }

    const rateLimitRedis = config.redisUrl
      ? new (await import('ioredis')).Redis(config.redisUrl, { connectTimeout: 2000, maxRetriesPerRequest: 1 })
      : undefined;
    if (rateLimitRedis) cleanups.push(async () => rateLimitRedis.disconnect());
    const app = await buildApp({
      config,
      logger,
      metrics,
      db,
      broker,
      tokens,
      accounts,
      editorial,
      search,
      index,
      queue,
      rateLimitRedis,
      sms: config.sms && { settings: config.sms, optOuts, delivery },
      smsGateway: config.smsGateway && { settings: config.smsGateway, optOuts, delivery },
      wechat: wechat && wechatMedia ? { settings: wechat, optOuts, delivery, media: wechatMedia } : undefined,
      media: mediaStore,
      handoffs,
      tickets,
      analytics,
      reports,
      evalParts: async () => {
        const articles = await db.selectFrom('knowledge_articles').select(['id', 'category']).execute();
        const categories = new Map(articles.map((a) => [a.id, a.category]));
        return {
          nlu,
          search: (q) => search.search(q),
          categoryOf: (id) => categories.get(id),
          knowledgeVersion: await knowledgeVersion(db),
          embedder: index.activeEmbedder,
        };
      },
      voice:
        voice && config.voice?.twilio
          ? { services: voice.services, authToken: config.voice.twilio.authToken, streamSecret: tokenSecret }
          : undefined,
    });
    cleanups.push(() => app.close());
    const address = await app.listen({ host: config.host, port: config.port });
    const url = address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '127.0.0.1');
    logger.info({ url, role: config.role, database: database.kind, queue: queue.kind }, 'gateway listening');
    return {
      app,
      url,
      database,
      queue,
      broker,
      accounts,
      editorial,
      index,
      tickets,
      delivery,
      calls,
      handoffs,
      analytics,
      reports,
      voice,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
