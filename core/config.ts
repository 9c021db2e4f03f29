import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** Raised when the environment holds a value the gateway cannot start with. Names the variable. */
export class ConfigError extends Error {
  readonly code = 'E_CONFIG';
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`Invalid configuration: ${variable}: ${detail}`);
    this.name = 'ConfigError';
  }
}

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
/** A number a call can be dialled to: E.164 (+8675512119) or a short code such as 119. */
const phoneNumber = z.string().regex(/^\+?[0-9]{3,15}$/, 'must be a phone number: digits, optionally after +');

const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL starting with ${protocols.map((p) => p + '//').join(' or ')}`,
  );

/** Every variable the gateway reads, with its default. The README lists the same table. */
const schema = z.object({
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: port.default(3000),
  PUBLIC_URL: url(['http:', 'https:']).optional(),
  /**
   * Which proxies' X-Forwarded-For is believed (Fastify's trustProxy: addresses, CIDR ranges or proxy-addr's
   * names, comma-separated). Default with PUBLIC_URL: private and loopback addresses only.
   */
  TRUST_PROXY: z
    .string()
    .regex(
      /^([0-9A-Fa-f.:/]+|loopback|linklocal|uniquelocal)(\s*,\s*([0-9A-Fa-f.:/]+|loopback|linklocal|uniquelocal))*$/,
      'must be addresses, CIDR ranges, loopback, linklocal or uniquelocal, comma-separated',
    )
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  MINSHENG_DATA_DIR: z.string().min(1).default('./data'),
  NLU_CACHE_DIR: z.string().min(1).optional(),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  MINSHENG_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, dot, dash or underscore')
    .default('minsheng'),
  MINSHENG_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  MINSHENG_SEED_DEMO: bool.default(true),
  MINSHENG_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** The first administrator's password; unset, one is generated and logged once at the first start. */
  MINSHENG_ADMIN_PASSWORD: z.string().min(10, 'must be at least 10 characters').optional(),
  DIRECTLINE_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  DIRECTLINE_TOKEN_TTL_SECONDS: positiveInt.max(86_400).default(3600),
  BODY_LIMIT_BYTES: positiveInt.max(64 * 1024 * 1024).default(256 * 1024),
  WORKER_CONCURRENCY: positiveInt.max(256).default(8),
  JOB_ATTEMPTS: positiveInt.max(50).default(5),
  RATE_LIMIT_GUEST_TOKENS_PER_MINUTE: positiveInt.default(20),
  RATE_LIMIT_MESSAGES_PER_MINUTE: positiveInt.default(60),
  /** Requests one client address may make per minute to the citizen-facing routes and the webhooks. */
  RATE_LIMIT_IP_PER_MINUTE: positiveInt.default(1200),
  /** Failed sign-ins in a row that lock a staff account, and for how long. */
  LOGIN_MAX_FAILURES: positiveInt.max(100).default(5),
  LOGIN_LOCKOUT_MINUTES: positiveInt.max(1440).default(15),
  /** Retention in days (core/retention.ts): conversations' messages, citizens' media, closed tickets' personal fields, audit. */
  RETENTION_CONVERSATION_DAYS: positiveInt.max(36_500).default(365),
  RETENTION_MEDIA_DAYS: positiveInt.max(36_500).default(180),
  RETENTION_TICKET_DAYS: positiveInt.max(36_500).default(1095),
  RETENTION_AUDIT_DAYS: positiveInt.max(36_500).default(1095),
  /**
   * The retrieval suite whose questions gate publishing (evals/publish-gate.ts): a reviewed revision that would
   * make a question answered right go wrong is not published. `off` turns the gate off.
   */
  PUBLISH_GATE_SUITE: z.string().min(1).optional(),
  /** How often the conversation figures the dashboard reads are brought up to date (analytics/rollup.ts). */
  ANALYTICS_ROLLUP_SECONDS: positiveInt.max(3600).default(60),
  /** Daily, weekly and monthly reports are generated on schedule unless this is `off`. */
  ANALYTICS_REPORTS: z.enum(['on', 'off']).default('on'),
  /** Chromium renders the monthly report's PDF (Debian package `chromium`). */
  CHROMIUM_PATH: z.string().min(1).default('/usr/bin/chromium'),
  /** Agents' queues, comma-separated; the first takes every handoff the bot raises. */
  HANDOFF_QUEUES: z
    .string()
    .regex(/^[a-z0-9_-]+(,[a-z0-9_-]+)*$/, 'queue names: lower-case letters, digits, - and _, comma-separated')
    .default('general,complaints,departments'),
  /** An offer an agent neither accepts nor declines within this goes to the next agent. */
  HANDOFF_OFFER_TIMEOUT_SECONDS: positiveInt.max(600).default(30),
  /** Overflow rules `from:to:seconds`, comma-separated, e.g. `general:departments:300`. */
  HANDOFF_OVERFLOW: z
    .string()
    .regex(
      /^[a-z0-9_-]+:[a-z0-9_-]+:\d+(,[a-z0-9_-]+:[a-z0-9_-]+:\d+)*$/,
      'overflow rules: from:to:seconds, comma-separated',
    )
    .optional(),
  EMBEDDER: z.enum(['builtin', 'openai', 'onnx']).default('builtin'),
  EMBEDDING_BASE_URL: url(['http:', 'https:']).optional(),
  EMBEDDING_MODEL: z.string().min(1).optional(),
  EMBEDDING_API_KEY: z.string().min(1).optional(),
  // pgvector's HNSW index takes vectors of up to 2,000 dimensions (bge-m3: 1,024; Qwen3 embeddings can be cut to it).
  EMBEDDING_DIMENSIONS: positiveInt.max(2000).optional(),
  EMBEDDING_ONNX_DIR: z.string().min(1).optional(),
  LLM_BASE_URL: url(['http:', 'https:']).optional(),
  LLM_MODEL: z.string().min(1).optional(),
  LLM_API_KEY: z.string().min(1).optional(),
  LLM_TIMEOUT_MS: positiveInt.max(60_000).default(3000),
  TWILIO_ACCOUNT_SID: z.string().min(1).optional(),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  SMS_FROM: z.string().min(1).optional(),
  SMS_API_BASE_URL: url(['http:', 'https:']).default('https://api.twilio.com'),
  SMS_GATEWAY_URL: url(['http:', 'https:']).optional(),
  SMS_GATEWAY_API_KEY: z.string().min(1).optional(),
  SMS_GATEWAY_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  WECHAT_TOKEN: z.string().min(3).max(32).optional(),
  WECHAT_APP_ID: z.string().min(1).optional(),
  WECHAT_APP_SECRET: z.string().min(1).optional(),
  WECHAT_ENCODING_AES_KEY: z
    .string()
    .regex(/^[A-Za-z0-9]{43}$/, 'must be the 43 letters and digits the official account platform shows')
    .optional(),
  WECHAT_API_BASE_URL: url(['http:', 'https:']).default('https://api.weixin.qq.com'),
  // WeChat waits 5 s for the response; what is not ready by then goes out by the customer-service API.
  WECHAT_PASSIVE_REPLY_MS: z.coerce.number().int().min(0).max(4500).default(4000),
  WECHATY_PUPPET: z.string().min(1).optional(),
  WECHATY_PUPPET_TOKEN: z.string().min(1).optional(),
  HOLIDAY_CALENDAR_FILE: z.string().min(1).optional(),
  TAXONOMY_FILE: z.string().min(1).optional(),
  DEADLINE_DAYS_CONSULTATION: positiveInt.max(60).default(1),
  DEADLINE_DAYS_OTHER: positiveInt.max(60).default(15),
  WHISPER_MODEL: z.string().min(1).optional(),
  WHISPER_LANGUAGE: z
    .string()
    .regex(/^([a-z]{2,3}|auto)$/, 'must be a language code such as zh or en, or auto')
    .default('zh'),
  WHISPER_THREADS: positiveInt.max(64).optional(),
  WHISPER_SERVER_BIN: z.string().min(1).optional(),
  TTS_PROVIDER: z.enum(['espeak', 'http']).default('espeak'),
  TTS_BASE_URL: url(['http:', 'https:']).optional(),
  TTS_API_KEY: z.string().min(1).optional(),
  TTS_MODEL: z.string().min(1).optional(),
  TTS_VOICE: z.string().min(1).optional(),
  VOICE_CALLER_ID: phoneNumber.optional(),
  VOICE_AGENT_QUEUE: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, dot, dash or underscore')
    .default('12345-agents'),
  VOICE_CONTROL_URL: url(['http:', 'https:']).optional(),
  VOICE_CONTROL_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  VOICE_AUDIOSOCKET_HOST: z.string().min(1).default('127.0.0.1'),
  VOICE_AUDIOSOCKET_PORT: port.optional(),
  VOICE_END_SILENCE_MS: z.coerce.number().int().min(200).max(3000).default(700),
  VOICE_SILENCE_TIMEOUT_MS: z.coerce.number().int().min(2000).max(120_000).default(8000),
  VOICE_MAX_CALL_MINUTES: positiveInt.max(240).default(30),
  VOICE_MAX_CALLS: positiveInt.max(10_000).default(20),
  EMERGENCY_NUMBER_110: phoneNumber.default('110'),
  EMERGENCY_NUMBER_119: phoneNumber.default('119'),
  EMERGENCY_NUMBER_120: phoneNumber.default('120'),
  EMERGENCY_NUMBER_122: phoneNumber.default('122'),
});

export type Env = z.input<typeof schema>;

/** Names of every environment variable the gateway reads. */
export const CONFIG_VARIABLES = Object.keys(schema.shape) as (keyof Env)[];

export interface Config {
  host: string;
  port: number;
  publicUrl?: string;
  /** Fastify's trustProxy: false, or the proxies' addresses and ranges. */
  trustProxy: false | string;
  logLevel: z.output<typeof schema>['LOG_LEVEL'];
  databaseUrl?: string;
  dataDir: string;
  /** Where trained language models are kept between starts (`<dataDir>/nlu-cache` unless set). */
  nluCacheDir: string;
  redisUrl?: string;
  /** Prefix of every Redis key and channel the gateway uses. */
  redisPrefix: string;
  /** `api` serves HTTP only, `worker` runs queue workers only, `all` does both in one process. */
  role: 'all' | 'api' | 'worker';
  seedDemo: boolean;
  tokenSecret?: string;
  adminPassword?: string;
  directLineSecret?: string;
  directLineTokenTtlSeconds: number;
  bodyLimitBytes: number;
  workerConcurrency: number;
  jobAttempts: number;
  rateLimits: {
    /** Anonymous web chat sessions one client address may open per minute. */
    guestTokensPerMinute: number;
    /** Messages one citizen (a web chat conversation, an SMS number, a WeChat user) may send per minute. */
    messagesPerMinute: number;
    /** Requests one client address may make per minute to the citizen-facing routes and the webhooks. */
    ipPerMinute: number;
  };
  login: { maxFailures: number; lockoutMs: number };
  /** What the retention job purges, by age in days. */
  retention: { conversationDays: number; mediaDays: number; ticketDays: number; auditDays: number };
  /** The retrieval suite that gates publishing (a path), or undefined when the gate is off. */
  publishGateSuite?: string;
  analytics: {
    rollupIntervalMs: number;
    scheduledReports: boolean;
    chromiumPath: string;
  };
  handoff: {
    queues: string[];
    offerTimeoutMs: number;
    /** Wait limit and overflow queue by queue. */
    overflow: Record<string, { waitLimitMs: number; overflowTo: string }>;
  };
  /** The knowledge base's embedder: built-in (no model), an OpenAI-compatible endpoint, or a local ONNX model. */
  embedder: {
    kind: 'builtin' | 'openai' | 'onnx';
    /** OpenAI-compatible base URL, without a trailing slash (e.g. `http://127.0.0.1:11434/v1`). */
    baseUrl?: string;
    model?: string;
    apiKey?: string;
    /** Vector length the index is built for. */
    dimensions?: number;
    onnxDir?: string;
  };
  /**
   * The optional language model (OpenAI-compatible): reads case details and rephrases approved answers.
   * Undefined unless LLM_BASE_URL and LLM_MODEL are set; then nothing calls out.
   */
  llm?: { baseUrl: string; model: string; apiKey?: string; timeoutMs: number };
  /** The WeChat official account; undefined unless its token, app id and secret are set. */
  wechat?: {
    token: string;
    appId: string;
    appSecret: string;
    encodingAesKey?: string;
    apiBaseUrl: string;
    passiveReplyMs: number;
  };
  /** The SMS channel through a generic JSON gateway (domestic SMS platforms); excludes `sms`. */
  smsGateway?: { baseUrl: string; apiKey: string; secret: string; from: string };
  /** A Wechaty bot (personal WeChat or WeCom account) and its puppet, e.g. `wechaty-puppet-service`. */
  wechaty?: { puppet: string; token?: string };
  /** The SMS channel (a Twilio-compatible provider); undefined unless its account, token and sender are set. */
  sms?: { accountSid: string; authToken: string; from: string; apiBaseUrl: string };
  /**
   * Speech recognition with whisper.cpp (voice calls and recorded audio such as WeChat voice); undefined
   * unless WHISPER_MODEL is set. `serverBinary` is the whisper.cpp server, built by `npm install` into
   * `<cacheHome>/minsheng/` unless WHISPER_SERVER_BIN points at one.
   */
  whisper?: { model: string; language: string; threads?: number; serverBinary?: string };
  /** `$XDG_CACHE_HOME`, else `~/.cache`: where `npm install` keeps the whisper.cpp build. */
  cacheHome: string;
  /**
   * The voice bot: Twilio Media Streams (when the Twilio account is set) and/or Asterisk AudioSocket, with
   * spoken replies and call control. Undefined unless speech recognition is configured and a transport is.
   */
  voice?: {
    twilio?: { accountSid: string; authToken: string; apiBaseUrl: string };
    audioSocket?: { host: string; port: number };
    /** The hotline number dialled legs (department, agents) come from. */
    callerId?: string;
    agentQueue: string;
    /** A city's own switch, told what to do with calls (channels/voice/telephony.ts); instead of Twilio's API. */
    control?: { url: string; secret: string };
    emergencyNumbers: Record<'110' | '119' | '120' | '122', string>;
    tts: { kind: 'espeak' } | { kind: 'http'; baseUrl: string; apiKey?: string; model: string; voice: string };
    endSilenceMs: number;
    silenceTimeoutMs: number;
    maxCallMs: number;
    /** Calls one instance takes with the bot at once; more go straight to the agents' queue. */
    maxCalls: number;
  };
  tickets: {
    /** China's public holidays and make-up days (core/calendar/holidays-cn.yaml unless a city's own). */
    calendarFile?: string;
    /** The category tree (tickets/taxonomy/taxonomy.yaml unless a city's own). */
    taxonomyFile?: string;
    deadlineDays: { consultation: number; other: number };
  };
}

/** Builds the one validated config object. The only place that reads the environment. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Read as the XDG base directory spec says, outside the schema: it is the desktop's variable, not ours.
  const cacheHome = env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  // An empty variable means "not set", as in most twelve-factor tooling.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(String(issue.path[0] ?? 'environment'), issue.message);
  }
  const e = parsed.data;
  return {
    host: e.HOST,
    port: e.PORT,
    publicUrl: e.PUBLIC_URL && trimSlash(e.PUBLIC_URL),
    trustProxy: e.TRUST_PROXY ?? (e.PUBLIC_URL ? 'loopback,linklocal,uniquelocal' : false),
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.MINSHENG_DATA_DIR,
    nluCacheDir: e.NLU_CACHE_DIR ?? path.join(e.MINSHENG_DATA_DIR, 'nlu-cache'),
    redisUrl: e.REDIS_URL,
    redisPrefix: e.MINSHENG_REDIS_PREFIX,
    role: e.MINSHENG_ROLE,
    seedDemo: e.MINSHENG_SEED_DEMO,
    tokenSecret: e.MINSHENG_TOKEN_SECRET,
    adminPassword: e.MINSHENG_ADMIN_PASSWORD,
    directLineSecret: e.DIRECTLINE_SECRET,
    directLineTokenTtlSeconds: e.DIRECTLINE_TOKEN_TTL_SECONDS,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    workerConcurrency: e.WORKER_CONCURRENCY,
    jobAttempts: e.JOB_ATTEMPTS,
    rateLimits: {
      guestTokensPerMinute: e.RATE_LIMIT_GUEST_TOKENS_PER_MINUTE,
      messagesPerMinute: e.RATE_LIMIT_MESSAGES_PER_MINUTE,
      ipPerMinute: e.RATE_LIMIT_IP_PER_MINUTE,
    },
    login: { maxFailures: e.LOGIN_MAX_FAILURES, lockoutMs: e.LOGIN_LOCKOUT_MINUTES * 60_000 },
    retention: {
      conversationDays: e.RETENTION_CONVERSATION_DAYS,
      mediaDays: e.RETENTION_MEDIA_DAYS,
      ticketDays: e.RETENTION_TICKET_DAYS,
      auditDays: e.RETENTION_AUDIT_DAYS,
    },
    publishGateSuite:
      e.PUBLISH_GATE_SUITE === 'off'
        ? undefined
        : (e.PUBLISH_GATE_SUITE ?? fileURLToPath(new URL('../evals/suites/retrieval-zh.yaml', import.meta.url))),
    analytics: {
      rollupIntervalMs: e.ANALYTICS_ROLLUP_SECONDS * 1000,
      scheduledReports: e.ANALYTICS_REPORTS === 'on',
      chromiumPath: e.CHROMIUM_PATH,
    },
    handoff: {
      queues: e.HANDOFF_QUEUES.split(','),
      offerTimeoutMs: e.HANDOFF_OFFER_TIMEOUT_SECONDS * 1000,
      overflow: Object.fromEntries(
        (e.HANDOFF_OVERFLOW?.split(',') ?? []).map((rule) => {
          const [from, to, seconds] = rule.split(':') as [string, string, string];
          return [from, { overflowTo: to, waitLimitMs: Number(seconds) * 1000 }];
        }),
      ),
    },
    embedder: embedderSettings(e),
    llm: llmSettings(e),
    sms: smsSettings(e),
    smsGateway: smsGatewaySettings(e),
    wechat: wechatSettings(e),
    wechaty: e.WECHATY_PUPPET ? { puppet: e.WECHATY_PUPPET, token: e.WECHATY_PUPPET_TOKEN } : undefined,
    whisper: e.WHISPER_MODEL
      ? {
          model: e.WHISPER_MODEL,
          language: e.WHISPER_LANGUAGE,
          threads: e.WHISPER_THREADS,
          serverBinary: e.WHISPER_SERVER_BIN,
        }
      : undefined,
    cacheHome,
    voice: voiceSettings(e),
    tickets: {
      calendarFile: e.HOLIDAY_CALENDAR_FILE,
      taxonomyFile: e.TAXONOMY_FILE,
      deadlineDays: { consultation: e.DEADLINE_DAYS_CONSULTATION, other: e.DEADLINE_DAYS_OTHER },
    },
  };
}

/** Variables an embedder cannot run without: checked here so a gap stops the start, naming the variable. */
type Parsed = z.output<typeof schema>;

/** Stops the start naming the first of `variables` that is unset; `reason` says what needs it. */
function requireSet<K extends keyof Parsed>(
  e: Parsed,
  variables: readonly K[],
  reason: string,
): asserts e is Parsed & { [P in K]-?: NonNullable<Parsed[P]> } {
  for (const variable of variables) {
    if (e[variable] === undefined) throw new ConfigError(variable, reason);
  }
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

const EMBEDDER_REQUIRES = {
  builtin: [],
  openai: ['EMBEDDING_BASE_URL', 'EMBEDDING_MODEL', 'EMBEDDING_DIMENSIONS'],
  onnx: ['EMBEDDING_ONNX_DIR'],
} as const;

function embedderSettings(e: Parsed): Config['embedder'] {
  requireSet(e, EMBEDDER_REQUIRES[e.EMBEDDER], `required when EMBEDDER=${e.EMBEDDER}`);
  return {
    kind: e.EMBEDDER,
    baseUrl: e.EMBEDDING_BASE_URL && trimSlash(e.EMBEDDING_BASE_URL),
    model: e.EMBEDDING_MODEL,
    apiKey: e.EMBEDDING_API_KEY,
    dimensions: e.EMBEDDING_DIMENSIONS,
    onnxDir: e.EMBEDDING_ONNX_DIR,
  };
}

function llmSettings(e: Parsed): Config['llm'] {
  if (e.LLM_BASE_URL === undefined && e.LLM_MODEL === undefined) return undefined;
  if (e.LLM_BASE_URL === undefined) throw new ConfigError('LLM_BASE_URL', 'required when LLM_MODEL is set');
  if (e.LLM_MODEL === undefined) throw new ConfigError('LLM_MODEL', 'required when LLM_BASE_URL is set');
  return {
    baseUrl: trimSlash(e.LLM_BASE_URL),
    model: e.LLM_MODEL,
    apiKey: e.LLM_API_KEY,
    timeoutMs: e.LLM_TIMEOUT_MS,
  };
}

function smsSettings(e: Parsed): Config['sms'] {
  // SMS_FROM alone belongs to whichever provider is configured.
  if (e.TWILIO_ACCOUNT_SID === undefined && e.TWILIO_AUTH_TOKEN === undefined) return undefined;
  // A Twilio account used for voice only: its number is VOICE_CALLER_ID, and there is no SMS channel.
  if (e.SMS_FROM === undefined && e.VOICE_CALLER_ID !== undefined && e.WHISPER_MODEL !== undefined) return undefined;
  requireSet(e, ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'SMS_FROM'], 'required when the SMS channel is configured');
  return {
    accountSid: e.TWILIO_ACCOUNT_SID,
    authToken: e.TWILIO_AUTH_TOKEN,
    from: e.SMS_FROM,
    apiBaseUrl: trimSlash(e.SMS_API_BASE_URL),
  };
}

const WECHAT_REQUIRES = ['WECHAT_TOKEN', 'WECHAT_APP_ID', 'WECHAT_APP_SECRET'] as const;

function wechatSettings(e: Parsed): Config['wechat'] {
  if ([...WECHAT_REQUIRES, 'WECHAT_ENCODING_AES_KEY' as const].every((v) => e[v] === undefined)) return undefined;
  requireSet(e, WECHAT_REQUIRES, 'required when the WeChat channel is configured');
  return {
    token: e.WECHAT_TOKEN,
    appId: e.WECHAT_APP_ID,
    appSecret: e.WECHAT_APP_SECRET,
    encodingAesKey: e.WECHAT_ENCODING_AES_KEY,
    apiBaseUrl: trimSlash(e.WECHAT_API_BASE_URL),
    passiveReplyMs: e.WECHAT_PASSIVE_REPLY_MS,
  };
}

function smsGatewaySettings(e: Parsed): Config['smsGateway'] {
  if (e.SMS_GATEWAY_URL === undefined) return undefined;
  if (e.TWILIO_ACCOUNT_SID !== undefined) {
    throw new ConfigError('SMS_GATEWAY_URL', 'configure one SMS provider: a Twilio-compatible one or a JSON gateway');
  }
  requireSet(e, ['SMS_GATEWAY_API_KEY', 'SMS_GATEWAY_SECRET', 'SMS_FROM'], 'required with SMS_GATEWAY_URL');
  return {
    baseUrl: trimSlash(e.SMS_GATEWAY_URL),
    apiKey: e.SMS_GATEWAY_API_KEY,
    secret: e.SMS_GATEWAY_SECRET,
    from: e.SMS_FROM,
  };
}

function voiceSettings(e: Parsed): Config['voice'] {
  const twilioSet = e.TWILIO_ACCOUNT_SID !== undefined && e.TWILIO_AUTH_TOKEN !== undefined;
  const transport = twilioSet || e.VOICE_AUDIOSOCKET_PORT !== undefined;
  if (!transport || e.WHISPER_MODEL === undefined) {
    if (e.VOICE_AUDIOSOCKET_PORT !== undefined) {
      throw new ConfigError('WHISPER_MODEL', 'required for voice calls (VOICE_AUDIOSOCKET_PORT is set)');
    }
    return undefined;
  }
  if (e.VOICE_CONTROL_URL !== undefined) {
    requireSet(e, ['VOICE_CONTROL_SECRET'], 'required with VOICE_CONTROL_URL (requests to the switch are signed)');
  }
  if (e.TTS_PROVIDER === 'http')
    requireSet(e, ['TTS_BASE_URL', 'TTS_MODEL', 'TTS_VOICE'], 'required when TTS_PROVIDER=http');
  return {
    twilio: twilioSet
      ? {
          accountSid: e.TWILIO_ACCOUNT_SID!,
          authToken: e.TWILIO_AUTH_TOKEN!,
          apiBaseUrl: trimSlash(e.SMS_API_BASE_URL),
        }
      : undefined,
    audioSocket:
      e.VOICE_AUDIOSOCKET_PORT !== undefined
        ? { host: e.VOICE_AUDIOSOCKET_HOST, port: e.VOICE_AUDIOSOCKET_PORT }
        : undefined,
    callerId: e.VOICE_CALLER_ID ?? e.SMS_FROM,
    agentQueue: e.VOICE_AGENT_QUEUE,
    control:
      e.VOICE_CONTROL_URL !== undefined ? { url: e.VOICE_CONTROL_URL, secret: e.VOICE_CONTROL_SECRET! } : undefined,
    emergencyNumbers: {
      '110': e.EMERGENCY_NUMBER_110,
      '119': e.EMERGENCY_NUMBER_119,
      '120': e.EMERGENCY_NUMBER_120,
      '122': e.EMERGENCY_NUMBER_122,
    },
    tts:
      e.TTS_PROVIDER === 'http'
        ? {
            kind: 'http',
            baseUrl: trimSlash(e.TTS_BASE_URL!),
            apiKey: e.TTS_API_KEY,
            model: e.TTS_MODEL!,
            voice: e.TTS_VOICE!,
          }
        : { kind: 'espeak' },
    endSilenceMs: e.VOICE_END_SILENCE_MS,
    silenceTimeoutMs: e.VOICE_SILENCE_TIMEOUT_MS,
    maxCallMs: e.VOICE_MAX_CALL_MINUTES * 60_000,
    maxCalls: e.VOICE_MAX_CALLS,
  };
}
