/**
 * `npm run evals -- [suite...]`: measures the suites (all in evals/suites by default) against the live
 * knowledge base and language understanding of the configured database, stores the run, writes the HTML
 * report and JSON summary, prints what changed since the previous run, and exits 1 when a threshold fails.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { LlmAssistant } from '../assistant/llm.js';
import { Nlu } from '../assistant/nlu/nlu.js';
import { loadConfig, type Config } from '../core/config.js';
import { openDatabase } from '../core/db/database.js';
import { createLogger } from '../core/logger.js';
import { KnowledgeEditorial, seedDemoArticles } from '../knowledge/editorial.js';
import type { ArticleRecord } from '../knowledge/article.js';
import { startGateway, type Gateway } from '../api/gateway.js';
import { runConversationSuite } from './conversations.js';
import { createEmbedder, embedderConfigFromEnv } from '../knowledge/embedders/create-embedder.js';
import { KnowledgeSearch } from '../knowledge/search.js';
import { loadSynonyms, seedSynonyms } from '../knowledge/synonyms.js';
import { VectorIndex } from '../knowledge/vector-index.js';
import { loadTaxonomy } from '../tickets/taxonomy.js';
import { listSuites, loadSuite } from './load-suite.js';
import { renderReport, summaryJson } from './report.js';
import { EvalRunStore, knowledgeVersion, type RunComparison } from './run-store.js';
import { caseCount, loadThresholds, runEvals } from './runner.js';
import { TRANSCRIPT_SUITE, transcriptSuite } from './transcript-cases.js';

const USAGE = `Answer evals: measure the assistant on the suites in evals/suites.

Usage: npm run evals -- [suite...] [options]

  suite                 Suite names (e.g. retrieval-zh safety-zh); all suites when none is given
  --out <dir>           Where the report (report.html) and summary (summary.json) go (default: evals/reports/<run id>)
  --compare <run id>    Compare with this run instead of the previous one
  --thresholds <file>   Floors and ceilings (default: evals/thresholds.yaml)
  --no-store            Do not store the run in the database

Exit codes: 0 every threshold met, 1 a threshold failed or a fatal error.
The database is the gateway's (DATABASE_URL, or PGlite in MINSHENG_DATA_DIR); stop a gateway on the same
PGlite directory first.
`;

export interface EvalsIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

const percent = (n: number) => `${(n * 100).toFixed(1)}%`;

export async function runEvalsCli(
  argv: string[],
  io: EvalsIo,
  /** The environment to configure from (tests); the process's own otherwise. */
  env?: Record<string, string | undefined>,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        compare: { type: 'string' },
        thresholds: { type: 'string' },
        'no-store': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.stderr.write(`evals: ${(error as Error).message}\n\n${USAGE}`);
    return 1;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const available = await listSuites();
  const byName = new Map(available.map((file) => [path.basename(file, '.yaml'), file]));
  const unknown = positionals.filter((name) => !byName.has(name) && name !== TRANSCRIPT_SUITE);
  if (unknown.length) {
    io.stderr.write(`evals: no suite ${unknown.join(', ')}; the suites are ${[...byName.keys()].join(', ')}\n`);
    return 1;
  }
  const fileSuites = await Promise.all(
    (positionals.length ? positionals : [...byName.keys()])
      .filter((name) => name !== TRANSCRIPT_SUITE)
      .map((name) => loadSuite(byName.get(name)!)),
  );
  const withTranscripts = positionals.length === 0 || positionals.includes(TRANSCRIPT_SUITE);

  const thresholds = await loadThresholds(values.thresholds ?? undefined);

  const config = env ? loadConfig(env) : loadConfig();
  const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  try {
    const { db } = database;
    const index = await VectorIndex.open(db, await createEmbedder(embedderConfigFromEnv(config)));
    await seedSynonyms(db);
    // A fresh machine has an empty base: the demo one, as the gateway would load it.
    if (config.seedDemo) await seedDemoArticles(db, index);
    const search = await new KnowledgeSearch(db, index, await loadSynonyms(db)).start();
    const categories = new Map(
      (await db.selectFrom('knowledge_articles').select(['id', 'category']).execute()).map((a) => [a.id, a.category]),
    );
    const nlu = await Nlu.load(await loadTaxonomy(config.tickets.taxonomyFile), {
      cacheDir: config.nluCacheDir,
      logger,
    });

    // The cases agents and editors took from real conversations, when there are any.
    const transcripts = withTranscripts ? await transcriptSuite(db) : undefined;
    const suites = transcripts ? [...fileSuites, transcripts] : fileSuites;
    // Conversation scripts register tickets: they are played on a scratch gateway holding a copy of the live
    // base, never on the live database.
    const scratch = suites.some((s) => s.kind === 'conversation')
      ? await scratchGateway(config, await new KnowledgeEditorial(db, index).listRecords({ status: 'published' }))
      : undefined;
    const total = suites.reduce((n, s) => n + caseCount(s), 0);
    const bar = io.stderr.isTTY
      ? new cliProgress.SingleBar(
          {
            stream: io.stderr,
            format: 'evals {bar} {percentage}% | {value}/{total} cases | {duration_formatted}',
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
    bar?.start(total, 0);
    let done = 0;
    const { run, outcomes, skipped } = await runEvals(
      suites,
      {
        nlu,
        search: (q) => search.search(q),
        categoryOf: (id) => categories.get(id),
        knowledgeVersion: await knowledgeVersion(db),
        embedder: index.activeEmbedder,
        // Optional: answers rephrased as the assistant would, and judged for faithfulness; never required.
        llm: config.llm && new LlmAssistant(config.llm, logger),
        conversations: scratch && ((scripts) => runConversationSuite(scratch.broker, scratch.tickets, scripts)),
      },
      {
        thresholds,
        tick: () => {
          done++;
          if (bar) bar.update(done);
          else if (done % 500 === 0) io.stderr.write(`evals: ${done}/${total} cases\n`);
        },
      },
    );
    bar?.stop();
    search.stop();
    await scratch?.close();

    const store = new EvalRunStore(db);
    let comparison: RunComparison | undefined;
    if (!values['no-store']) {
      await store.save(run, outcomes);
      const against = values.compare ?? (await store.previous(run.id));
      if (against) comparison = await store.compare(against, run.id);
    }
    const trend = values['no-store'] ? [] : await store.trend();
    const out = values.out ?? path.join('evals', 'reports', run.id);
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, 'report.html'), renderReport(run, trend));
    await writeFile(path.join(out, 'summary.json'), summaryJson(run));

    for (const suite of run.suites) {
      const metrics = Object.entries(suite.metrics)
        .map(([name, value]) => `${name} ${name.endsWith('Ms') ? value.toFixed(0) : percent(value)}`)
        .join(', ');
      io.stdout.write(
        `${suite.suite}: ${suite.cases} cases, ${suite.failures} failed; ${metrics}; p95 ${suite.latencyMs.p95.toFixed(1)} ms\n`,
      );
    }
    for (const s of skipped) io.stdout.write(`${s.suite}: skipped (${s.reason})\n`);
    if (comparison) {
      io.stdout.write(
        `\nsince run ${comparison.from}: ${comparison.improved.length} cases better, ${comparison.regressed.length} worse\n`,
      );
      for (const c of comparison.regressed.slice(0, 20))
        io.stdout.write(
          `  worse  ${c.suite}  ${c.question}  expected ${c.expected}, was ${c.before}, now ${c.after}\n`,
        );
    }
    for (const t of run.thresholds.filter((t) => !t.passed))
      io.stdout.write(
        `threshold failed: ${t.suite} ${t.metric} ${t.actual.toFixed(4)} (${t.min !== undefined ? `min ${t.min}` : `max ${t.max}`})\n`,
      );
    io.stdout.write(`\nrun ${run.id} ${run.passed ? 'passed' : 'FAILED'}; report: ${path.join(out, 'report.html')}\n`);
    return run.passed ? 0 : 1;
  } finally {
    await database.close();
  }
}

/**
 * A gateway of its own on a temporary embedded database, with the live one's understanding, embedder,
 * model and calendar but no channels, no Redis and no publish gate, and `articles` published: conversation
 * scripts run there. `close()` removes it.
 */
async function scratchGateway(live: Config, articles: ArticleRecord[]): Promise<Gateway> {
  const dir = await mkdtemp(path.join(tmpdir(), 'minsheng-evals-'));
  const config: Config = {
    ...live,
    host: '127.0.0.1',
    port: 0,
    publicUrl: undefined,
    logLevel: 'silent',
    databaseUrl: undefined,
    dataDir: dir,
    redisUrl: undefined,
    role: 'all',
    seedDemo: false,
    publishGateSuite: undefined,
    sms: undefined,
    smsGateway: undefined,
    wechat: undefined,
    wechaty: undefined,
    whisper: undefined,
    voice: undefined,
  };
  const gateway = await startGateway(config, { logger: createLogger({ level: 'silent' }) });
  await gateway.editorial.publishRecords({ name: 'evals', roles: ['admin'] }, articles);
  return {
    ...gateway,
    close: async () => {
      await gateway.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// Run as `npm run evals -- ...` (tsx evals/cli.ts); importing this module (tests) runs nothing.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runEvalsCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).catch(
    (error: unknown) => {
      process.stderr.write(`evals: ${error instanceof Error ? error.message : String(error)}\n`);
      return 1;
    },
  );
}
