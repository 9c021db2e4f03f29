/**
 * `npm run demo:traffic`: fills the embedded default database (the one `npm start` uses) with realistic
 * Chinese hotline traffic, so the supervisors' dashboard has something to show on a fresh start.
 *
 * It boots the gateway in this process (same configuration as `npm start`: PGlite in MINSHENG_DATA_DIR, or
 * DATABASE_URL) on a free port, with web chat, SMS (the JSON SMS gateway channel) and the WeChat official
 * account switched on for the run; the SMS platform and WeChat's API are small local servers, so nothing
 * reaches the internet. Demo citizens talk through the real channel protocols (Direct Line REST, signed SMS
 * webhooks, signed WeChat XML): consultations the demo knowledge base answers, questions it cannot, complaints
 * and reports taken down as tickets, emergencies, requests for a person handled by demo agents on the desk
 * API and WebSocket, status queries, a recurring problem and a rising hot spot. Voice calls are not played.
 *
 * TIMESTAMPS ARE SPREAD AFTER PLAYING: everything is played now, in a couple of minutes; then each
 * conversation, with its messages, handoffs and tickets, is moved back to a day of the last --days days
 * (scripts/demo-traffic/time-spread.ts), tickets are taken through their lifecycle with dates to match, and
 * the analytics facts are recomputed. Running it again adds more traffic; the demo accounts are reused.
 *
 * Stop a running gateway first: the embedded database is held by one process at a time.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import cliProgress from 'cli-progress';
import { formatSummary } from './demo-traffic/report.js';
import { DemoTrafficError, runDemoTraffic, type DemoTrafficOptions } from './demo-traffic/run.js';
import { readOptions, type Io } from './cli-options.js';

export { runDemoTraffic, type DemoTrafficOptions, type DemoTrafficResult } from './demo-traffic/run.js';

const HELP = `Usage: npm run demo:traffic -- [options]

Plays demo conversations through the gateway's channels into its database (the one npm start uses), then
spreads their timestamps over the past so the dashboard has history. Stop a running gateway first.

Options:
  --conversations N   conversations to play (default 200)
  --days N            spread them over the last N days (default 90)
  --seed N            seed of the scenarios and the time spread (default 12345)
  --password TEXT     password of the demo accounts when they are created (default demo-password-12345)
  --concurrency N     conversations played at once (default 8)
  -h, --help          this help

Exit codes: 0 done; 1 failed (e.g. the database is in use); 2 bad options; 3 done, but some conversations
had problems (listed in the summary); 78 invalid configuration.`;

function positive(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError(`--${name} must be a whole number from 1 to ${max}`);
  return n;
}

class UsageError extends Error {}

export function parseOptions(argv: string[]): Omit<DemoTrafficOptions, 'env'> | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      conversations: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
      password: { type: 'string' },
      concurrency: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const password = values.password ?? 'demo-password-12345';
  if (password.length < 10) throw new UsageError('--password must have at least 10 characters');
  return {
    conversations: positive('conversations', values.conversations, 200, 5000),
    days: positive('days', values.days, 90, 730),
    seed: positive('seed', values.seed, 12345, 2 ** 31 - 1),
    password,
    concurrency: positive('concurrency', values.concurrency, 8, 32),
  };
}

function progress(io: Io): { update(done: number, total: number): void; stop(): void } {
  const started = Date.now();
  if (io.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: io.stderr,
        format: 'playing {bar} {value}/{total} conversations | {duration_formatted}',
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let begun = false;
    return {
      update(done, total) {
        if (!begun) bar.start(total, 0);
        begun = true;
        bar.update(done);
      },
      stop: () => bar.stop(),
    };
  }
  return {
    update(done, total) {
      const step = Math.max(1, Math.floor(total / 10));
      if (done > 0 && (done % step === 0 || done === total))
        io.stderr.write(`played ${done}/${total} conversations (${Math.round((Date.now() - started) / 1000)} s)\n`);
    },
    stop() {},
  };
}

export async function main(argv: string[], env: Record<string, string | undefined>, io: Io): Promise<number> {
  const parsed = readOptions(parseOptions, argv, HELP, io);
  if (typeof parsed === 'number') return parsed;
  const options: DemoTrafficOptions = { ...parsed, env, log: io.stderr };
  io.stderr.write(
    `Starting the gateway and playing ${options.conversations} conversations (seed ${options.seed}); ` +
      `their timestamps are spread over the last ${options.days} days afterwards.\n`,
  );
  const bar = progress(io);
  try {
    const result = await runDemoTraffic({ ...options, onProgress: (done, total) => bar.update(done, total) });
    bar.stop();
    io.stdout.write(formatSummary(result, options));
    return result.played.some((p) => p.error) ? 3 : 0;
  } catch (error) {
    bar.stop();
    if (error instanceof DemoTrafficError) {
      io.stderr.write(`${error.message}\n`);
      return error.code === 'E_CONFIG' ? 78 : 1;
    }
    io.stderr.write(`demo traffic failed: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

// Run as `npm run demo:traffic` (tsx scripts/demo-traffic.ts); importing this module (tests) runs nothing.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2), process.env, { stdout: process.stdout, stderr: process.stderr });
}
