/**
 * `npm run evals` as an operator runs it, on a fresh embedded database: the demo knowledge base is loaded,
 * the chosen suites measured, the run stored, the report and summary written; a second run says what
 * changed; a failed threshold exits 1; unknown suites and bad options are refused with a clear message.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../core/db/database.js';
import { createLogger } from '../core/logger.js';
import { runEvalsCli } from './cli.js';

function capture() {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
      stderr: { write: (s: string) => ((err += s), true) } as unknown as NodeJS.WritableStream,
    },
    out: () => out,
    err: () => err,
  };
}

describe('npm run evals', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'minsheng-evals-'));
    env = {
      MINSHENG_DATA_DIR: path.join(dir, 'data'),
      LOG_LEVEL: 'silent',
      NLU_CACHE_DIR: path.join(tmpdir(), 'minsheng-test-nlu-cache'),
    };
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('measures, stores, reports, and compares with the previous run', async () => {
    const first = capture();
    const out = path.join(dir, 'first');
    expect(await runEvalsCli(['demand-type-zh', 'safety-zh', '--out', out], first.io, env)).toBe(0);
    expect(first.out()).toMatch(/demand-type-zh: 249 cases, \d+ failed; accuracy \d+\.\d%/);
    expect(first.out()).toMatch(/run \S+ passed; report: /);
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.suites.map((s: { suite: string }) => s.suite)).toEqual(['demand-type-zh', 'safety-zh']);
    expect(summary.knowledgeVersion).toMatch(/^\d+:[0-9a-f]{12}$/);
    const html = await readFile(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('demand-type-zh');
    expect(html).not.toMatch(/<script[\s>]/);

    const second = capture();
    expect(await runEvalsCli(['demand-type-zh', '--out', path.join(dir, 'second')], second.io, env)).toBe(0);
    expect(second.out()).toContain(`since run ${summary.id}: 0 cases better, 0 worse`);
  });

  it('exits 1 when a threshold fails, naming it', async () => {
    const strict = path.join(dir, 'strict.yaml');
    await writeFile(strict, '- { suite: demand-type-zh, metric: accuracy, min: 1.01 }\n');
    const run = capture();
    const code = await runEvalsCli(
      ['demand-type-zh', '--thresholds', strict, '--no-store', '--out', path.join(dir, 'x')],
      run.io,
      env,
    );
    expect(code).toBe(1);
    expect(run.out()).toMatch(/threshold failed: demand-type-zh accuracy 0\.\d+ \(min 1\.01\)/);
  });

  it('plays conversation scripts on a scratch gateway, never registering tickets in the live database', async () => {
    const run = capture();
    expect(
      await runEvalsCli(['conversations-fresh-zh', '--no-store', '--out', path.join(dir, 'talk')], run.io, env),
    ).toBe(0);
    expect(run.out()).toMatch(/conversations-fresh-zh: 40 cases, \d+ failed; turnAccuracy \d+\.\d%.*handoffRate/);
    const live = await openDatabase({ dataDir: env.MINSHENG_DATA_DIR!, logger: createLogger({ level: 'silent' }) });
    try {
      expect(await live.db.selectFrom('tickets').select('id').execute()).toEqual([]);
    } finally {
      await live.close();
    }
  });

  it('refuses an unknown suite or option with a clear message', async () => {
    const unknown = capture();
    expect(await runEvalsCli(['no-such-suite'], unknown.io, env)).toBe(1);
    expect(unknown.err()).toMatch(/no suite no-such-suite; the suites are .*retrieval-zh/);
    const option = capture();
    expect(await runEvalsCli(['--frobnicate'], option.io, env)).toBe(1);
    expect(option.err()).toMatch(/Unknown option '--frobnicate'/);
  });
});
