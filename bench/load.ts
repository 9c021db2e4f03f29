/**
 * `npm run bench:load`: all text channels at once (web chat over Direct Line, WeChat XML, SMS webhooks)
 * against one gateway process on PostgreSQL + BullMQ on Redis, at rising open-loop rates split evenly
 * across the channels (bench/load-clients.ts). Per level and channel: offered and achieved turns/s,
 * p50/p95/p99 of the turn until the reply is delivered, errors; a same-run /healthz baseline at the same
 * rate; the knee (the highest level that still keeps up with no errors and every p95 under 200 ms); and
 * the gateway's memory per active conversation. Prints Markdown tables, writes bench/results/load-*.json.
 * Never asserts timings.
 *
 * `npm run bench:load -- split` runs one `api` process and one `worker` process instead (`-- all split`:
 * both). BENCH_LOAD_LEVELS=30,60 picks the levels, BENCH_LOAD_SECONDS the measured seconds a level,
 * BENCH_LOAD_CITIZENS the citizens a channel for the memory measure, BENCH_LOAD_ENV=NAME=value,... more
 * gateway settings for an experiment, BENCH_LOAD_CPU_PROF=<dir> profiles the gateway over the levels
 * (bench/cpu-profiler.ts) and prints where its time went.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createTestDatabase,
  deleteRedisKeys,
  postgresUnavailable,
  REDIS_URL,
  redisUnavailable,
} from '../test/support/services.js';
import { freePort, spawnGateway, stopGracefully, type GatewayProcess } from '../test/support/process.js';
import { channelGatewayEnv, FakeProvider } from './channel-webhooks.js';
import { readProfile, type ProfileSummary } from './cpu-profile.js';
import { DatabaseProbe, gatewayMetrics, settledGatewayMetrics } from './load-probes.js';
import { CHANNELS, inParallel, LoadCitizens, openLoop, type LoadChannel, type TurnOutcome } from './load-clients.js';
import {
  brokenCriteria,
  clearlyFailed,
  knee,
  ms,
  report,
  type ChannelLevel,
  type LevelResult,
  type MemoryStep,
  type SetupResult,
} from './load-report.js';
import { summarize } from './stats.js';
import { healthRoundTrip, QUESTIONS } from './webchat-turn.js';

const numbers = (value: string | undefined, fallback: number[]) =>
  value ? value.split(',').map((v) => Number(v.trim())) : fallback;
const LEVELS = numbers(process.env.BENCH_LOAD_LEVELS, [30, 60, 120, 180, 240, 300, 360]);
const MEASURE_S = Number(process.env.BENCH_LOAD_SECONDS ?? 12);
const WARMUP_S = 3;
const BASELINE_S = 2;
/** Idle seconds before each memory reading. */
const SETTLE_S = 5;
const CITIZENS = Number(process.env.BENCH_LOAD_CITIZENS ?? 2000);
const TIMEOUT_MS = 10_000;
const CPU_PROFILE_DIR = process.env.BENCH_LOAD_CPU_PROF;
/** More gateway settings for an experiment, e.g. `WORKER_CONCURRENCY=32,LOG_LEVEL=info`. */
const EXTRA_ENV = Object.fromEntries(
  (process.env.BENCH_LOAD_ENV ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);
const SECRET = `bench-load-${randomUUID()}`;

interface Deployment {
  name: string;
  /** Where citizens connect (the process that takes HTTP). */
  url: string;
  processes: Record<string, GatewayProcess>;
  database: DatabaseProbe;
  stop(): Promise<void>;
}

/** One gateway (`all`), or an `api` process in front and a `worker` process behind, on a fresh database. */
async function deploy(kind: 'all' | 'split', provider: FakeProvider): Promise<Deployment> {
  const database = await createTestDatabase();
  const prefix = `bench-load-${randomUUID()}`;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'minsheng-load-'));
  const apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const env = (role: string) => ({
    DATABASE_URL: database.url,
    REDIS_URL,
    MINSHENG_REDIS_PREFIX: prefix,
    MINSHENG_DATA_DIR: dataDir,
    MINSHENG_ROLE: role,
    DIRECTLINE_SECRET: SECRET,
    LOG_LEVEL: 'warn',
    ANALYTICS_REPORTS: 'off',
    // The limiter is not what is measured: every citizen here comes from one address.
    RATE_LIMIT_IP_PER_MINUTE: '1000000',
    RATE_LIMIT_MESSAGES_PER_MINUTE: '1000000',
    RATE_LIMIT_GUEST_TOKENS_PER_MINUTE: '1000000',
    ...channelGatewayEnv(provider.url, apiUrl),
    ...EXTRA_ENV,
    ...(CPU_PROFILE_DIR
      ? {
          NODE_OPTIONS: `--import tsx --import ${new URL('./cpu-profiler.ts', import.meta.url).href}`,
          BENCH_CPU_PROFILE_DIR: path.resolve(CPU_PROFILE_DIR, role),
        }
      : {}),
  });
  const processes: Record<string, GatewayProcess> = {};
  const probe = new DatabaseProbe(database.url);
  const stop = async () => {
    await Promise.all(Object.values(processes).map((p) => stopGracefully(p)));
    await probe.end().catch(() => undefined);
    // Another run restarting PostgreSQL or Redis meanwhile must not turn the results into a crash.
    await database.drop().catch((error: unknown) => console.warn(`could not drop ${database.url}: ${String(error)}`));
    await deleteRedisKeys(prefix).catch((error: unknown) =>
      console.warn(`could not delete ${prefix}:*: ${String(error)}`),
    );
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    // One after the other: the first start migrates and seeds the fresh database.
    processes[kind === 'all' ? 'all' : 'api'] = await spawnGateway(env(kind === 'all' ? 'all' : 'api'), apiPort);
    if (kind === 'split') processes.worker = await spawnGateway(env('worker'), await freePort());
  } catch (error) {
    await stop();
    throw error;
  }
  const name = kind === 'all' ? 'one process (all)' : 'api + worker';
  return { name, url: apiUrl, processes, database: probe, stop };
}

/** Gateway memory per citizen: N web chat conversations with open streams, then N SMS and N WeChat citizens. */
async function measureMemory(citizens: LoadCitizens, deployment: Deployment): Promise<MemoryStep[]> {
  const { url } = deployment;
  const ask = async (channel: LoadChannel, ids: number[]) => {
    const failed: TurnOutcome[] = [];
    let sent = 0;
    let lastSuccess = performance.now();
    await inParallel(ids, 32, async (i) => {
      // Nothing answered for 30 s: the gateway is broken, not slow; stop rather than wait out every time-out.
      if (performance.now() - lastSuccess > 30_000) return;
      sent++;
      const outcome = await citizens.send(channel, i, QUESTIONS[i % QUESTIONS.length]!);
      if (outcome.error) failed.push(outcome);
      else lastSuccess = performance.now();
    });
    if (sent < ids.length)
      throw new Error(
        `${channel}: no turn answered for 30 s, ${failed.length} of ${sent} failed (${failed[0]?.error})`,
      );
    return failed.length;
  };
  // Citizens who are not counted first: the first turns compile code and fill caches and pools.
  for (const channel of CHANNELS) await ask(channel, await citizens.add(channel, 60));
  const before = await settledGatewayMetrics(url, SETTLE_S);
  let previous = before;
  const steps: MemoryStep[] = [];
  let errors = 0;
  for (const channel of CHANNELS) {
    process.stdout.write(`  memory: ${CITIZENS} ${channel} citizens, one turn each… `);
    const started = performance.now();
    const failed = await ask(channel, await citizens.add(channel, CITIZENS));
    assertAlive(deployment);
    const now = await settledGatewayMetrics(url, SETTLE_S);
    steps.push({
      channel,
      citizens: CITIZENS,
      errors: failed,
      rssKb: (now.rss - previous.rss) / 1024 / CITIZENS,
      heapKb: (now.heap - previous.heap) / 1024 / CITIZENS,
    });
    console.log(`${failed} errors, ${((performance.now() - started) / 1000).toFixed(0)} s`);
    errors += failed;
    previous = now;
  }
  const all = CITIZENS * CHANNELS.length;
  steps.push({
    channel: 'all',
    citizens: all,
    errors,
    rssKb: (previous.rss - before.rss) / 1024 / all,
    heapKb: (previous.heap - before.heap) / 1024 / all,
  });
  return steps;
}

async function measureLevel(citizens: LoadCitizens, deployment: Deployment, rate: number): Promise<LevelResult> {
  const cpuBefore = await Promise.all(Object.values(deployment.processes).map((p) => gatewayMetrics(p.url)));
  const wallBefore = performance.now();
  const clientBefore = process.cpuUsage();
  const watching = await deployment.database.start();
  const pending: Promise<TurnOutcome>[] = [];
  const began = await openLoop(rate, WARMUP_S + MEASURE_S, (at, n) =>
    pending.push(citizens.next(CHANNELS[n % CHANNELS.length]!, at)),
  );
  const outcomes = await Promise.all(pending);
  const cpuAfter = await Promise.all(Object.values(deployment.processes).map((p) => gatewayMetrics(p.url)));
  const seconds = (performance.now() - wallBefore) / 1000;
  const roles = Object.keys(deployment.processes);
  const loopDelay = Object.fromEntries(
    roles.map((role, i) => [role, { p99: cpuAfter[i]!.loopDelayP99 * 1000, max: cpuAfter[i]!.loopDelayMax * 1000 }]),
  );
  const client = process.cpuUsage(clientBefore);
  const database = await watching.stop();
  const delivered = outcomes.filter((o) => !o.error).length;
  const gatewayCpuSeconds = cpuAfter.reduce((sum, m, i) => sum + m.cpu - cpuBefore[i]!.cpu, 0);
  const cpu = Object.fromEntries(
    Object.keys(deployment.processes).map((role, i) => [
      role,
      ((cpuAfter[i]!.cpu - cpuBefore[i]!.cpu) / seconds) * 100,
    ]),
  );
  const from = began + WARMUP_S * 1000;
  const to = from + MEASURE_S * 1000;
  const channels = CHANNELS.map((channel): ChannelLevel => {
    const mine = outcomes.filter((o) => o.channel === channel);
    const measured = mine.filter((o) => o.startedAt >= from && o.startedAt < to);
    const failed = measured.filter((o) => o.error);
    const delivered = mine.filter((o) => !o.error && o.endedAt >= from && o.endedAt < to);
    return {
      channel,
      offered: rate / CHANNELS.length,
      sent: measured.length,
      achieved: delivered.length / MEASURE_S,
      latency: summarize(measured.filter((o) => !o.error).map((o) => o.endedAt - o.startedAt)),
      errors: failed.length,
      firstError: failed[0]?.error,
      notPassive: channel === 'wechat' ? measured.filter((o) => o.notPassive).length : undefined,
    };
  });
  // Baseline in the same run at the same rate: the cheapest round trip this gateway answers.
  const health: Promise<number | undefined>[] = [];
  await openLoop(rate, BASELINE_S, (at) => health.push(healthRoundTrip(deployment.url, at).catch(() => undefined)));
  const baseline = summarize((await Promise.all(health)).filter((ms): ms is number => ms !== undefined));
  return {
    offered: rate,
    channels,
    baseline,
    cpu,
    loopDelay,
    cpuMsPerTurn: (gatewayCpuSeconds * 1000) / delivered,
    database: { ...database, commitsPerTurn: database.commits / delivered },
    clientCpu: ((client.user + client.system) / 1e6 / seconds) * 100,
    loadAverage: loadavg()[0]!,
    broken: brokenCriteria(channels),
  };
}

function progressLine(level: LevelResult): string {
  const parts = level.channels.map(
    (c) => `${c.channel} ${c.achieved.toFixed(1)}/s p95 ${ms(c.latency.p95)} ms${c.errors ? ` ${c.errors} err` : ''}`,
  );
  const cpu = Object.entries(level.cpu).map(([role, pct]) => `${role} ${pct.toFixed(0)}%`);
  const machine = `gateway CPU ${cpu.join(' + ')} (${level.cpuMsPerTurn.toFixed(1)} ms/turn), PostgreSQL ${level.database.cpu.toFixed(0)}%, load average ${level.loadAverage.toFixed(1)}`;
  return `${parts.join(', ')}; ${machine}; ${level.broken.length ? 'past the knee' : 'ok'}`;
}

/** The last error a gateway process logged (pino level 50 and above), shortened. */
function lastErrorLogged(deployment: Deployment): string | undefined {
  const lines = Object.values(deployment.processes).flatMap((p) => p.output().split('\n'));
  return lines.findLast((line) => /"level":(50|60)/.test(line))?.slice(0, 400);
}

/** Throws, with the end of its output, when a gateway process has exited. */
function assertAlive(deployment: Deployment): void {
  for (const [role, gateway] of Object.entries(deployment.processes)) {
    const { exitCode, signalCode } = gateway.child;
    if (exitCode !== null || signalCode !== null) {
      throw new Error(
        `the ${role} process exited (${exitCode ?? signalCode}); its last output:\n${gateway.output().slice(-4000)}`,
      );
    }
  }
}

/** Each gateway process's CPU over `seconds` of no load (timers, sweeps, queue polling), percent of one core. */
async function cpuOver(deployment: Deployment, seconds: number): Promise<Record<string, number>> {
  const roles = Object.keys(deployment.processes);
  const read = () => Promise.all(roles.map((role) => gatewayMetrics(deployment.processes[role]!.url)));
  const before = await read();
  await sleep(seconds * 1000);
  const after = await read();
  return Object.fromEntries(roles.map((role, i) => [role, ((after[i]!.cpu - before[i]!.cpu) / seconds) * 100]));
}

/** Starts or stops the gateways' profilers (bench/cpu-profiler.ts) when BENCH_LOAD_CPU_PROF is set. */
function toggleProfilers(deployment: Deployment): void {
  if (!CPU_PROFILE_DIR) return;
  for (const gateway of Object.values(deployment.processes)) gateway.child.kill('SIGUSR2');
}

/** Each process's profile, once written, summarized. */
async function readProfiles(deployment: Deployment): Promise<Record<string, ProfileSummary>> {
  const profiles: Record<string, ProfileSummary> = {};
  if (!CPU_PROFILE_DIR) return profiles;
  for (const [role, gateway] of Object.entries(deployment.processes)) {
    const dir = path.resolve(CPU_PROFILE_DIR, role);
    const mine = async () =>
      (await readdir(dir).catch(() => [])).filter((f) => f.startsWith(`${gateway.child.pid}-`)).sort();
    for (let waited = 0; (await mine()).length === 0 && waited < 30_000; waited += 200) await sleep(200);
    const file = (await mine()).at(-1);
    if (file) profiles[role] = await readProfile(path.join(dir, file), 25);
    else console.log(`no CPU profile from ${role} within 30 s`);
  }
  return profiles;
}

async function runDeployment(kind: 'all' | 'split', provider: FakeProvider): Promise<SetupResult> {
  process.stdout.write(`${kind === 'all' ? 'one process (all)' : 'api + worker'}: starting… `);
  const deployment = await deploy(kind, provider);
  console.log('ready');
  const citizens = new LoadCitizens(deployment.url, SECRET, provider, TIMEOUT_MS);
  const levels: LevelResult[] = [];
  let memory: MemoryStep[] = [];
  let profiles: Record<string, ProfileSummary> = {};
  let idleCpu: Record<string, number> = {};
  let failure: string | undefined;
  try {
    memory = await measureMemory(citizens, deployment);
    idleCpu = await cpuOver(deployment, 3);
    toggleProfilers(deployment);
    for (const rate of LEVELS) {
      assertAlive(deployment);
      process.stdout.write(`  ${rate} turns/s: `);
      const level = await measureLevel(citizens, deployment, rate);
      console.log(progressLine(level));
      const logged = lastErrorLogged(deployment);
      if (level.channels.some((c) => c.errors > 0) && logged) console.log(`    the gateway logged: ${logged}`);
      levels.push(level);
      if (clearlyFailed(level)) {
        console.log('  clearly past the knee: not raising the rate further');
        break;
      }
    }
    toggleProfilers(deployment);
    profiles = await readProfiles(deployment);
  } catch (error) {
    failure = (error as Error).message;
    console.log(`\n${deployment.name} failed: ${failure}`);
    for (const [role, gateway] of Object.entries(deployment.processes))
      console.log(`\nthe ${role} process's last output:\n${gateway.output().slice(-4000)}`);
  } finally {
    citizens.close();
    await deployment.stop();
  }
  return { setup: deployment.name, failure, streamErrors: citizens.streamErrors, idleCpu, memory, levels, profiles };
}

async function main() {
  const asked = process.argv.slice(2);
  const kinds = (asked.length ? asked : ['all']).map((k) => {
    if (k !== 'all' && k !== 'split') throw new Error(`unknown setup ${k}; choose all or split`);
    return k;
  });
  const skip = (await postgresUnavailable()) ?? (await redisUnavailable());
  if (skip) {
    console.log(`bench:load skipped: it needs PostgreSQL and Redis (${skip})`);
    return;
  }
  console.log(
    `Levels ${LEVELS.join(', ')} turns/s, each ${WARMUP_S} s warm-up + ${MEASURE_S} s measured; time-out ${TIMEOUT_MS / 1000} s`,
  );
  const provider = new FakeProvider();
  await provider.start();
  const results: SetupResult[] = [];
  try {
    for (const kind of kinds) results.push(await runDeployment(kind, provider));
  } finally {
    await provider.stop();
  }
  for (const result of results) report(result);
  // A gateway that crashed is a failed run; slow answers never are.
  if (results.some((r) => r.failure)) process.exitCode = 1;
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  const file = new URL(`./results/load-${new Date().toISOString().replaceAll(':', '-')}.json`, import.meta.url);
  const json = results.map((r) => ({ ...r, knee: knee(r.levels).at }));
  await writeFile(
    file,
    JSON.stringify({ node: process.version, levels: LEVELS, measureSeconds: MEASURE_S, results: json }, null, 2),
  );
  console.log(`\nwritten to ${path.relative(process.cwd(), file.pathname)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
