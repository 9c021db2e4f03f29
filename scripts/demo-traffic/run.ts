/**
 * The generator: boots the gateway in this process on the configured database with the web chat, SMS (JSON
 * gateway) and WeChat channels on for the run (their providers are local servers), signs demo agents in,
 * plays the scenarios with limited concurrency, then moves the tickets along their lifecycle, spreads the
 * timestamps over the past and recomputes the analytics facts.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { startGateway, type Gateway } from '../../api/gateway.js';
import { WorkingCalendar } from '../../core/calendar/working-days.js';
import { loadConfig, type Config } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { DEMO_AGENTS, DEMO_SUPERVISOR, DeskAgent, ensureDemoAccounts, StaffClient, type AgentStats } from './agents.js';
import { pendingDeliveries, type ChannelContext } from './channels.js';
import { HandoffDirector } from './handoff-plans.js';
import { playScenario, type KbArticle, type PlayContext, type PlayedConversation } from './play.js';
import { LocalSmsGateway, LocalWechatApi } from './providers.js';
import { Random } from './random.js';
import { planScenarios } from './scenarios.js';
import { settleTickets, spreadOverTime } from './settle.js';

export interface DemoTrafficOptions {
  conversations: number;
  days: number;
  seed: number;
  /** The demo accounts' password (set when they are created; used to sign in). */
  password: string;
  /** Conversations played at once. */
  concurrency: number;
  /** The environment the gateway's config is read from (core/config.ts), as `npm start` reads it. */
  env: Record<string, string | undefined>;
  /** Told after each conversation. */
  onProgress?: (done: number, total: number) => void;
  /** Where the gateway's own warnings go (default: nowhere). */
  log?: NodeJS.WritableStream;
}

export interface DemoTrafficResult {
  played: PlayedConversation[];
  database: string;
  agents: { username: string; displayName: string; roles: string; stats?: AgentStats }[];
  createdAccounts: string[];
  /** The administrator's password when this run was the database's first start (shown once). */
  adminPassword?: string;
  tickets: Awaited<ReturnType<typeof settleTickets>>;
  /** What the local providers received: SMS sends, WeChat customer-service messages, and refused requests. */
  providers: { sms: number; wechat: number; wechatPassive: number; refused: string[] };
  /** Conversations recomputed by the analytics roll-up. */
  rolledUp: number;
  /** Start-up (gateway, staff), playing, waiting for the last deliveries, and lifecycle + time spread + roll-up. */
  timings: { startMs: number; playMs: number; settleMs: number; afterMs: number };
  totalMs: number;
}

/** A failure the command line reports with a message and exit code of its own. */
export class DemoTrafficError extends Error {
  constructor(
    readonly code: 'E_DATA_DIR_IN_USE' | 'E_CONFIG',
    message: string,
  ) {
    super(message);
    this.name = 'DemoTrafficError';
  }
}

const secret = (bytes: number) => randomBytes(bytes).toString('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Lines of the gateway's log: warnings pass through, the first start's admin password is kept for the summary. */
function gatewayLog(target: NodeJS.WritableStream | undefined, keep: { adminPassword?: string }): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        try {
          const entry = JSON.parse(line) as { msg?: string; password?: string };
          if (entry.password && entry.msg?.includes('administrator')) keep.adminPassword = entry.password;
          else target?.write(`${line}\n`);
        } catch {
          target?.write(`${line}\n`);
        }
      }
      done();
    },
  });
}

async function boot(options: DemoTrafficOptions, providers: { sms: LocalSmsGateway; wechat: LocalWechatApi }) {
  const { env } = options;
  const overrides = {
    HOST: '127.0.0.1',
    PORT: '0',
    MINSHENG_ROLE: 'all',
    LOG_LEVEL: env.LOG_LEVEL || 'warn',
    DIRECTLINE_SECRET: env.DIRECTLINE_SECRET || secret(16),
    // The channels played, for this run, with the local providers; nothing else that calls out.
    TWILIO_ACCOUNT_SID: '',
    TWILIO_AUTH_TOKEN: '',
    SMS_GATEWAY_URL: providers.sms.url,
    SMS_GATEWAY_API_KEY: providers.sms.apiKey,
    SMS_GATEWAY_SECRET: providers.sms.secret,
    SMS_FROM: '12345',
    WECHAT_TOKEN: `demo${secret(6)}`,
    WECHAT_APP_ID: providers.wechat.appId,
    WECHAT_APP_SECRET: providers.wechat.appSecret,
    WECHAT_ENCODING_AES_KEY: '',
    WECHAT_API_BASE_URL: providers.wechat.url,
    // A short passive window: replies not ready by then go through the (local) customer-service API.
    WECHAT_PASSIVE_REPLY_MS: '2000',
    WECHATY_PUPPET: '',
    LLM_BASE_URL: '',
    LLM_MODEL: '',
    WHISPER_MODEL: '',
    VOICE_AUDIOSOCKET_PORT: '',
  };
  let config: Config;
  try {
    config = loadConfig({ ...env, ...overrides });
  } catch (error) {
    throw new DemoTrafficError('E_CONFIG', (error as Error).message);
  }
  const keep: { adminPassword?: string } = {};
  const logger = createLogger({ level: config.logLevel, destination: gatewayLog(options.log, keep) });
  let gw: Gateway;
  try {
    gw = await startGateway(config, { logger });
  } catch (error) {
    const owner = /is in use by process (\d+)/.exec((error as Error).message);
    if (owner) {
      throw new DemoTrafficError(
        'E_DATA_DIR_IN_USE',
        `The embedded database in ${config.dataDir} is in use by process ${owner[1]}: a running gateway (npm start) holds it. ` +
          'Stop the gateway first, then run npm run demo:traffic again.',
      );
    }
    throw error;
  }
  return { gw, config, keep, wechatToken: overrides.WECHAT_TOKEN, directLineSecret: overrides.DIRECTLINE_SECRET };
}

export async function runDemoTraffic(options: DemoTrafficOptions): Promise<DemoTrafficResult> {
  const started = Date.now();
  const sms = await new LocalSmsGateway(secret(8), secret(16)).start();
  const wechat = await new LocalWechatApi(`wxdemo${secret(5)}`, secret(12)).start();
  const agents: DeskAgent[] = [];
  let booted: Awaited<ReturnType<typeof boot>> | undefined;
  try {
    booted = await boot(options, { sms, wechat });
    const { gw, config } = booted;
    sms.gatewayUrl = gw.url;
    const db = gw.database.db;
    const createdAccounts = await ensureDemoAccounts(gw.accounts, options.password);

    // Staff: the supervisor sets what each agent is good at; the agents open their desks.
    const director = new HandoffDirector();
    const supervisor = await StaffClient.signIn(gw.url, DEMO_SUPERVISOR.username, options.password);
    const random = new Random(options.seed);
    // Separate sources, so timing-dependent draws (a supervisor's delay) cannot shift the time spread.
    const delays = random.fork(5);
    const spread = random.fork(99);
    const lifecycle = random.fork(7);
    for (const a of DEMO_AGENTS) {
      await supervisor.ok('PUT', `/api/staff/${a.username}/desk`, { skills: [...a.skills], capacity: 4 });
      const client = await StaffClient.signIn(gw.url, a.username, options.password);
      agents.push(new DeskAgent(client, director, random.fork(agents.length + 1), () => agents.map((x) => x.username)));
    }
    for (const agent of agents) await agent.start();

    const articles: KbArticle[] = (
      await db
        .selectFrom('knowledge_articles')
        .select(['id', 'question', 'variants'])
        .where('status', '=', 'published')
        .orderBy('id')
        .execute()
    ).map((a) => ({ id: a.id, question: a.question, variants: a.variants }));
    const channels: ChannelContext = {
      gatewayUrl: gw.url,
      db,
      directLineSecret: booted.directLineSecret,
      sms: { from: '12345', secret: sms.secret, provider: sms },
      wechat: { token: booted.wechatToken, account: 'gh_12345demo', passive: { count: 0 } },
    };
    const ctx: PlayContext = {
      channels,
      db,
      director,
      articles,
      tickets: [],
      unattended: async (conversationId) => {
        const deadline = Date.now() + 60_000;
        while (Date.now() < deadline) {
          const open = await gw.handoffs.store.openOf(conversationId);
          if (!open || (open.status === 'waiting' && open.declinedBy.length >= agents.length)) return;
          await sleep(200);
        }
      },
      abandoned: async (conversationId) => {
        await sleep(delays.int(500, 2000));
        const { items } = await supervisor.ok('GET', '/api/desk/handoffs');
        const waiting = (items as { id: string; conversationId: string }[]).find(
          (h) => h.conversationId === conversationId,
        );
        if (waiting)
          await supervisor.ok('POST', `/api/desk/handoffs/${waiting.id}/close`, { disposition: 'citizen_left' });
      },
    };

    // Play, a few conversations at a time.
    const specs = planScenarios(options.conversations, new Random(options.seed));
    if (articles.length === 0) for (const s of specs) if (s.kind === 'consult') s.kind = 'unanswered';
    const startMs = Date.now() - started;
    const played: PlayedConversation[] = [];
    let next = 0;
    options.onProgress?.(0, specs.length);
    const worker = async () => {
      while (next < specs.length) {
        const spec = specs[next++]!;
        played.push(await playScenario(spec, ctx));
        options.onProgress?.(played.length, specs.length);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
    played.sort((a, b) => a.spec.index - b.spec.index);
    const conversationIds = played.flatMap((p) => p.conversationId ?? []);
    const playMs = Date.now() - started - startMs;
    await settleChannels(gw, conversationIds);
    const settleMs = Date.now() - started - startMs - playMs;
    const staff = agents.splice(0);
    for (const agent of staff) await agent.stop();

    // After the play: the tickets' lifecycle, the time spread, the analytics facts.
    const calendar = await WorkingCalendar.load(config.tickets.calendarFile);
    const deadlineDays = config.tickets.deadlineDays;
    const now = new Date();
    const placements = await spreadOverTime(db, played, { days: options.days, now, random: spread });
    const tickets = await settleTickets(gw, placements, {
      calendar,
      deadlineDays,
      now,
      random: lifecycle,
      conversationIds,
    });
    const rolled = await gw.analytics.rollup({ full: true });

    return {
      played,
      database: gw.database.kind === 'pglite' ? `PGlite in ${config.dataDir}` : 'PostgreSQL (DATABASE_URL)',
      agents: [
        ...DEMO_AGENTS.map((a, i) => ({
          username: a.username,
          displayName: a.displayName,
          roles: 'agent',
          stats: staff[i]?.stats,
        })),
        { username: DEMO_SUPERVISOR.username, displayName: DEMO_SUPERVISOR.displayName, roles: 'supervisor' },
      ],
      createdAccounts,
      adminPassword: booted.keep.adminPassword,
      tickets,
      providers: {
        sms: sms.received.length,
        wechat: wechat.received.length,
        wechatPassive: channels.wechat.passive.count,
        refused: [...sms.refused, ...wechat.refused],
      },
      rolledUp: rolled.conversations,
      timings: { startMs, playMs, settleMs, afterMs: Date.now() - started - startMs - playMs - settleMs },
      totalMs: Date.now() - started,
    };
  } finally {
    for (const agent of agents) await agent.stop().catch(() => undefined);
    await booted?.gw.close();
    await sms.stop();
    await wechat.stop();
  }
}

/** Waits until the run's handoffs are over and every reply on a push channel has gone out (a minute at most). */
async function settleChannels(gw: Gateway, conversationIds: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const openHandoffs = await gw.database.db
      .selectFrom('handoffs')
      .select('id')
      .where('status', '<>', 'closed')
      .where('conversation_id', 'in', conversationIds.length ? conversationIds : [''])
      .execute();
    if (openHandoffs.length === 0 && (await pendingDeliveries(gw.database.db, conversationIds)) === 0) return;
    await sleep(250);
  }
}
