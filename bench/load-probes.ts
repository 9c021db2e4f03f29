/**
 * What the load benchmark (bench/load.ts) reads besides the turns: a gateway's own /metrics (memory, CPU),
 * and its PostgreSQL database (the CPU of the server processes serving it, its transactions, and what its
 * sessions wait on, sampled), to tell a busy gateway from a busy or locked database.
 */
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { call } from './webchat-turn.js';

export interface GatewayMetrics {
  rss: number;
  heap: number;
  /** process_cpu_seconds_total */
  cpu: number;
  /** Event loop delay since the previous scrape (prom-client resets its histogram on each), seconds. */
  loopDelayP99: number;
  loopDelayMax: number;
}

export async function gatewayMetrics(url: string): Promise<GatewayMetrics> {
  const text = (await call(`${url}/metrics`, 'GET')).text;
  const value = (name: string) => Number(new RegExp(`^(?:\\w+_)?${name} (\\S+)$`, 'm').exec(text)?.[1]);
  return {
    rss: value('process_resident_memory_bytes'),
    heap: value('nodejs_heap_size_used_bytes'),
    cpu: value('process_cpu_seconds_total'),
    loopDelayP99: value('nodejs_eventloop_lag_p99_seconds'),
    loopDelayMax: value('nodejs_eventloop_lag_max_seconds'),
  };
}

/**
 * The gateway's memory once it has been idle for `seconds`: the lowest RSS and heap read every half second
 * (garbage of the last turns is collected meanwhile; nothing forces a collection).
 */
export async function settledGatewayMetrics(url: string, seconds: number): Promise<GatewayMetrics> {
  let settled = await gatewayMetrics(url);
  for (let waited = 0; waited < seconds * 1000; waited += 500) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await gatewayMetrics(url);
    settled = { ...now, rss: Math.min(settled.rss, now.rss), heap: Math.min(settled.heap, now.heap) };
  }
  return settled;
}

const TICKS_PER_SECOND = 100;

/** CPU ticks (user + system) of a process, from Linux /proc; undefined when it is gone (or not Linux). */
async function cpuTicks(pid: number): Promise<number | undefined> {
  try {
    // utime and stime: fields 14 and 15, counted after the command name in parentheses.
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/**
 * CPU of a database's server processes, which come and go with the gateway's pool: each one is read
 * whenever it is seen, so one that exits loses only the time since its last reading.
 */
class BackendCpu {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private started = false;

  async read(pids: number[]): Promise<void> {
    await Promise.all(
      pids.map(async (pid) => {
        const ticks = await cpuTicks(pid);
        if (ticks === undefined) return;
        // A process that started during the level counts from zero.
        if (!this.first.has(pid)) this.first.set(pid, this.started ? 0 : ticks);
        this.last.set(pid, ticks);
      }),
    );
    this.started = true;
  }

  get seconds(): number {
    let ticks = 0;
    for (const [pid, last] of this.last) ticks += last - this.first.get(pid)!;
    return ticks / TICKS_PER_SECOND;
  }
}

export interface DatabaseActivity {
  /** CPU of the database's server processes, percent of one core. */
  cpu: number;
  /** Committed transactions (statements outside a transaction count one each). */
  commits: number;
  rollbacks: number;
  /** Sampled sessions busy with a query, by what they waited on (`CPU` when nothing), per sample. */
  busy: Record<string, number>;
}

/**
 * Watches one database while a load level runs. Best effort: a lost connection (the server restarted)
 * leaves gaps (NaN), never an error, and the next query connects again.
 */
export class DatabaseProbe {
  private readonly pool: pg.Pool;
  private readonly name: string;

  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 1 });
    this.pool.on('error', () => undefined);
    this.name = new URL(url).pathname.slice(1);
  }

  private async transactions(): Promise<{ commits: number; rollbacks: number }> {
    try {
      // One session, one snapshot each time: statistics are flushed by each backend at most once a second.
      const { rows } = await this.pool.query<{ xact_commit: string; xact_rollback: string }>(
        'select xact_commit, xact_rollback from pg_stat_database where datname = $1',
        [this.name],
      );
      return { commits: Number(rows[0]?.xact_commit), rollbacks: Number(rows[0]?.xact_rollback) };
    } catch {
      return { commits: Number.NaN, rollbacks: Number.NaN };
    }
  }

  /** The database's other sessions: their server process, and what an active one waits on. */
  private async sessions(): Promise<{ pid: number; active: boolean; wait: string }[]> {
    const { rows } = await this.pool
      .query<{ pid: number; active: boolean; wait: string }>(
        `select pid, state = 'active' as active, coalesce(wait_event_type || ':' || wait_event, 'CPU') as wait
           from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`,
        [this.name],
      )
      .catch(() => ({ rows: [] }));
    return rows;
  }

  /** Samples the database's sessions every 100 ms until `stop` is called; then the level's activity. */
  async start(): Promise<{ stop: () => Promise<DatabaseActivity> }> {
    const before = await this.transactions();
    const cpu = new BackendCpu();
    await cpu.read((await this.sessions()).map((s) => s.pid));
    const startedAt = Date.now();
    const waits = new Map<string, number>();
    let samples = 0;
    let running = true;
    const sampling = (async () => {
      while (running) {
        const sessions = await this.sessions();
        samples++;
        for (const { wait } of sessions.filter((s) => s.active)) waits.set(wait, (waits.get(wait) ?? 0) + 1);
        await cpu.read(sessions.map((s) => s.pid));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    return {
      stop: async () => {
        running = false;
        await sampling;
        await cpu.read((await this.sessions()).map((s) => s.pid));
        const seconds = (Date.now() - startedAt) / 1000;
        await new Promise((resolve) => setTimeout(resolve, 1100));
        const after = await this.transactions();
        return {
          cpu: (cpu.seconds / seconds) * 100,
          commits: after.commits - before.commits,
          rollbacks: after.rollbacks - before.rollbacks,
          busy: Object.fromEntries(
            [...waits].sort((a, b) => b[1] - a[1]).map(([wait, n]) => [wait, Math.round((n / samples) * 100) / 100]),
          ),
        };
      },
    };
  }

  async end(): Promise<void> {
    await this.pool.end();
  }
}
