import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startGateway, type Gateway, type StartOptions } from '../../api/gateway.js';
import { loadConfig } from '../../core/config.js';
import { createLogger, type Logger } from '../../core/logger.js';
import { createTestDatabase } from './services.js';

export const TEST_DIRECTLINE_SECRET = 'test-directline-secret-0123456789';

export interface TestGateway extends Gateway {
  cleanup(): Promise<void>;
}

export interface TestGatewayOptions {
  engine?: 'pglite' | 'postgres';
  redisUrl?: string;
  env?: Record<string, string>;
  /** An existing PGlite directory (a restart); the caller removes it. */
  dataDir?: string;
  /** A Wechaty puppet for the Wechaty channel (wechaty-puppet-mock's). */
  wechatyPuppet?: StartOptions['wechatyPuppet'];
  /** Speech recognition and synthesis instead of the configured ones. */
  transcriber?: StartOptions['transcriber'];
  synthesizer?: StartOptions['synthesizer'];
  /** Where the gateway logs; by default a logger at TEST_LOG_LEVEL (silent). */
  logger?: Logger;
}

/** A whole gateway on a random port with its own database (and Redis prefix space), for one test file. */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'minsheng-gw-')));
  const database = options.engine === 'postgres' ? await createTestDatabase() : undefined;
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    MINSHENG_DATA_DIR: dataDir,
    DATABASE_URL: database?.url,
    REDIS_URL: options.redisUrl,
    DIRECTLINE_SECRET: TEST_DIRECTLINE_SECRET,
    // One model cache for every test gateway: the classifiers are learnt once per change of their inputs.
    NLU_CACHE_DIR: path.join(tmpdir(), 'minsheng-test-nlu-cache'),
    // Scheduled reports would print PDFs in every gateway that lives past 30 s; tests ask for reports instead.
    ANALYTICS_REPORTS: 'off',
    ...options.env,
  });
  const gateway = await startGateway(config, {
    logger: options.logger ?? createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    wechatyPuppet: options.wechatyPuppet,
    transcriber: options.transcriber,
    synthesizer: options.synthesizer,
  });
  return {
    ...gateway,
    cleanup: async () => {
      await gateway.close();
      await database?.drop();
      if (options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
