/**
 * Handoff latencies, against a gateway in its own process: the citizen's request for a person until the
 * offer reaches the agent's desk stream, and the relay with many live conversations (an agent's message
 * until the citizen's Direct Line stream has it; the citizen's until the desk stream has it). The same-run
 * baseline is a GET /healthz round trip at the same concurrency.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { StaffAccounts } from '../core/accounts.js';
import { SYSTEM_ACTOR } from '../core/audit.js';
import { openDatabase } from '../core/db/database.js';
import { createLogger } from '../core/logger.js';
import { Citizen, DeskClient, type SeenActivity } from '../test/support/desk-client.js';
import { STAFF_PASSWORD } from '../test/support/staff.js';
import { summarize, type Summary } from './stats.js';

export const HANDOFF_AGENT = 'bench-agent';

export interface HandoffBenchResult {
  conversations: number;
  rounds: number;
  /** Citizen's "转人工" posted -> offer on the desk stream (ms). */
  offer: Summary;
  /** Agent's message posted -> on the citizen's Direct Line stream (ms). */
  toCitizen: Summary;
  /** Citizen's message posted -> on the desk stream (ms). */
  toAgent: Summary;
  baseline: Summary;
}

/**
 * The agent the bench signs in as, made in the gateway's database before it starts (embedded PGlite has
 * one process at a time): available, with room for every conversation.
 */
export async function prepareHandoffAgent(env: Record<string, string>, capacity: number): Promise<void> {
  const handle = await openDatabase({
    databaseUrl: env.DATABASE_URL,
    dataDir: env.MINSHENG_DATA_DIR ?? '',
    logger: createLogger({ level: 'silent' }),
  });
  try {
    const account = await new StaffAccounts(handle.db).create(SYSTEM_ACTOR, {
      username: HANDOFF_AGENT,
      displayName: '压测坐席',
      password: STAFF_PASSWORD,
      roles: ['agent'],
    });
    await handle.db
      .insertInto('agent_profiles')
      .values({
        account_id: account.id,
        presence: 'available',
        capacity,
        queues: '["general"]',
        skills: '[]',
        languages: '["zh","en"]',
      })
      .execute();
  } finally {
    await handle.close();
  }
}

interface Live {
  citizen: Citizen;
  handoffId: string;
  stream: WebSocket;
  heard: Map<string, () => void>;
}

const waitFor = (map: Map<string, () => void>, key: string, timeoutMs = 30_000) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${key}`)), timeoutMs);
    map.set(key, () => {
      clearTimeout(timer);
      resolve();
    });
  });

export async function measureHandoff(url: string, conversations: number, rounds: number): Promise<HandoffBenchResult> {
  const desk = await (await DeskClient.signIn(url, HANDOFF_AGENT)).connect();
  const offers = new Map<string, () => void>();
  const atDesk = new Map<string, () => void>();
  desk.onMessage((m) => {
    if (m.type === 'offer') offers.get((m.handoff as { conversationId: string }).conversationId)?.();
    if (m.type === 'activities') for (const a of m.activities as SeenActivity[]) if (a.text) atDesk.get(a.text)?.();
  });

  // Raise the handoffs ten at a time.
  const offerMs: number[] = [];
  const live: Live[] = [];
  for (let batch = 0; batch < conversations; batch += 10) {
    const size = Math.min(10, conversations - batch);
    live.push(
      ...(await Promise.all(
        Array.from({ length: size }, async () => {
          const citizen = await Citizen.open(url);
          const offered = waitFor(offers, citizen.conversationId);
          const started = performance.now();
          await citizen.say('转人工');
          await offered;
          offerMs.push(performance.now() - started);
          const handoff = (await desk.ok('GET', '/handoffs?view=mine')).items.find(
            (h: { conversationId: string }) => h.conversationId === citizen.conversationId,
          );
          await desk.ok('POST', `/handoffs/${handoff.id}/accept`, {});
          desk.send({ type: 'watch', conversationId: citizen.conversationId, after: 0 });
          const heard = new Map<string, () => void>();
          const info = await fetch(`${url}/v3/directline/conversations/${citizen.conversationId}`, {
            headers: { authorization: `Bearer ${citizen.bearer}` },
          });
          const stream = new WebSocket(((await info.json()) as { streamUrl: string }).streamUrl);
          stream.on('message', (data) => {
            if (!String(data)) return;
            for (const a of (JSON.parse(String(data)) as { activities: SeenActivity[] }).activities)
              if (a.text) heard.get(a.text)?.();
          });
          await new Promise((resolve) => stream.once('open', resolve));
          return { citizen, handoffId: handoff.id as string, stream, heard };
        }),
      )),
    );
  }

  const toCitizen: number[] = [];
  const toAgent: number[] = [];
  const baseline: number[] = [];
  for (let round = 0; round < rounds; round++) {
    await Promise.all(
      live.map(async ({ citizen, handoffId, heard }, i) => {
        const reply = `坐席回复 ${round}-${i}`;
        const arrived = waitFor(heard, reply);
        let started = performance.now();
        await desk.ok('POST', `/handoffs/${handoffId}/messages`, { text: reply });
        await arrived;
        toCitizen.push(performance.now() - started);

        const question = `市民追问 ${round}-${i}`;
        const atAgent = waitFor(atDesk, question);
        started = performance.now();
        await citizen.say(question);
        await atAgent;
        toAgent.push(performance.now() - started);

        started = performance.now();
        await fetch(`${url}/healthz`).then((r) => r.text());
        baseline.push(performance.now() - started);
      }),
    );
  }
  for (const { stream } of live) stream.close();
  desk.close();
  return {
    conversations,
    rounds,
    offer: summarize(offerMs),
    toCitizen: summarize(toCitizen),
    toAgent: summarize(toAgent),
    baseline: summarize(baseline),
  };
}
