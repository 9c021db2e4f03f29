/**
 * The web chat turn, end to end: POST an activity over Direct Line, wait for the bot's answer on the
 * conversation's WebSocket stream. Closed loop: each conversation sends its next question when the
 * previous answer arrived. The gateway runs in its own process; this process is only the clients.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { summarize, type Summary } from './stats.js';

export interface TurnLevelResult {
  concurrency: number;
  turns: number;
  seconds: number;
  turnsPerSecond: number;
  latency: Summary;
  baseline: Summary;
}

export const QUESTIONS = [
  '社保卡丢了怎么补办',
  '住房公积金怎么提取',
  '孩子出生后怎么上户口',
  '医保异地备案怎么办',
  '晚上工地施工太吵了怎么办',
  '今天天气怎么样',
  '公司拖欠工资找谁',
  '电动车怎么上牌',
];

// node:http with keep-alive: the load generator shares the machine's two cores with the gateway, and
// costs far less CPU per request than fetch.
const keepAlive = new Agent({ keepAlive: true, maxSockets: 256 });

/** One HTTP request over a keep-alive agent; resolves with any status (the caller decides what failed). */
export function call(
  url: string,
  method: 'GET' | 'POST',
  headers: Record<string, string> = {},
  body?: string,
  agent: Agent = keepAlive,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, agent, headers: body ? { ...headers, 'content-length': Buffer.byteLength(body) } : headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export interface Session {
  conversationId: string;
  token: string;
  socket: WebSocket;
  /** Time each answered activity's first reply arrived, for replies that came before anyone asked. */
  arrivedAt: Map<string, number>;
  /** Turns waiting for the first reply to their activity. */
  waiting: Map<string, (at: number) => void>;
}

/** A new Direct Line conversation with its WebSocket stream open. */
export async function openSession(baseUrl: string, secret: string): Promise<Session> {
  const res = await call(`${baseUrl}/v3/directline/conversations`, 'POST', { authorization: `Bearer ${secret}` });
  if (res.status !== 201) throw new Error(`POST conversations answered ${res.status}: ${res.text}`);
  const { conversationId, token, streamUrl } = JSON.parse(res.text) as {
    conversationId: string;
    token: string;
    streamUrl: string;
  };
  const session: Session = {
    conversationId,
    token,
    socket: new WebSocket(streamUrl),
    arrivedAt: new Map(),
    waiting: new Map(),
  };
  session.socket.on('message', (data) => {
    const now = performance.now();
    const text = String(data);
    if (!text) return;
    for (const activity of (JSON.parse(text) as { activities: { replyToId?: string; from: { role?: string } }[] })
      .activities) {
      const answered = activity.replyToId;
      if (activity.from.role !== 'bot' || !answered || session.arrivedAt.has(answered)) continue;
      const waiter = session.waiting.get(answered);
      if (waiter) {
        session.waiting.delete(answered);
        waiter(now);
      } else session.arrivedAt.set(answered, now);
    }
  });
  await new Promise<void>((resolve, reject) => session.socket.once('open', resolve).once('error', reject));
  return session;
}

export interface TurnOptions {
  /** When the turn counts from (an open-loop arrival's scheduled time); now by default. */
  startedAt?: number;
  timeoutMs?: number;
  agent?: Agent;
}

/** One turn: POST, then the first reply to that activity on the stream. Resolves to milliseconds. */
export async function turn(
  baseUrl: string,
  session: Session,
  text: string,
  { startedAt, timeoutMs = 30_000, agent }: TurnOptions = {},
): Promise<number> {
  const started = startedAt ?? performance.now();
  const res = await call(
    `${baseUrl}/v3/directline/conversations/${session.conversationId}/activities`,
    'POST',
    { authorization: `Bearer ${session.token}`, 'content-type': 'application/json' },
    JSON.stringify({ type: 'message', text }),
    agent,
  );
  if (res.status !== 200) throw new Error(`POST activity answered ${res.status}: ${res.text}`);
  const { id } = JSON.parse(res.text) as { id: string };
  // The answer may already be here: the turn can finish before the POST's response is read.
  const early = session.arrivedAt.get(id);
  if (early !== undefined) {
    session.arrivedAt.delete(id);
    return early - started;
  }
  const arrived = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      session.waiting.delete(id);
      reject(new Error(`no reply to ${id} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    session.waiting.set(id, (at) => {
      clearTimeout(timer);
      resolve(at);
    });
  });
  return arrived - started;
}

/** GET /healthz: the cheapest round trip the gateway answers, the baseline. Resolves to milliseconds. */
export async function healthRoundTrip(baseUrl: string, startedAt?: number, agent?: Agent): Promise<number> {
  const started = startedAt ?? performance.now();
  const res = await call(`${baseUrl}/healthz`, 'GET', {}, undefined, agent);
  if (res.status !== 200) throw new Error(`GET /healthz answered ${res.status}`);
  return performance.now() - started;
}

/** Runs `concurrency` conversations, each sending `turnsEach` questions in sequence (after one warm-up). */
export async function measureTurns(
  baseUrl: string,
  secret: string,
  concurrency: number,
  turnsEach: number,
): Promise<TurnLevelResult> {
  const sessions = await Promise.all(Array.from({ length: concurrency }, () => openSession(baseUrl, secret)));
  const latencies: number[] = [];
  await Promise.all(sessions.map((s, i) => turn(baseUrl, s, QUESTIONS[i % QUESTIONS.length]!))); // warm-up
  const started = performance.now();
  await Promise.all(
    sessions.map(async (session, i) => {
      for (let n = 0; n < turnsEach; n++)
        latencies.push(await turn(baseUrl, session, QUESTIONS[(i + n) % QUESTIONS.length]!));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  // Baseline in the same run, same concurrency: the cheapest HTTP round trip this gateway answers.
  const baseline: number[] = [];
  await Promise.all(
    sessions.map(async () => {
      for (let n = 0; n < turnsEach; n++) baseline.push(await healthRoundTrip(baseUrl));
    }),
  );
  for (const s of sessions) s.socket.close();
  return {
    concurrency,
    turns: latencies.length,
    seconds,
    turnsPerSecond: latencies.length / seconds,
    latency: summarize(latencies),
    baseline: summarize(baseline),
  };
}
