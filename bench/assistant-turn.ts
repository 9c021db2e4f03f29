/**
 * The assistant turn itself, without transport: language understanding, the knowledge search and the
 * turn's decision, for conversations played from the conversation eval suites (every script, in turn
 * order, each play a fresh conversation), by 1 or 100 concurrent conversations in one process. Closed loop
 * (each conversation sends its next message as soon as the last is answered) measures throughput; with a
 * think time (exponentially distributed, as between a citizen's messages) it measures the latency a
 * conversation sees while 100 are open. Registration and status look-ups (the broker's ticket I/O) are left out;
 * so are storing the message and the replies (measured end to end by the web chat section). The baseline
 * is a `SELECT 1` round trip on the same database at the same concurrency and pacing, in the same run.
 */
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { expecting, knowledgeQuery } from '../assistant/broker.js';
import { categoryFactsOf } from '../assistant/intake.js';
import type { Nlu } from '../assistant/nlu/nlu.js';
import { runTurn, type ConversationState } from '../assistant/turn.js';
import type { StoredActivity } from '../core/activity.js';
import type { Kysely } from 'kysely';
import type { Database } from '../core/db/schema.js';
import type { KnowledgeSearch } from '../knowledge/search.js';
import type { ConversationScript } from '../evals/conversations.js';
import { summarize, type Summary } from './stats.js';

export interface AssistantTurnLevel {
  concurrency: number;
  /** Mean pause before each message; 0 for a closed loop. */
  thinkMs: number;
  turns: number;
  turnsPerSecond: number;
  /** Language understanding and the decision: CPU only. */
  decide: Summary;
  /** The whole assistant turn: understanding, knowledge search, decision. */
  turn: Summary;
  /** `SELECT 1` on the same database at the same concurrency. */
  baseline: Summary;
}

interface Setup {
  nlu: Nlu;
  search: KnowledgeSearch;
  db: Kysely<Database>;
  scripts: ConversationScript[];
}

function activityOf(script: ConversationScript, text: string, n: number): StoredActivity {
  return {
    id: `bench-${script.id}-${n}`,
    watermark: n,
    type: 'message',
    channelId: script.channel,
    conversation: { id: `bench-${script.id}` },
    from: { id: 'citizen', name: '', role: 'user' },
    text,
    locale: 'zh-CN',
    timestamp: new Date().toISOString(),
  } as StoredActivity;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One scripted conversation, its turns in order. */
async function play(
  setup: Setup,
  script: ConversationScript,
  thinkMs: number,
  out: { decide: number[]; turn: number[] },
) {
  const facts = categoryFactsOf(setup.nlu.taxonomy);
  let state: ConversationState = {};
  for (const [n, { user }] of script.turns.entries()) {
    if (thinkMs > 0) await sleep(-Math.log(1 - Math.random()) * thinkMs);
    const started = performance.now();
    const analysis = setup.nlu.analyze(user, expecting(state));
    const understood = performance.now();
    const query = knowledgeQuery(state, user, analysis);
    const hits = query ? await setup.search.search(query) : [];
    const searched = performance.now();
    const result = runTurn({
      activity: activityOf(script, user, n),
      state,
      conversationLocale: 'zh-CN',
      hits,
      analysis,
      categoryFacts: facts,
    });
    const done = performance.now();
    out.decide.push(understood - started + (done - searched));
    out.turn.push(done - started);
    state = result.register ? { ...result.state, intake: undefined } : result.state;
  }
}

export interface LevelOptions {
  concurrency: number;
  /** Times every script is played. */
  passes: number;
  thinkMs?: number;
}

export async function measureAssistantTurns(
  setup: Setup,
  { concurrency, passes, thinkMs = 0 }: LevelOptions,
): Promise<AssistantTurnLevel> {
  const samples = { decide: [] as number[], turn: [] as number[] };
  const queue = Array.from({ length: passes }, () => setup.scripts).flat();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let script = queue.shift(); script; script = queue.shift()) await play(setup, script, thinkMs, samples);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const turns = samples.turn.length;
  const baseline: number[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < Math.ceil(turns / concurrency); i++) {
        if (thinkMs > 0) await sleep(-Math.log(1 - Math.random()) * thinkMs);
        const t = performance.now();
        await sql`select 1`.execute(setup.db);
        baseline.push(performance.now() - t);
      }
    }),
  );
  return {
    concurrency,
    thinkMs,
    turns,
    turnsPerSecond: turns / seconds,
    decide: summarize(samples.decide),
    turn: summarize(samples.turn),
    baseline: summarize(baseline),
  };
}
