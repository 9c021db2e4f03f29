/**
 * Demo staff on the agent desk, through the same API and WebSocket the desk page uses (handoff/desk-routes.ts,
 * handoff/desk-stream.ts): agents sign in, open the desk stream, go available, and answer what they are
 * offered as the handoff's plan says (accept, reply, transfer, register a ticket, hand back or close); a
 * supervisor sets the agents' skills and closes handoffs whose citizen went away.
 */
import WebSocket from 'ws';
import type { StaffAccounts } from '../../core/accounts.js';
import { SYSTEM_ACTOR } from '../../core/audit.js';
import type { HandoffDirector, HandoffPlan } from './handoff-plans.js';
import type { Random } from './random.js';
import { GENERIC_AGENT, TRANSFER_LINE } from './texts.js';

export const DEMO_AGENTS = [
  { username: 'demo.wang', displayName: '王晓燕', skills: ['category:01', 'category:02'] },
  { username: 'demo.li', displayName: '李建国', skills: ['category:05', 'category:06', 'category:07'] },
  { username: 'demo.chen', displayName: '陈思雨', skills: ['category:08', 'category:10', 'category:11'] },
] as const;
export const DEMO_SUPERVISOR = { username: 'demo.zhao', displayName: '赵敏' } as const;

/** Creates the demo accounts that are missing; returns the usernames it created. */
export async function ensureDemoAccounts(accounts: StaffAccounts, password: string): Promise<string[]> {
  const existing = new Set((await accounts.list()).map((a) => a.username));
  const wanted = [
    ...DEMO_AGENTS.map((a) => ({ ...a, roles: ['agent' as const] })),
    { ...DEMO_SUPERVISOR, roles: ['supervisor' as const] },
  ];
  const created: string[] = [];
  for (const { username, displayName, roles } of wanted) {
    if (existing.has(username)) continue;
    await accounts.create(SYSTEM_ACTOR, { username, displayName, password, roles: [...roles] });
    created.push(username);
  }
  return created;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A signed-in staff member's REST client (session cookie, JSON bodies as the CSRF check wants). */
export class StaffClient {
  private constructor(
    readonly baseUrl: string,
    readonly username: string,
    readonly cookie: string,
  ) {}

  static async signIn(baseUrl: string, username: string, password: string): Promise<StaffClient> {
    const response = await fetch(`${baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (response.status === 401) {
      throw new Error(
        `the demo account ${username} exists with another password: pass it with --password, or remove the account`,
      );
    }
    if (response.status !== 200) throw new Error(`sign-in of ${username} answered ${response.status}`);
    return new StaffClient(baseUrl, username, response.headers.get('set-cookie')!.split(';')[0]!);
  }

  // The desk API's answers are plain JSON the demo reads a few fields of.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { cookie: this.cookie, ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) },
      body: method === 'GET' ? undefined : JSON.stringify(body ?? {}),
    });
    return { status: response.status, body: response.status === 204 ? null : await response.json() };
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async ok(method: string, path: string, body?: unknown): Promise<any> {
    const { status, body: answer } = await this.call(method, path, body);
    if (status !== 200 && status !== 204)
      throw new Error(`${this.username}: ${method} ${path} answered ${status}: ${JSON.stringify(answer)}`);
    return answer;
  }
}

interface DeskActivity {
  seq?: number;
  id: string;
  type: string;
  text?: string;
  from: { id: string; role?: string };
  channelData?: { handoff?: { joined?: string } };
}

export interface AgentStats {
  accepted: number;
  declined: number;
  transferred: number;
  handedBack: number;
  closed: number;
  tickets: number;
  errors: string[];
}

const seqOf = (a: DeskActivity) => Number.parseInt(a.id.slice(a.id.lastIndexOf('|') + 1), 10);

/** One demo agent at the desk. */
export class DeskAgent {
  readonly stats: AgentStats = {
    accepted: 0,
    declined: 0,
    transferred: 0,
    handedBack: 0,
    closed: 0,
    tickets: 0,
    errors: [],
  };
  private socket?: WebSocket;
  private readonly transcripts = new Map<string, DeskActivity[]>();
  private readonly waiters = new Set<() => void>();
  private readonly serving = new Set<Promise<void>>();

  constructor(
    readonly client: StaffClient,
    private readonly director: HandoffDirector,
    private readonly random: Random,
    /** The other agents a conversation can be transferred to. */
    private readonly peers: () => string[],
  ) {}

  get username(): string {
    return this.client.username;
  }

  async start(): Promise<void> {
    const socket = new WebSocket(`${this.client.baseUrl.replace(/^http/, 'ws')}/api/desk/stream`, {
      headers: { cookie: this.client.cookie },
    });
    socket.on('message', (data) => this.onMessage(JSON.parse(String(data)) as Record<string, unknown>));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    this.socket = socket;
    await this.client.ok('PUT', '/api/desk/presence', { presence: 'available' });
  }

  /** Finishes what it serves, goes away and closes the desk. */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.serving]);
    await this.client.call('PUT', '/api/desk/presence', { presence: 'away' }).catch(() => undefined);
    this.socket?.close();
  }

  private onMessage(message: Record<string, unknown>): void {
    if (message.type === 'offer') {
      const handoff = message.handoff as { id: string; conversationId: string };
      const task = this.answerOffer(handoff.id, handoff.conversationId).catch((error: unknown) => {
        this.stats.errors.push(`${this.username} on ${handoff.conversationId}: ${(error as Error).message}`);
      });
      this.serving.add(task);
      void task.finally(() => this.serving.delete(task));
    } else if (message.type === 'activities') {
      const list = this.transcripts.get(message.conversationId as string);
      if (!list) return;
      for (const activity of message.activities as DeskActivity[]) {
        if (!list.some((a) => a.id === activity.id)) list.push(activity);
      }
      for (const wake of [...this.waiters]) wake();
    }
  }

  private async answerOffer(handoffId: string, conversationId: string): Promise<void> {
    const plan = await this.director.planFor(conversationId);
    if (plan && plan.kind !== 'serve') {
      // Nobody picks it up: the citizen will leave a ticket or go away.
      await sleep(this.random.int(100, 400));
      const { status } = await this.client.call('POST', `/api/desk/handoffs/${handoffId}/decline`);
      if (status === 200) this.stats.declined++;
      return;
    }
    await sleep(this.random.int(300, 1200));
    const { status } = await this.client.call('POST', `/api/desk/handoffs/${handoffId}/accept`);
    // Taken by someone else, or the offer lapsed: nothing to do.
    if (status !== 200) return;
    this.stats.accepted++;
    // The context card, as an agent reads it first.
    await this.client.ok('GET', `/api/desk/handoffs/${handoffId}`);
    this.transcripts.set(conversationId, []);
    this.socket?.send(JSON.stringify({ type: 'watch', conversationId, after: 0 }));
    try {
      await this.converse(handoffId, conversationId, plan);
    } finally {
      this.socket?.send(JSON.stringify({ type: 'unwatch', conversationId }));
      this.transcripts.delete(conversationId);
    }
  }

  /** Answers the citizen's messages of this stage, then ends the stage as planned. */
  private async converse(handoffId: string, conversationId: string, plan: HandoffPlan | undefined): Promise<void> {
    if (!plan) return this.unplanned(handoffId, conversationId);
    const stage = plan.stages[plan.stage]!;
    for (let round = 1; round <= stage.rounds; round++) {
      if (!(await this.citizenMessage(conversationId, round))) {
        // The citizen went quiet: close it as left.
        await this.close(handoffId, 'citizen_left');
        return;
      }
      await sleep(this.random.int(400, 1500));
      const line = stage.agentLines[round - 1] ?? GENERIC_AGENT[Math.min(round - 1, GENERIC_AGENT.length - 1)]!;
      await this.say(handoffId, round === stage.rounds && stage.end === 'transfer' ? TRANSFER_LINE : line);
    }
    await sleep(this.random.int(200, 800));
    switch (stage.end) {
      case 'transfer': {
        const to = this.random.pick(this.peers().filter((p) => p !== this.username));
        plan.stage++;
        await this.client.ok('POST', `/api/desk/handoffs/${handoffId}/transfer`, {
          agent: to,
          note: '市民的问题需要您这边的业务来解答，已和市民说明。',
        });
        this.stats.transferred++;
        return;
      }
      case 'ticket': {
        const ticket = await this.client.ok('POST', `/api/desk/handoffs/${handoffId}/ticket`, plan.ticket);
        this.stats.tickets++;
        await this.say(handoffId, `已为您登记工单，编号${ticket.number as string}，承办部门会在办理时限内联系您。`);
        return this.close(handoffId, 'ticket');
      }
      case 'hand-back':
        await this.client.ok('POST', `/api/desk/handoffs/${handoffId}/hand-back`);
        this.stats.handedBack++;
        return;
      case 'close':
        return this.close(handoffId, plan.disposition ?? 'resolved');
    }
  }

  /** A handoff nobody planned: the agent asks once, answers if the citizen is still there, and closes. */
  private async unplanned(handoffId: string, conversationId: string): Promise<void> {
    await this.say(handoffId, GENERIC_AGENT[0]!);
    const heard = await this.citizenMessage(conversationId, 1, 20_000);
    if (heard) await this.say(handoffId, GENERIC_AGENT[1]!);
    await this.close(handoffId, heard ? 'resolved' : 'citizen_left');
  }

  private async close(handoffId: string, disposition: string): Promise<void> {
    await this.client.ok('POST', `/api/desk/handoffs/${handoffId}/close`, { disposition });
    this.stats.closed++;
  }

  private async say(handoffId: string, text: string): Promise<void> {
    await this.client.ok('POST', `/api/desk/handoffs/${handoffId}/messages`, { text });
  }

  /** The citizen's `round`-th message since this agent joined, waiting for it (a minute by default). */
  private async citizenMessage(
    conversationId: string,
    round: number,
    timeoutMs = 60_000,
  ): Promise<DeskActivity | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const transcript = this.transcripts.get(conversationId) ?? [];
      const joined = transcript.filter((a) => a.channelData?.handoff?.joined === this.username).at(-1);
      if (joined) {
        const said = transcript.filter(
          (a) => a.from.role === 'user' && a.type === 'message' && seqOf(a) > seqOf(joined),
        );
        if (said.length >= round) return said[round - 1];
      }
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 1000));
        this.waiters.add(wake);
      });
    }
  }
}
