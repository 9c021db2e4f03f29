/**
 * `npm run bench`: the built-in embedder on LCQMC (when the shared data set is present) and on the retrieval
 * eval suite, search latency as the base grows, the assistant's eval suites and its turn without transport,
 * the channel webhooks, the voice bot (whisper.cpp's real-time factor, loaded server vs process per utterance,
 * and end of speech -> first reply audio), then the web chat turn at 1, 10 and 100 concurrent conversations, on embedded PGlite with
 * pg-boss and on PostgreSQL with BullMQ on Redis (when reachable). Prints percentiles, turns/s and the
 * ratio to a same-run baseline; writes the numbers to bench/results/. Never asserts timings.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createTestDatabase,
  deleteRedisKeys,
  postgresUnavailable,
  REDIS_URL,
  redisUnavailable,
} from '../test/support/services.js';
import { freePort, spawnGateway, stopGracefully } from '../test/support/process.js';
import { seedDemoArticles } from '../knowledge/editorial.js';
import { BuiltinEmbedder } from '../knowledge/embedders/builtin-embedder.js';
import { VectorIndex } from '../knowledge/vector-index.js';
import { ANSWER_CONFIDENCE } from '../knowledge/confidence.js';
import { KnowledgeSearch } from '../knowledge/search.js';
import { loadSynonyms, seedSynonyms } from '../knowledge/synonyms.js';
import { openTestDatabase, type EngineKind } from '../test/support/databases.js';
import { charOverlap, embeddingScore, LCQMC_PATH, loadLcqmc, splitEvaluate } from './lcqmc.js';
import {
  calibrate,
  hybridRanker,
  inMemoryRanker,
  measureRetrieval,
  type CalibrationResult,
  type RetrievalResult,
} from './retrieval.js';
import { measureSearchScale, type ScaleResult } from './search-scale.js';
import { table } from './stats.js';
import { measureTurns, type TurnLevelResult } from './webchat-turn.js';
import { measureAssistantTurns, type AssistantTurnLevel } from './assistant-turn.js';
import { channelGatewayEnv, FakeProvider, measureChannels, type ChannelLevelResult } from './channel-webhooks.js';
import { Nlu } from '../assistant/nlu/nlu.js';
import { runClassifierSuites } from '../evals/classifiers.js';
import {
  CONVERSATION_SUITES,
  loadConversationScripts,
  runConversationSuite,
  type ConversationReport,
} from '../evals/conversations.js';
import { startTestGateway, TEST_DIRECTLINE_SECRET } from '../test/support/gateway.js';
import { measureTranscription } from './voice-transcription.js';
import { measureVoiceLatency, type VoiceLatencyLevel } from './voice-calls.js';
import { measureHandoff, prepareHandoffAgent, type HandoffBenchResult } from './handoff.js';
import { measureAnalytics, printAnalytics } from './analytics.js';

const SECRET = `bench-${randomUUID()}`;
const LEVELS = [
  { concurrency: 1, turnsEach: 200 },
  { concurrency: 10, turnsEach: 50 },
  { concurrency: 100, turnsEach: 10 },
];

interface Setup {
  name: string;
  env: Record<string, string>;
  cleanup: () => Promise<void>;
}

async function setups(): Promise<Setup[]> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'minsheng-bench-'));
  const list: Setup[] = [
    {
      name: 'PGlite + pg-boss',
      env: { MINSHENG_DATA_DIR: dataDir },
      cleanup: () => rm(dataDir, { recursive: true, force: true }),
    },
  ];
  const skip = (await postgresUnavailable()) ?? (await redisUnavailable());
  if (skip) {
    console.log(`PostgreSQL + BullMQ skipped: ${skip}`);
    return list;
  }
  const database = await createTestDatabase();
  const prefix = `bench-${randomUUID()}`;
  list.push({
    name: 'PostgreSQL + BullMQ',
    env: { MINSHENG_DATA_DIR: dataDir, DATABASE_URL: database.url, REDIS_URL, MINSHENG_REDIS_PREFIX: prefix },
    cleanup: async () => {
      await database.drop();
      await deleteRedisKeys(prefix);
    },
  });
  return list;
}

function lcqmcSection() {
  const pairs = loadLcqmc();
  if (!pairs) {
    console.log(`LCQMC skipped: ${LCQMC_PATH} not found (optional shared data set)\n`);
    return undefined;
  }
  const embedder = new BuiltinEmbedder();
  const started = performance.now();
  const builtin = splitEvaluate(
    pairs,
    embeddingScore((t) => embedder.embed(t)),
  );
  const embedsPerSecond = (pairs.length * 2) / ((performance.now() - started) / 1000);
  const baseline = splitEvaluate(pairs, (p) => charOverlap(p.a, p.b));
  console.log(`LCQMC dev: ${pairs.length} pairs; threshold chosen on the first half, accuracy on the second`);
  console.log(
    table(
      ['method', 'threshold', 'accuracy (1st half)', 'accuracy (2nd half)'],
      [
        [embedder.id, builtin.threshold.toFixed(3), builtin.trainAccuracy.toFixed(3), builtin.testAccuracy.toFixed(3)],
        [
          'character overlap (Jaccard)',
          baseline.threshold.toFixed(3),
          baseline.trainAccuracy.toFixed(3),
          baseline.testAccuracy.toFixed(3),
        ],
      ],
    ),
  );
  console.log(
    `built-in embedder: ${embedsPerSecond.toFixed(0)} texts/s (one core, including the one-time dictionary load)\n`,
  );
  return { pairs: pairs.length, builtin, baseline, embedsPerSecond };
}

async function retrievalSection() {
  const embedder = new BuiltinEmbedder();
  const rows: (string | number)[][] = [];
  const results: Record<string, RetrievalResult> = {};
  let calibration: CalibrationResult | undefined;
  const add = (name: string, r: RetrievalResult) => {
    results[name] = r;
    rows.push([name, r.hitAt1, r.hitAt5, r.mrr, r.noAnswerRejected, r.latency.p50, r.latency.p95]);
  };
  add('embedder alone, in memory (baseline)', await measureRetrieval(await inMemoryRanker(embedder)));
  const engines: EngineKind[] = ['pglite', ...((await postgresUnavailable()) ? [] : (['postgres'] as const))];
  for (const kind of engines) {
    const database = await openTestDatabase(kind);
    try {
      const index = await VectorIndex.open(database.db, embedder);
      await seedDemoArticles(database.db, index);
      await seedSynonyms(database.db);
      const search = await new KnowledgeSearch(database.db, index, await loadSynonyms(database.db)).start();
      add(`hybrid search, ${kind}`, await measureRetrieval(hybridRanker(search)));
      calibration ??= await calibrate(search);
      search.stop();
    } finally {
      await database.cleanup();
    }
  }
  const first = Object.values(results)[0]!;
  console.log(
    `retrieval-zh: ${first.answerable} questions over the demo articles, ${first.noAnswer} without an answer`,
  );
  console.log(table(['ranker', 'hit@1', 'hit@5', 'MRR', 'no-answer rejected', 'p50 ms', 'p95 ms'], rows));
  console.log(
    "(no-answer rejected: below the score above which 95% of correct first hits lie; the embedder's cosine, the search's confidence)\n",
  );
  if (calibration) {
    const { model, answerAt, heldOut } = calibration;
    console.log('Confidence (knowledge/confidence.ts): fitted on the even-numbered questions, measured on the odd');
    console.log(
      table(
        ['model', 'answer at', 'answerable answered', 'answers right', 'no-answer declined'],
        [
          [
            'fitted in this run',
            answerAt,
            heldOut.fresh.answered,
            heldOut.fresh.precision,
            heldOut.fresh.noAnswerRejected,
          ],
          [
            'shipped',
            ANSWER_CONFIDENCE,
            heldOut.shipped.answered,
            heldOut.shipped.precision,
            heldOut.shipped.noAnswerRejected,
          ],
        ],
      ),
    );
    console.log(`fitted: ${JSON.stringify(model)}\n`);
  }
  return { rankers: results, calibration };
}

async function scaleSection(): Promise<ScaleResult[]> {
  const engines: EngineKind[] = ['pglite', ...((await postgresUnavailable()) ? [] : (['postgres'] as const))];
  // 100k chunks on PGlite take minutes to load (single-threaded WebAssembly HNSW build); opt in.
  const sizes = (engine: EngineKind) =>
    engine === 'postgres' || process.env.BENCH_PGLITE_100K === '1' ? [1_000, 10_000, 100_000] : [1_000, 10_000];
  console.log('Search latency with synthetic filler (all 445 retrieval-zh questions per size)');
  const results: ScaleResult[] = [];
  for (const engine of engines) results.push(...(await measureSearchScale([engine], sizes(engine), console.log)));
  console.log(
    table(
      ['engine', 'chunks', 'load s', 'p50 ms', 'p95 ms'],
      results.map((r) => [r.engine, r.chunks, r.loadSeconds, r.p50, r.p95]),
    ),
  );
  console.log('');
  return results;
}

/**
 * The assistant: its eval suites (classifiers, then conversations through a whole gateway), then the turn
 * itself at 1 and 100 concurrent conversations (bench/assistant-turn.ts).
 */
/**
 * One conversation, then 100 in a closed loop (throughput: latency there is the queue of turns, Little's
 * law), then 100 open conversations whose citizens pause 1 s on average before each message (100 turns/s,
 * far above a city hotline's peak of chat messages), where latency is what one conversation sees.
 */
const ASSISTANT_LEVELS = [
  { concurrency: 1, passes: 1 },
  { concurrency: 100, passes: 3 },
  { concurrency: 100, passes: 2, thinkMs: 1000 },
];

async function assistantSection() {
  const nlu = await Nlu.load();
  const classifiers = await runClassifierSuites(nlu);
  const { demandType, category } = classifiers;
  console.log('Language understanding on held-out suites');
  console.log(
    table(
      ['suite', 'cases', 'result'],
      [
        ['demand-type-zh', demandType.cases, `accuracy ${demandType.accuracy.toFixed(3)}`],
        [
          'category-zh',
          category.cases,
          `acc@1 ${category.accuracyAt1.toFixed(3)}, acc@3 ${category.accuracyAt3.toFixed(3)}`,
        ],
        ...Object.entries(classifiers.safety).map(([name, s]) => [
          name,
          s.emergencies + s.ordinary + s.nonAcceptance + s.acceptable,
          `emergency recall ${s.emergencyRecall.toFixed(3)} (right number ${s.rightNumber.toFixed(3)}), false alarms ${(s.falseAlarmRate * 100).toFixed(1)}%; refused right ${s.refusedRight.toFixed(3)}, wrongly refused ${(s.wronglyRefusedRate * 100).toFixed(1)}%`,
        ]),
      ],
    ),
  );
  const conversations: Record<string, ConversationReport> = {};
  const gateway = await startTestGateway();
  try {
    for (const suite of CONVERSATION_SUITES) {
      conversations[suite] = await runConversationSuite(
        gateway.broker,
        gateway.tickets,
        await loadConversationScripts(suite),
      );
    }
  } finally {
    await gateway.cleanup();
  }
  console.log(
    '\nConversation suites through the broker (PGlite); targets: slots 0.95, demand type 0.90, recall 1.0, false alarms <= 2%',
  );
  console.log(
    table(
      ['suite', 'scripts', 'turns', 'turn acc', 'slot acc', 'demand type', 'emergency recall', 'false alarms'],
      Object.entries(conversations).map(([name, r]) => [
        name,
        r.scripts,
        r.turns,
        r.turnAccuracy.toFixed(3),
        r.slotAccuracy.toFixed(3),
        r.demandTypeAccuracy.toFixed(3),
        r.emergencyRecall.toFixed(3),
        `${(r.falseAlarmRate * 100).toFixed(1)}%`,
      ]),
    ),
  );

  const scripts = (await Promise.all(CONVERSATION_SUITES.map((suite) => loadConversationScripts(suite)))).flat();
  const engines: EngineKind[] = ['pglite', ...((await postgresUnavailable()) ? [] : (['postgres'] as const))];
  const levels: (AssistantTurnLevel & { engine: EngineKind })[] = [];
  for (const engine of engines) {
    const database = await openTestDatabase(engine);
    try {
      const embedder = new BuiltinEmbedder();
      const index = await VectorIndex.open(database.db, embedder);
      await seedDemoArticles(database.db, index);
      await seedSynonyms(database.db);
      const search = await new KnowledgeSearch(database.db, index, await loadSynonyms(database.db)).start();
      const setup = { nlu, search, db: database.db, scripts };
      await measureAssistantTurns(setup, { concurrency: 10, passes: 1 }); // warm-up: JIT, caches, buffers
      for (const level of ASSISTANT_LEVELS) levels.push({ engine, ...(await measureAssistantTurns(setup, level)) });
      search.stop();
    } finally {
      await database.cleanup();
    }
  }
  console.log('\nThe assistant turn without transport or LLM (ms): understanding + knowledge search + decision');
  console.log('decide: understanding and decision only (CPU); baseline: SELECT 1 at the same concurrency\n');
  console.log(
    table(
      [
        'engine',
        'conv',
        'think ms',
        'turns',
        'turns/s',
        'decide p50',
        'decide p95',
        'turn p50',
        'turn p95',
        'turn p99',
        'base p50',
        'base p95',
        'p95/base',
      ],
      levels.map((l) => [
        l.engine,
        l.concurrency,
        l.thinkMs,
        l.turns,
        l.turnsPerSecond,
        l.decide.p50,
        l.decide.p95,
        l.turn.p50,
        l.turn.p95,
        l.turn.p99,
        l.baseline.p50,
        l.baseline.p95,
        `${(l.turn.p95 / l.baseline.p95).toFixed(1)}x`,
      ]),
    ),
  );
  console.log('');
  const { misses: _misses, ...classifierNumbers } = classifiers;
  return {
    classifiers: classifierNumbers,
    conversations: Object.fromEntries(
      Object.entries(conversations).map(([name, { results: _results, ...numbers }]) => [name, numbers]),
    ),
    turn: levels,
  };
}

/** SMS and WeChat webhooks at 50 concurrent senders per channel (bench/channel-webhooks.ts), per setup. */
async function channelsSection() {
  const rows: (string | number)[][] = [];
  const results: { setup: string; channels: ChannelLevelResult[] }[] = [];
  const provider = new FakeProvider();
  await provider.start();
  try {
    for (const setup of await setups()) {
      const port = await freePort();
      process.stdout.write(`${setup.name}: starting gateway with SMS and WeChat… `);
      const gateway = await spawnGateway(
        {
          ...setup.env,
          LOG_LEVEL: 'error',
          ...channelGatewayEnv(provider.url, `http://127.0.0.1:${port}`),
        },
        port,
      );
      console.log('ready');
      try {
        const channels = await measureChannels(gateway.url, provider, 50, 4);
        results.push({ setup: setup.name, channels });
        for (const c of channels) {
          rows.push([
            setup.name,
            c.channel,
            c.senders,
            c.messages,
            c.latency.p50,
            c.latency.p95,
            c.latency.p99,
            c.baseline.p50,
            c.baseline.p95,
            `${(c.latency.p95 / c.baseline.p95).toFixed(1)}x`,
            c.passiveMisses ?? '–',
          ]);
        }
      } finally {
        await stopGracefully(gateway);
        await setup.cleanup();
      }
    }
  } finally {
    await provider.stop();
  }
  console.log(
    '\nInbound webhook -> reply ready (ms): SMS until the provider API has the answer, WeChat until the passive reply',
  );
  console.log('baseline: GET /healthz round trip at the same concurrency, same run\n');
  console.log(
    table(
      [
        'setup',
        'channel',
        'senders',
        'messages',
        'p50',
        'p95',
        'p99',
        'base p50',
        'base p95',
        'p95/base',
        'not passive',
      ],
      rows,
    ),
  );
  console.log('');
  return results;
}

/**
 * Handoff: the request for a person until the offer is on the desk, then the relay both ways with 50 live
 * conversations, per setup (bench/handoff.ts).
 */
async function handoffSection() {
  const CONVERSATIONS = 50;
  const ROUNDS = 10;
  const rows: (string | number)[][] = [];
  const results: ({ setup: string } & HandoffBenchResult)[] = [];
  for (const setup of await setups()) {
    const env = { ...setup.env, DIRECTLINE_SECRET: TEST_DIRECTLINE_SECRET, LOG_LEVEL: 'error' };
    await prepareHandoffAgent(env, CONVERSATIONS + 10);
    process.stdout.write(`${setup.name}: starting gateway… `);
    const gateway = await spawnGateway(env, await freePort());
    console.log('ready');
    try {
      process.stdout.write(`  ${CONVERSATIONS} handoffs, then ${ROUNDS} relay rounds each way… `);
      const r = await measureHandoff(gateway.url, CONVERSATIONS, ROUNDS);
      console.log('done');
      results.push({ setup: setup.name, ...r });
      const ratio = (s: { p95: number }) => `${(s.p95 / r.baseline.p95).toFixed(1)}x`;
      rows.push([setup.name, 'asked -> offered', r.offer.count, r.offer.p50, r.offer.p95, r.offer.p99, ratio(r.offer)]);
      rows.push([
        setup.name,
        'agent -> citizen',
        r.toCitizen.count,
        r.toCitizen.p50,
        r.toCitizen.p95,
        r.toCitizen.p99,
        ratio(r.toCitizen),
      ]);
      rows.push([
        setup.name,
        'citizen -> agent',
        r.toAgent.count,
        r.toAgent.p50,
        r.toAgent.p95,
        r.toAgent.p99,
        ratio(r.toAgent),
      ]);
      rows.push([
        setup.name,
        'baseline /healthz',
        r.baseline.count,
        r.baseline.p50,
        r.baseline.p95,
        r.baseline.p99,
        '1.0x',
      ]);
    } finally {
      await stopGracefully(gateway);
      await setup.cleanup();
    }
  }
  console.log(`\nHandoff (ms): offers, and the relay with ${CONVERSATIONS} live conversations`);
  console.log('baseline: GET /healthz round trip at the same concurrency, same run\n');
  console.log(table(['setup', 'path', 'samples', 'p50', 'p95', 'p99', 'p95/base'], rows));
  console.log('');
  return results;
}

/** Dashboard queries with 1M messages and 200k tickets (bench/analytics.ts); PostgreSQL only. */
async function analyticsSection() {
  const skip = await postgresUnavailable();
  if (skip) {
    console.log(`Analytics skipped: ${skip}`);
    return undefined;
  }
  console.log('Analytics: dashboard queries on PostgreSQL');
  const result = await measureAnalytics();
  printAnalytics(result);
  return result;
}

const SECTIONS = [
  'lcqmc',
  'retrieval',
  'scale',
  'assistant',
  'channels',
  'voice',
  'webchat',
  'handoff',
  'analytics',
] as const;

/** `npm run bench` runs every section; `npm run bench -- retrieval webchat` only those. */
function chosenSections(): Set<string> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((a) => !(SECTIONS as readonly string[]).includes(a));
  if (unknown.length)
    throw new Error(`unknown bench section ${unknown.join(', ')}; choose from ${SECTIONS.join(', ')}`);
  return new Set(asked.length ? asked : SECTIONS);
}

async function main() {
  const only = chosenSections();
  const lcqmc = only.has('lcqmc') ? lcqmcSection() : undefined;
  const retrieval = only.has('retrieval') ? await retrievalSection() : undefined;
  const searchScale = only.has('scale') ? await scaleSection() : undefined;
  const assistant = only.has('assistant') ? await assistantSection() : undefined;
  const channels = only.has('channels') ? await channelsSection() : undefined;
  let voice: VoiceLatencyLevel[] | undefined;
  if (only.has('voice')) {
    await measureTranscription();
    voice = await measureVoiceLatency();
  }
  const handoff = only.has('handoff') ? await handoffSection() : undefined;
  const analytics = only.has('analytics') ? await analyticsSection() : undefined;
  const rows: (string | number)[][] = [];
  const results: { setup: string; levels: TurnLevelResult[] }[] = [];
  for (const setup of only.has('webchat') ? await setups() : []) {
    const port = await freePort();
    process.stdout.write(`${setup.name}: starting gateway… `);
    // The limiter is not what is measured: one conversation here posts far more than a citizen would.
    const gateway = await spawnGateway(
      { ...setup.env, DIRECTLINE_SECRET: SECRET, LOG_LEVEL: 'error', RATE_LIMIT_MESSAGES_PER_MINUTE: '1000000' },
      port,
    );
    console.log('ready');
    const levels: TurnLevelResult[] = [];
    try {
      for (const { concurrency, turnsEach } of LEVELS) {
        process.stdout.write(`  ${concurrency} conversation(s) x ${turnsEach} turns… `);
        const r = await measureTurns(gateway.url, SECRET, concurrency, turnsEach);
        console.log(`${r.turnsPerSecond.toFixed(0)} turns/s, p95 ${r.latency.p95.toFixed(1)} ms`);
        levels.push(r);
        rows.push([
          setup.name,
          concurrency,
          r.turns,
          r.turnsPerSecond,
          r.latency.p50,
          r.latency.p95,
          r.latency.p99,
          r.baseline.p50,
          r.baseline.p95,
          `${(r.latency.p50 / r.baseline.p50).toFixed(1)}x`,
        ]);
      }
    } finally {
      await stopGracefully(gateway);
      await setup.cleanup();
    }
    results.push({ setup: setup.name, levels });
  }
  if (results.length) {
    console.log('\nWeb chat turn: POST activity -> first reply on the Direct Line stream (ms)');
    console.log('baseline: GET /healthz round trip at the same concurrency, same run\n');
    console.log(
      table(['setup', 'conv', 'turns', 'turns/s', 'p50', 'p95', 'p99', 'base p50', 'base p95', 'p50/base'], rows),
    );
  }
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  const file = new URL(`./results/bench-${new Date().toISOString().replaceAll(':', '-')}.json`, import.meta.url);
  await writeFile(
    file,
    JSON.stringify(
      {
        node: process.version,
        lcqmc,
        retrieval,
        searchScale,
        assistant,
        channels,
        voice,
        handoff,
        analytics,
        webchat: results,
      },
      null,
      2,
    ),
  );
  console.log(`\nwritten to ${path.relative(process.cwd(), file.pathname)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
