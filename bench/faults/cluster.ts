/**
 * The topology the fault scenarios run on: API-only gateway processes (`MINSHENG_ROLE=api`) and worker
 * processes (`MINSHENG_ROLE=worker`, which serve only /healthz, /readyz and /metrics), all on one fresh
 * PostgreSQL database and one Redis key prefix, with SMS and the WeChat official account pointed at a
 * local fake provider. Processes are killed with SIGKILL and restarted on the same port.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, killHard, spawnGateway, stopGracefully, type GatewayProcess } from '../../test/support/process.js';
import { createTestDatabase, deleteRedisKeys, REDIS_URL, type TestDatabase } from '../../test/support/services.js';
import { TEST_DIRECTLINE_SECRET } from '../../test/support/gateway.js';
import { CHANNEL_BENCH, type FakeProvider } from '../channel-webhooks.js';

export const SMS_NUMBER = '+8610612345';
export const DIRECTLINE_SECRET = TEST_DIRECTLINE_SECRET;

export interface Member {
  name: string;
  role: 'api' | 'worker';
  port: number;
  url: string;
  process?: GatewayProcess;
  /** Output of earlier lives of this member (before kills), for diagnosis. */
  pastOutput: string;
}

export class Cluster {
  readonly members: Member[] = [];

  private constructor(
    readonly env: Record<string, string>,
    /** The address senders sign SMS webhooks for (a load balancer in front of the API instances). */
    readonly publicUrl: string,
    readonly databaseUrl: string,
    readonly redisPrefix: string,
    private readonly cleanups: (() => Promise<unknown>)[],
  ) {}

  /** Starts `apis` API instances and `workers` workers on a fresh database and Redis prefix. */
  static async start(provider: FakeProvider, sizes: { apis: number; workers: number }): Promise<Cluster> {
    const cleanups: (() => Promise<unknown>)[] = [];
    const database: TestDatabase = await createTestDatabase();
    cleanups.push(() => database.drop());
    const prefix = `bench-faults-${randomUUID()}`;
    cleanups.push(() => deleteRedisKeys(prefix));
    const dataDir = await mkdtemp(path.join(tmpdir(), 'minsheng-faults-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const ports = await Promise.all(Array.from({ length: sizes.apis + sizes.workers }, () => freePort()));
    const publicUrl = `http://127.0.0.1:${ports[0]}`;
    const env: Record<string, string> = {
      DATABASE_URL: database.url,
      REDIS_URL,
      MINSHENG_REDIS_PREFIX: prefix,
      MINSHENG_DATA_DIR: dataDir,
      // Learnt once per change of the classifiers' inputs, shared by every run of this bench.
      NLU_CACHE_DIR: path.join(tmpdir(), 'minsheng-bench-nlu-cache'),
      DIRECTLINE_SECRET,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      PUBLIC_URL: publicUrl,
      ANALYTICS_REPORTS: 'off',
      RATE_LIMIT_IP_PER_MINUTE: '1000000',
      RATE_LIMIT_MESSAGES_PER_MINUTE: '1000000',
      RATE_LIMIT_GUEST_TOKENS_PER_MINUTE: '1000000',
      TWILIO_ACCOUNT_SID: CHANNEL_BENCH.account,
      TWILIO_AUTH_TOKEN: CHANNEL_BENCH.smsToken,
      SMS_FROM: SMS_NUMBER,
      SMS_API_BASE_URL: provider.url,
      WECHAT_TOKEN: CHANNEL_BENCH.wechatToken,
      WECHAT_APP_ID: CHANNEL_BENCH.appId,
      WECHAT_APP_SECRET: 'bench-secret',
      WECHAT_API_BASE_URL: provider.url,
    };
    const cluster = new Cluster(env, publicUrl, database.url, prefix, cleanups);
    ports.forEach((port, i) => {
      const role = i < sizes.apis ? 'api' : 'worker';
      const n = role === 'api' ? i + 1 : i - sizes.apis + 1;
      cluster.members.push({ name: `${role}-${n}`, role, port, url: `http://127.0.0.1:${port}`, pastOutput: '' });
    });
    try {
      // The first start migrates the database; the others start together once it has.
      await cluster.launch(cluster.members[0]!);
      await Promise.all(cluster.members.slice(1).map((m) => cluster.launch(m)));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get apis(): Member[] {
    return this.members.filter((m) => m.role === 'api');
  }

  get workers(): Member[] {
    return this.members.filter((m) => m.role === 'worker');
  }

  async launch(member: Member): Promise<void> {
    // Generous: the machine is shared, and four gateways start at once.
    member.process = await spawnGateway({ ...this.env, MINSHENG_ROLE: member.role }, member.port, 120_000);
  }

  /** SIGKILL: no shutdown hook runs, in-flight requests and jobs are cut off. */
  async kill(member: Member): Promise<void> {
    if (!member.process) return;
    await killHard(member.process);
    member.pastOutput += member.process.output();
    member.process = undefined;
  }

  /** Output of every member (all lives), for a failed scenario's diagnosis. */
  output(): string {
    return this.members
      .map((m) => `--- ${m.name}\n${m.pastOutput}${m.process?.output() ?? ''}`)
      .join('\n')
      .trim();
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.members.map(async (member) => {
        const running = member.process;
        if (!running) return;
        // A process that does not finish its shutdown in time is killed.
        const timer = setTimeout(() => void killHard(running), 15_000);
        await stopGracefully(running);
        clearTimeout(timer);
      }),
    );
    for (const cleanup of this.cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}
