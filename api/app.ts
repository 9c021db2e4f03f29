import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { ConversationBroker } from '../assistant/broker.js';
import { DirectLineAuth } from '../channels/webchat/auth.js';
import { directLineRoutes } from '../channels/webchat/direct-line.js';
import { guestTokenRoute } from '../channels/webchat/guest-token.js';
import type { OutboundDelivery } from '../channels/delivery.js';
import { smsRoutes, type SmsSettings } from '../channels/sms/twilio.js';
import { jsonGatewayRoutes, type SmsGatewaySettings } from '../channels/sms/json-gateway.js';
import type { OptOuts } from '../core/opt-outs.js';
import { wechatRoutes, type WechatSettings } from '../channels/wechat/official-account.js';
import type { DirectLineTokens } from '../channels/webchat/tokens.js';
import type { StaffAccounts } from '../core/accounts.js';
import type { Config } from '../core/config.js';
import { AppError } from '../core/errors.js';
import type { Database } from '../core/db/schema.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { KnowledgeEditorial } from '../knowledge/editorial.js';
import type { KnowledgeSearch } from '../knowledge/search.js';
import type { VectorIndex } from '../knowledge/vector-index.js';
import type { JobQueue } from '../core/queue/job-queue.js';
import { installErrorHandler } from './error-handler.js';
import { knowledgeRoutes } from './knowledge-routes.js';
import { operationsRoutes } from './operations-routes.js';
import { mediaRoutes } from './media-routes.js';
import type { MediaStore } from '../core/media-store.js';
import type { WechatMediaFetcher } from '../channels/wechat/media.js';
import { CallRecords } from '../core/call-records.js';
import { twilioVoiceRoutes, type TwilioVoiceOptions } from '../channels/voice/twilio-stream.js';
import { DatabaseDeadLetters } from '../core/queue/dead-letters.js';
import { requireStaff, staffAuth } from './staff-auth.js';
import { staffRoutes } from './staff-routes.js';
import { evalsRoutes } from './evals-routes.js';
import type { EvalParts } from '../evals/runner.js';
import type { AnalyticsService } from '../analytics/analytics-service.js';
import type { AnalyticsReports } from '../analytics/reports.js';
import { analyticsRoutes } from './analytics-routes.js';
import { deskRoutes } from '../handoff/desk-routes.js';
import { joinRoutes } from '../handoff/join-routes.js';
import type { HandoffService } from '../handoff/handoff-service.js';
import type { TicketStore } from '../tickets/ticket-store.js';
import { webPages } from './web-pages.js';

export interface AppDependencies {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  db: Kysely<Database>;
  broker: ConversationBroker;
  tokens: DirectLineTokens;
  accounts: StaffAccounts;
  editorial: KnowledgeEditorial;
  search: KnowledgeSearch;
  index: VectorIndex;
  queue: JobQueue;
  /** Shares rate-limit counters across instances; per-instance memory without it. */
  rateLimitRedis?: unknown;
  /** The SMS channel, when configured. */
  sms?: { settings: SmsSettings; optOuts: OptOuts; delivery: OutboundDelivery };
  /** The SMS channel through a generic JSON gateway, when configured. */
  smsGateway?: { settings: SmsGatewaySettings; optOuts: OptOuts; delivery: OutboundDelivery };
  /** The WeChat official account, when configured. */
  wechat?: { settings: WechatSettings; optOuts: OptOuts; delivery: OutboundDelivery; media: WechatMediaFetcher };
  /** Twilio voice calls (incoming-call webhook and Media Streams). */
  voice?: Omit<TwilioVoiceOptions, 'publicUrl'>;
  /** Media citizens sent, served to staff. */
  media: MediaStore;
  handoffs: HandoffService;
  tickets: TicketStore;
  /** The live knowledge search and language understanding, for eval re-runs. */
  evalParts(): Promise<EvalParts>;
  analytics: AnalyticsService;
  reports: AnalyticsReports;
}

/** The HTTP face of the gateway. Pure assembly: every dependency is built by the caller. */
export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const { config, metrics } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    // Our own access line below logs the route pattern, never the raw URL (stream URLs carry tokens).
    logController: new LogController({ disableRequestLogging: true }),
    // Only the configured proxies may say who the client is: per-address rate limits key on it.
    trustProxy: config.trustProxy,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  installErrorHandler(app);

  // Direct Line clients POST /conversations with a JSON content type and no body: read that as no body.
  // Everything else goes through Fastify's own parser (prototype-poisoning protection included).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    body === '' ? done(null, undefined) : parseJson(request, body as string, done),
  );

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, seconds);
    request.log.debug(
      { method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'minsheng 民声 gateway',
        description:
          '12345 hotline intake gateway: Direct Line 3.0 web chat, staff sign-in, the knowledge base and its review workflow, health and metrics.',
        version: '0.1.0',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'Direct Line secret or token' },
          staffSession: { type: 'apiKey', in: 'cookie', name: 'minsheng_session', description: 'Staff session' },
        },
      },
    },
  });
  // Security headers on every response: nosniff, no referrer, no framing by other sites, no cross-origin
  // embedding or window access, HSTS when served over https. Each page sets its own Content-Security-Policy
  // (web-pages.ts, the reports); the API answers JSON, which no browser renders as a document.
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: false,
    hsts: config.publicUrl?.startsWith('https:') ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  await app.register(fastifyCookie);
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });
  // Off by default; routes opt in with their own limit and key.
  await app.register(fastifyRateLimit, {
    global: false,
    redis: deps.rateLimitRedis,
    // A Redis outage must not take the citizen-facing API down with it: serve unlimited meanwhile.
    skipOnError: true,
    nameSpace: `${config.redisPrefix}:rate-limit:`,
    errorResponseBuilder: (_request, context) =>
      new AppError(
        'E_RATE_LIMITED',
        `Too many requests: at most ${context.max} per ${context.after}. Please wait and try again.`,
      ),
  });
  // Tokens are bearer credentials, never cookies, so any origin may call the Direct Line API.
  await app.register(fastifyCors, {
    origin: true,
    allowedHeaders: ['Authorization', 'Content-Type', 'x-ms-bot-agent', 'x-requested-with'],
    methods: ['GET', 'POST', 'OPTIONS'],
    maxAge: 600,
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await sql`select 1`.execute(deps.db);
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ error: { code: 'E_UNAVAILABLE', message: 'The database is not reachable.' } });
    }
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  if (config.role !== 'worker') {
    const auth = new DirectLineAuth(deps.tokens, config.directLineSecret);
    await app.register(directLineRoutes, {
      prefix: '/v3/directline',
      broker: deps.broker,
      auth,
      publicUrl: config.publicUrl,
      messagesPerMinute: config.rateLimits.messagesPerMinute,
      ipPerMinute: config.rateLimits.ipPerMinute,
    });
    await app.register(guestTokenRoute, {
      broker: deps.broker,
      tokens: deps.tokens,
      perMinute: config.rateLimits.guestTokensPerMinute,
      ipPerMinute: config.rateLimits.ipPerMinute,
    });
    await app.register(staffAuth, {
      accounts: deps.accounts,
      secureCookies: config.publicUrl?.startsWith('https:') ?? false,
    });
    await app.register(knowledgeRoutes, {
      prefix: '/api/knowledge',
      db: deps.db,
      accounts: deps.accounts,
      editorial: deps.editorial,
      search: deps.search,
      index: deps.index,
      queue: deps.queue,
    });
    await app.register(operationsRoutes, {
      prefix: '/api/operations',
      accounts: deps.accounts,
      deadLetters: new DatabaseDeadLetters(deps.db),
      calls: new CallRecords(deps.db),
    });
    await app.register(mediaRoutes, { prefix: '/api/media', accounts: deps.accounts, media: deps.media });
    await app.register(deskRoutes, {
      prefix: '/api/desk',
      handoffs: deps.handoffs,
      broker: deps.broker,
      tickets: deps.tickets,
      knowledge: deps.search,
      queues: config.handoff.queues,
      guard: (roles) => requireStaff(deps.accounts, roles),
    });
    await app.register(joinRoutes, {
      prefix: '/api/join',
      handoffs: deps.handoffs,
      broker: deps.broker,
      ipPerMinute: config.rateLimits.ipPerMinute,
    });
    await app.register(evalsRoutes, {
      prefix: '/api/evals',
      db: deps.db,
      accounts: deps.accounts,
      parts: deps.evalParts,
    });
    await app.register(analyticsRoutes, {
      prefix: '/api/analytics',
      db: deps.db,
      accounts: deps.accounts,
      analytics: deps.analytics,
      reports: deps.reports,
    });
    await app.register(staffRoutes, {
      prefix: '/api/staff',
      accounts: deps.accounts,
      handoffs: deps.handoffs,
      queues: config.handoff.queues,
    });
    await app.register(webPages);
    // The push channels' webhooks: per citizen (sender) and per client address.
    const citizenLimits = {
      messagesPerMinute: config.rateLimits.messagesPerMinute,
      ipPerMinute: config.rateLimits.ipPerMinute,
    };
    if (deps.voice) {
      await app.register(twilioVoiceRoutes, {
        ...deps.voice,
        publicUrl: config.publicUrl,
        ipPerMinute: config.rateLimits.ipPerMinute,
      });
    }
    if (deps.wechat) {
      await app.register(wechatRoutes, {
        broker: deps.broker,
        ...deps.wechat,
        ...citizenLimits,
      });
    }
    if (deps.smsGateway) {
      await app.register(jsonGatewayRoutes, {
        broker: deps.broker,
        ...deps.smsGateway,
        ...citizenLimits,
      });
    }
    if (deps.sms) {
      await app.register(smsRoutes, {
        broker: deps.broker,
        publicUrl: config.publicUrl,
        ...deps.sms,
        ...citizenLimits,
      });
    }
  }
  return app;
}
