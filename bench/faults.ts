/**
 * `npm run bench:faults [-- scenario...]`: faults under load on a real topology (bench/faults/cluster.ts:
 * API-only gateways and workers in their own processes, PostgreSQL, BullMQ on Redis, a fake SMS/WeChat
 * provider). Each scenario sends a steady load over SMS, WeChat and web chat, injects its fault half-way
 * (bench/faults/scenarios.ts), waits for the queues to drain and counts, for every acknowledged message,
 * the replies delivered (bench/faults/count.ts). Prints a pass/fail table; exits 1 when any scenario fails.
 * PASS: no acknowledged message missing its reply, none answered twice, and the queues drained.
 *
 * Environment: BENCH_FAULTS_RATE (messages/s, default 24), BENCH_FAULTS_SECONDS (default 16),
 * BENCH_FAULTS_BURST (messages sent at once just before the fault, default 60), BENCH_FAULTS_DUMP=1 (print
 * the gateways' output when a scenario fails),
 * BENCH_LOG_LEVEL (the gateways' log level, default warn).
 */
import { REDIS_URL, postgresUnavailable, redisUnavailable } from '../test/support/services.js';
import { FakeProvider } from './channel-webhooks.js';
import { table } from './stats.js';
import { Cluster } from './faults/cluster.js';
import { readBacklog, tallyReplies, waitForDrain, type Tally } from './faults/count.js';
import { runLoad } from './faults/load.js';
import { ensurePostgres, ensureRedis, SCENARIOS, type Scenario } from './faults/scenarios.js';

const RATE = Number(process.env.BENCH_FAULTS_RATE ?? 24);
const SECONDS = Number(process.env.BENCH_FAULTS_SECONDS ?? 16);
/** Extra messages sent at once just before the fault, so that the queues hold a backlog when it strikes. */
const BURST = Number(process.env.BENCH_FAULTS_BURST ?? 60);
/** The fake provider's round trip per message when all is well. */
const PROVIDER_LATENCY_MS = 100;
/** Longest wait for the backlog to empty after the load: a stalled BullMQ job is only taken back after its
 * 30 s lock expires, and the delivery sweep re-queues replies pending for 30 s every 15 s. */
const DRAIN_TIMEOUT_MS = 120_000;

interface Outcome {
  scenario: string;
  tally?: Tally;
  drained: boolean;
  drainSeconds: number;
  deadLetters: number;
  pass: boolean;
  notes: string[];
}

const stamp = (started: number) => `+${((Date.now() - started) / 1000).toFixed(1)}s`;

async function runScenario(scenario: Scenario, cluster: Cluster, provider: FakeProvider): Promise<Outcome> {
  const notes: string[] = [];
  const started = Date.now();
  const log = (line: string) => {
    notes.push(`${stamp(started)} ${line}`);
    console.log(`  ${stamp(started)} ${line}`);
  };
  const deadBefore = (await readBacklog(cluster.databaseUrl, REDIS_URL, cluster.redisPrefix)).deadLetters;
  const load = runLoad({
    urls: cluster.apis.map((m) => m.url),
    publicUrl: cluster.publicUrl,
    rate: RATE,
    seconds: SECONDS,
    burst: { atMs: (SECONDS * 1000) / 2 - 1500, count: BURST },
  });
  await new Promise((r) => setTimeout(r, (SECONDS * 1000) / 2));
  const before = await readBacklog(cluster.databaseUrl, REDIS_URL, cluster.redisPrefix);
  log(
    `backlog when the fault strikes: jobs ${JSON.stringify(before.jobs)}, unanswered ${before.unansweredInbound}, ` +
      `pending deliveries ${before.pendingDeliveries}`,
  );
  let injectError: unknown;
  await scenario.inject({ cluster, provider, log }).catch((error: unknown) => (injectError = error));
  const messages = await load;
  log(`load done: ${messages.length} sent, ${messages.filter((m) => m.acknowledged).length} acknowledged`);
  const drain = await waitForDrain(
    () => readBacklog(cluster.databaseUrl, REDIS_URL, cluster.redisPrefix),
    DRAIN_TIMEOUT_MS,
  );
  log(
    drain.drained
      ? `queues drained in ${drain.seconds.toFixed(1)} s`
      : `queues NOT drained after ${drain.seconds.toFixed(0)} s: ${JSON.stringify(drain.last)}`,
  );
  // Let a delivery that raced the last read land before counting.
  await new Promise((r) => setTimeout(r, 1000));
  const tally = await tallyReplies(
    messages,
    provider,
    cluster.databaseUrl,
    cluster.apis.map((m) => m.url),
  );
  for (const example of tally.examples) log(example);
  if (tally.providerRepeats) log(`SMS provider saw ${tally.providerRepeats} repeated idempotency tokens`);
  if (injectError) log(`fault injection failed: ${(injectError as Error).message}`);
  const pass = !injectError && drain.drained && tally.missing === 0 && tally.duplicated === 0;
  return {
    scenario: scenario.name,
    tally,
    drained: drain.drained,
    drainSeconds: drain.seconds,
    deadLetters: drain.last.deadLetters - deadBefore,
    pass,
    notes,
  };
}

async function main(): Promise<number> {
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length) {
    console.error(`unknown scenario(s): ${unknown.join(', ')}; choose from ${SCENARIOS.map((s) => s.name).join(', ')}`);
    return 2;
  }
  const chosen = names.length ? SCENARIOS.filter((s) => names.includes(s.name)) : SCENARIOS;
  const skip = (await postgresUnavailable()) ?? (await redisUnavailable());
  if (skip) {
    console.error(`bench:faults needs PostgreSQL and Redis: ${skip}`);
    return 1;
  }
  const provider = new FakeProvider(PROVIDER_LATENCY_MS);
  await provider.start();
  const outcomes: Outcome[] = [];
  let cluster: Cluster | undefined;
  try {
    process.stdout.write('starting 2 API instances and 2 workers on PostgreSQL + BullMQ… ');
    const started = Date.now();
    cluster = await Cluster.start(provider, { apis: 2, workers: 2 });
    console.log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const scenario of chosen) {
      console.log(`\n${scenario.name}: ${RATE} messages/s for ${SECONDS} s (SMS, WeChat, web chat in turn)`);
      try {
        outcomes.push(await runScenario(scenario, cluster, provider));
      } catch (error) {
        console.log(`  scenario failed to run: ${(error as Error).stack}`);
        outcomes.push({
          scenario: scenario.name,
          drained: false,
          drainSeconds: Number.NaN,
          deadLetters: 0,
          pass: false,
          notes: [String(error)],
        });
      } finally {
        // Whatever happened, the next scenario starts whole.
        await ensureRedis();
        await ensurePostgres();
        for (const member of cluster.members) if (!member.process) await cluster.launch(member);
      }
    }
  } finally {
    await ensureRedis().catch((error: unknown) => console.error(`Redis is not running: ${String(error)}`));
    await ensurePostgres().catch((error: unknown) => console.error(`PostgreSQL is not running: ${String(error)}`));
    if (cluster && outcomes.some((o) => !o.pass) && process.env.BENCH_FAULTS_DUMP) {
      console.log(`\ngateway output:\n${cluster.output()}`);
    }
    await cluster?.stop();
    await provider.stop();
  }

  const load = `${RATE}/s x ${SECONDS}s`;
  console.log('\nFaults under load: every acknowledged message must get exactly one reply delivered');
  console.log(
    'provider repeats: SMS sends the provider took again with the same idempotency token (counted as one message)',
  );
  console.log(
    table(
      [
        'scenario',
        'load',
        'sent',
        'acknowledged',
        'retried',
        'replied once',
        'missing',
        'duplicated',
        'provider repeats',
        'dead letters',
        'drain s',
        'result',
      ],
      outcomes.map((o) => [
        o.scenario,
        load,
        o.tally?.sent ?? '-',
        o.tally?.acknowledged ?? '-',
        o.tally?.retried ?? '-',
        o.tally?.repliedOnce ?? '-',
        o.tally?.missing ?? '-',
        o.tally?.duplicated ?? '-',
        o.tally?.providerRepeats ?? '-',
        o.deadLetters,
        o.drained ? o.drainSeconds.toFixed(1) : 'not drained',
        o.pass ? 'PASS' : 'FAIL',
      ]),
    ),
  );
  const perChannel = outcomes.flatMap((o) =>
    o.tally
      ? (['sms', 'wechat', 'webchat'] as const).map((c) => {
          const t = o.tally!.byChannel[c];
          return [o.scenario, c, t.acknowledged, t.missing, t.duplicated];
        })
      : [],
  );
  if (perChannel.length) {
    console.log('\nBy channel');
    console.log(table(['scenario', 'channel', 'acknowledged', 'missing', 'duplicated'], perChannel));
  }
  return outcomes.every((o) => o.pass) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
