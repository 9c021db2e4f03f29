import WebSocket from 'ws';
import { STAFF_PASSWORD } from './staff.js';
import { TEST_DIRECTLINE_SECRET } from './gateway.js';

/** Anything with the activity fields the tests read. */
export interface SeenActivity {
  id: string;
  type: string;
  text?: string;
  from: { id: string; name?: string; role?: string };
  channelData?: Record<string, unknown>;
}

/** A web chat citizen on the Direct Line REST API (the secret opens the conversation, its token speaks). */
export class Citizen {
  private constructor(
    readonly baseUrl: string,
    readonly conversationId: string,
    private readonly token: string,
  ) {}

  static async open(baseUrl: string): Promise<Citizen> {
    const res = await fetch(`${baseUrl}/v3/directline/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_DIRECTLINE_SECRET}` },
    });
    if (res.status !== 201) throw new Error(`opening a conversation answered ${res.status}`);
    const { conversationId, token } = (await res.json()) as { conversationId: string; token: string };
    return new Citizen(baseUrl, conversationId, token);
  }

  get bearer(): string {
    return this.token;
  }

  /** The same conversation and token through another gateway instance (behind a load balancer any may answer). */
  at(baseUrl: string): Citizen {
    return new Citizen(baseUrl, this.conversationId, this.token);
  }

  /** The conversation's Direct Line stream on this instance, resuming after `watermark` (a reconnect). */
  async stream(watermark?: string): Promise<CitizenStream> {
    const query = watermark === undefined ? '' : `?watermark=${watermark}`;
    const res = await fetch(`${this.baseUrl}/v3/directline/conversations/${this.conversationId}${query}`, {
      headers: { authorization: `Bearer ${this.token}` },
    });
    if (res.status !== 200) throw new Error(`reconnecting answered ${res.status}`);
    return CitizenStream.open(((await res.json()) as { streamUrl: string }).streamUrl);
  }

  async say(text: string, type = 'message'): Promise<string> {
    const res = await fetch(`${this.baseUrl}/v3/directline/conversations/${this.conversationId}/activities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type, from: { id: 'citizen' }, text }),
    });
    if (res.status !== 200) throw new Error(`posting answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { id: string }).id;
  }

  async activities(): Promise<SeenActivity[]> {
    const res = await fetch(`${this.baseUrl}/v3/directline/conversations/${this.conversationId}/activities`, {
      headers: { authorization: `Bearer ${this.token}` },
    });
    return ((await res.json()) as { activities: SeenActivity[] }).activities;
  }
}

/** A Direct Line WebSocket stream as botframework-directlinejs reads it: every activity and the last watermark. */
export class CitizenStream {
  readonly activities: SeenActivity[] = [];
  /** The watermark of the last frame that carried one (typing frames carry none). */
  watermark?: string;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      if (!String(data)) return;
      const frame = JSON.parse(String(data)) as { activities: SeenActivity[]; watermark?: string };
      this.activities.push(...frame.activities);
      if (frame.watermark !== undefined) this.watermark = frame.watermark;
    });
  }

  static async open(streamUrl: string): Promise<CitizenStream> {
    const socket = new WebSocket(streamUrl);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new CitizenStream(socket);
  }

  /** The first activity matching `match`, waiting for it up to `timeoutMs`. */
  async next(match: (a: SeenActivity) => boolean, timeoutMs = 10_000): Promise<SeenActivity> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.activities.find(match);
      if (found) return found;
      if (Date.now() > deadline) {
        const seen = this.activities.map((a) => `${a.from.role}: ${a.text ?? a.type}`).join(' | ');
        throw new Error(`no streamed activity matched in ${timeoutMs} ms; got ${seen}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  close(): void {
    this.socket.close();
  }
}

/** A signed-in staff member of the desk: its REST API and its WebSocket, with every message kept. */
export class DeskClient {
  readonly messages: Record<string, unknown>[] = [];
  private socket?: WebSocket;
  private waiters: (() => void)[] = [];
  private readonly listeners: ((message: Record<string, unknown>) => void)[] = [];

  private constructor(
    readonly baseUrl: string,
    readonly cookie: string,
  ) {}

  static async signIn(baseUrl: string, username: string, password = STAFF_PASSWORD): Promise<DeskClient> {
    const res = await fetch(`${baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (res.status !== 200) throw new Error(`sign-in of ${username} answered ${res.status}`);
    return new DeskClient(baseUrl, res.headers.get('set-cookie')!.split(';')[0]!);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.baseUrl}/api/desk${path}`, {
      method,
      headers: { cookie: this.cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  }

  /** Like `call`, but anything other than 200/204 fails. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async ok(method: string, path: string, body?: unknown): Promise<any> {
    const { status, body: answer } = await this.call(method, path, body);
    if (status !== 200 && status !== 204)
      throw new Error(`${method} ${path} answered ${status}: ${JSON.stringify(answer)}`);
    return answer;
  }

  async connect(): Promise<this> {
    const socket = new WebSocket(`${this.baseUrl.replace(/^http/, 'ws')}/api/desk/stream`, {
      headers: { cookie: this.cookie },
    });
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      this.messages.push(message);
      for (const listener of this.listeners) listener(message);
      for (const wake of this.waiters.splice(0)) wake();
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    this.socket = socket;
    return this;
  }

  /** Every message from now on (the bench times them as they come). */
  onMessage(listener: (message: Record<string, unknown>) => void): void {
    this.listeners.push(listener);
  }

  send(message: unknown): void {
    this.socket!.send(JSON.stringify(message));
  }

  /** The first message (from `from` on) matching `match`, waiting for it up to `timeoutMs`. */
  async next(
    match: (m: Record<string, unknown>) => boolean,
    timeoutMs = 10_000,
    from = 0,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no desk message matched in ${timeoutMs} ms; got ${JSON.stringify(this.messages.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** A watched conversation's activity with this text, as the desk received it. */
  activity(conversationId: string, text: string, timeoutMs?: number): Promise<Record<string, unknown>> {
    return this.next(
      (m) =>
        m.type === 'activities' &&
        m.conversationId === conversationId &&
        (m.activities as SeenActivity[]).some((a) => a.text === text),
      timeoutMs,
    );
  }

  close(): void {
    this.socket?.close();
  }
}

/**
 * A handoff across instances: a citizen on `citizenUrl` asks for a person, the agent signed in on `deskUrl`
 * takes the offer, the citizen's next message reaches the desk and the agent's answer (after typing) the
 * citizen's Direct Line stream. Answers what a test may check further; the caller closes stream and agent.
 */
export async function relayAcrossInstances(
  citizenUrl: string,
  deskUrl: string,
  username: string,
  text: { citizen: string; agent: string },
  offerTimeoutMs = 30_000,
): Promise<{ citizen: Citizen; stream: CitizenStream; agent: DeskClient; reply: SeenActivity }> {
  const agent = await (await DeskClient.signIn(deskUrl, username)).connect();
  await agent.ok('PUT', '/presence', { presence: 'available' });
  const citizen = await Citizen.open(citizenUrl);
  const stream = await citizen.stream();
  await citizen.say('我要找人工客服');
  const offer = await agent.next((m) => m.type === 'offer', offerTimeoutMs);
  const handoff = offer.handoff as { id: string; conversationId: string };
  if (handoff.conversationId !== citizen.conversationId) throw new Error('the offer is for another conversation');
  await agent.ok('POST', `/handoffs/${handoff.id}/accept`, {});
  agent.send({ type: 'watch', conversationId: citizen.conversationId, after: 0 });
  await citizen.say(text.citizen);
  await agent.activity(citizen.conversationId, text.citizen, 15_000);
  await agent.ok('POST', `/handoffs/${handoff.id}/typing`, {});
  await agent.ok('POST', `/handoffs/${handoff.id}/messages`, { text: text.agent });
  const reply = await stream.next((a) => a.text === text.agent, 15_000);
  return { citizen, stream, agent, reply };
}
