/**
 * The load benchmark's results (bench/load.ts): what one level and one setup measured, the knee, and the
 * Markdown tables printed at the end.
 */
import type { ProfileSummary } from './cpu-profile.js';
import type { LoadChannel } from './load-clients.js';
import type { DatabaseActivity } from './load-probes.js';
import { markdownTable as markdown, type Summary } from './stats.js';

/** The knee's bounds: keeping up, no errors, and this p95 on every channel. */
const KEPT_UP = 0.95;
export const P95_TARGET_MS = 200;

export interface ChannelLevel {
  channel: LoadChannel;
  offered: number;
  sent: number;
  /** Replies delivered per second within the measured window. */
  achieved: number;
  latency: Summary;
  errors: number;
  firstError?: string;
  /** WeChat: replies that went by the customer-service API (the turn missed the passive window). */
  notPassive?: number;
}

export interface LevelResult {
  offered: number;
  channels: ChannelLevel[];
  baseline: Summary;
  /** Gateway CPU over the level, per process, in percent of one core. */
  cpu: Record<string, number>;
  /** Event loop delay over the level, per process, milliseconds (p99 and max). */
  loopDelay: Record<string, { p99: number; max: number }>;
  /** Gateway CPU (all processes) per delivered turn, in milliseconds: less noisy than latency on a busy machine. */
  cpuMsPerTurn: number;
  /** This load generator's own CPU over the level, in percent of one core. */
  clientCpu: number;
  /** The database over the level: its server processes' CPU, transactions per delivered turn, waits. */
  database: DatabaseActivity & { commitsPerTurn: number };
  /** The machine's one-minute load average at the end of the level (other work on it skews every number). */
  loadAverage: number;
  broken: string[];
}

export interface MemoryStep {
  channel: LoadChannel | 'all';
  citizens: number;
  errors: number;
  rssKb: number;
  heapKb: number;
}

export interface SetupResult {
  setup: string;
  /** Why the run of this setup ended early (a gateway process exited, nothing answered). */
  failure?: string;
  /** Direct Line WebSocket errors after the stream opened. */
  streamErrors: number;
  /** Each gateway process's CPU with no load, percent of one core. */
  idleCpu: Record<string, number>;
  memory: MemoryStep[];
  levels: LevelResult[];
  profiles: Record<string, ProfileSummary>;
}

/** The knee's criteria this level broke (none: the level keeps up). */
export function brokenCriteria(channels: ChannelLevel[]): string[] {
  const broken: string[] = [];
  for (const c of channels) {
    if (c.achieved < KEPT_UP * c.offered)
      broken.push(`${c.channel} achieved ${c.achieved.toFixed(1)}/s < 95% of ${c.offered.toFixed(1)}/s`);
    if (c.errors > 0) broken.push(`${c.channel} ${c.errors} errors (${c.firstError})`);
    if (!(c.latency.p95 < P95_TARGET_MS)) broken.push(`${c.channel} p95 ${c.latency.p95.toFixed(0)} ms`);
  }
  return broken;
}

/** Clearly past the knee: no point raising the rate further. */
export const clearlyFailed = (level: LevelResult) =>
  level.channels.some(
    (c) => c.achieved < 0.8 * c.offered || c.errors > 0.05 * c.sent || !(c.latency.p95 < 5 * P95_TARGET_MS),
  );

export const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');

/** The highest level that broke no criterion, and the level after it (what broke there). */
export function knee(levels: LevelResult[]): { at?: number; next?: LevelResult } {
  const kept = levels.findLastIndex((l) => l.broken.length === 0);
  return { at: levels[kept]?.offered, next: levels[kept + 1] };
}

export function report(result: SetupResult): void {
  if (result.failure) console.log(`\n**${result.setup} failed**: ${result.failure}`);
  console.log(`\n### ${result.setup}: turns until the reply is delivered (ms), open loop, rate split evenly\n`);
  const rows: (string | number)[][] = [];
  for (const level of result.levels) {
    for (const c of level.channels) {
      rows.push([
        level.offered,
        c.channel,
        c.offered,
        c.achieved,
        ms(c.latency.p50),
        ms(c.latency.p95),
        ms(c.latency.p99),
        c.errors,
        c.notPassive ?? '–',
        `${(c.latency.p95 / level.baseline.p95).toFixed(1)}x`,
      ]);
    }
    rows.push([
      level.offered,
      'baseline /healthz',
      level.offered,
      '–',
      ms(level.baseline.p50),
      ms(level.baseline.p95),
      ms(level.baseline.p99),
      '–',
      '–',
      '1.0x',
    ]);
  }
  const headers = ['level/s', 'channel', 'offered/s', 'achieved/s', 'p50', 'p95', 'p99', 'errors', 'note', 'p95/base'];
  console.log(markdown(headers, rows));
  console.log('\nnote: WeChat replies sent by the customer-service API (the turn missed the passive window)');
  const idle = Object.entries(result.idleCpu).map(([role, pct]) => `${role} ${pct.toFixed(1)}%`);
  console.log(`\nGateway and database per level (idle gateway CPU: ${idle.join(' + ')})\n`);
  console.log(
    markdown(
      [
        'level/s',
        'gateway CPU %',
        'gateway CPU ms/turn',
        'event loop delay p99/max ms',
        'PostgreSQL CPU %',
        'db commits/turn',
        'db sessions busy (sampled)',
        'load generator CPU %',
        'load average',
      ],
      result.levels.map((l) => [
        l.offered,
        Object.entries(l.cpu)
          .map(([role, pct]) => `${role} ${pct.toFixed(0)}`)
          .join(' + '),
        l.cpuMsPerTurn.toFixed(2),
        Object.entries(l.loopDelay)
          .map(([role, d]) => `${role} ${d.p99.toFixed(0)}/${d.max.toFixed(0)}`)
          .join(' + '),
        l.database.cpu.toFixed(0),
        l.database.commitsPerTurn.toFixed(1),
        Object.entries(l.database.busy)
          .slice(0, 3)
          .map(([wait, n]) => `${wait} ${n}`)
          .join(', ') || '–',
        l.clientCpu.toFixed(0),
        l.loadAverage.toFixed(1),
      ]),
    ),
  );
  const { at, next } = knee(result.levels);
  console.log(
    `\nKnee: ${at === undefined ? 'below the first level' : `${at} turns/s`} (achieved >= 95% of offered, no errors, every p95 < ${P95_TARGET_MS} ms)`,
  );
  if (next) console.log(`At ${next.offered} turns/s: ${next.broken.join('; ')}`);
  else console.log('No measured level broke a criterion.');
  const target = result.levels.find((l) => l.offered >= 300 && l.broken.length === 0);
  console.log(
    `Target (>= 300 turns/s with p95 < 200 ms): ${target ? `met at ${target.offered} turns/s` : 'not met in this run'}`,
  );
  if (result.streamErrors) console.log(`Direct Line stream errors: ${result.streamErrors}`);
  console.log(`\n### ${result.setup}: gateway memory per active conversation (KB, idle gateway before and after)\n`);
  console.log(
    markdown(
      ['channel', 'citizens', 'errors', 'RSS KB each', 'V8 heap used KB each'],
      result.memory.map((m) => [m.channel, m.citizens, m.errors, m.rssKb.toFixed(1), m.heapKb.toFixed(1)]),
    ),
  );
  console.log(
    '(web chat: a conversation with its Direct Line WebSocket open and one message answered; the lowest reading over 5 idle s, nothing forces a collection, so garbage of the last turns may still count)',
  );
  for (const [role, profile] of Object.entries(result.profiles)) {
    console.log(`\n### ${result.setup}: CPU profile of ${role} (${(profile.totalMs / 1000).toFixed(1)} s sampled)\n`);
    const share = (s: number) => `${(s * 100).toFixed(1)}%`;
    console.log(
      markdown(
        ['area', 'self ms', 'share'],
        profile.areas.map((a) => [a.name, a.ms.toFixed(0), share(a.share)]),
      ),
    );
    console.log('');
    console.log(
      markdown(
        ['function', 'where', 'self ms', 'share'],
        profile.functions.map((f) => [f.name, f.where, f.ms.toFixed(0), share(f.share)]),
      ),
    );
  }
}
