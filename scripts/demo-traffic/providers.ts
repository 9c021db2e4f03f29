/**
 * Local stand-ins for the two providers the push channels talk to, so a demo run never leaves the machine:
 * a JSON SMS gateway (`POST <base>/messages` with a bearer key, answering `{ id }`, then posting a signed
 * delivery report back like a real platform) and WeChat's API (`cgi-bin/token` and the customer-service
 * `cgi-bin/message/custom/send`). Each keeps what it received, by recipient.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gatewayHeaders } from '../../channels/sms/json-gateway.js';

export interface ReceivedMessage {
  to: string;
  text: string;
  /** SMS: the gateway's Idempotency-Key (the reply's activity id). */
  key?: string;
  at: number;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/** A base class for both: the server, its inbox and failures worth reporting. */
abstract class LocalProvider {
  readonly received: ReceivedMessage[] = [];
  /** Requests it refused (a wrong key or token): the summary reports them. */
  readonly refused: string[] = [];
  protected readonly server: Server;
  url = '';

  constructor() {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.refused.push(`internal error: ${(error as Error).message}`);
        if (!response.headersSent) json(response, 500, { error: 'internal' });
      });
    });
  }

  async start(): Promise<this> {
    this.url = await listen(this.server);
    return this;
  }

  stop(): Promise<void> {
    return close(this.server);
  }

  protected abstract handle(request: IncomingMessage, response: ServerResponse): Promise<void>;
}

/** The SMS platform: takes sends from the gateway, reports them delivered through the gateway's webhook. */
export class LocalSmsGateway extends LocalProvider {
  /** Set once the gateway listens: where delivery reports go. */
  gatewayUrl?: string;
  private sequence = 0;
  /** Message ids are unique across runs too: the gateway keeps every provider id it was given. */
  private readonly run = randomBytes(4).toString('hex');
  private readonly reports = new Set<Promise<unknown>>();

  constructor(
    readonly apiKey: string,
    readonly secret: string,
  ) {
    super();
  }

  /** Whether the reply with this activity id reached the platform. */
  has(activityId: string): boolean {
    return this.received.some((m) => m.key === activityId);
  }

  override async stop(): Promise<void> {
    await Promise.allSettled([...this.reports]);
    await super.stop();
  }

  protected async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    if (request.method !== 'POST' || request.url !== '/messages') return json(response, 404, { error: 'not found' });
    if (request.headers.authorization !== `Bearer ${this.apiKey}`) {
      this.refused.push('SMS send with a wrong key');
      return json(response, 401, { error: 'bad key' });
    }
    const { to, text } = JSON.parse(body) as { to: string; text: string };
    const key = request.headers['idempotency-key'];
    const id = `demo-sms-${this.run}-${++this.sequence}`;
    this.received.push({ to, text, key: typeof key === 'string' ? key : undefined, at: Date.now() });
    json(response, 200, { id });
    // A real platform reports the handset's receipt a moment later.
    const report = new Promise((resolve) => setTimeout(resolve, 150 + (this.sequence % 5) * 60)).then(() =>
      this.report(id),
    );
    this.reports.add(report);
    void report.finally(() => this.reports.delete(report));
  }

  private async report(messageId: string): Promise<void> {
    if (!this.gatewayUrl) return;
    const raw = JSON.stringify({ messageId, status: 'delivered' });
    const response = await fetch(`${this.gatewayUrl}/sms/gateway/status`, {
      method: 'POST',
      headers: gatewayHeaders(this.secret, raw),
      body: raw,
    }).catch((error: unknown) => ({ status: 0, error }));
    if (response.status !== 204) this.refused.push(`delivery report answered ${response.status}`);
  }
}

/** WeChat's API: an access token for the app, and the customer-service messages sent with it. */
export class LocalWechatApi extends LocalProvider {
  readonly accessToken = `demo-token-${randomBytes(8).toString('hex')}`;
  tokensIssued = 0;

  constructor(
    readonly appId: string,
    readonly appSecret: string,
  ) {
    super();
  }

  protected async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const body = await readBody(request);
    if (request.method === 'GET' && url.pathname === '/cgi-bin/token') {
      if (url.searchParams.get('appid') !== this.appId || url.searchParams.get('secret') !== this.appSecret) {
        this.refused.push('token request with a wrong app id or secret');
        return json(response, 200, { errcode: 40013, errmsg: 'invalid appid' });
      }
      this.tokensIssued++;
      return json(response, 200, { access_token: this.accessToken, expires_in: 7200 });
    }
    if (request.method === 'POST' && url.pathname === '/cgi-bin/message/custom/send') {
      if (url.searchParams.get('access_token') !== this.accessToken) {
        this.refused.push('customer-service message with a wrong access token');
        return json(response, 200, { errcode: 40001, errmsg: 'invalid credential' });
      }
      const message = JSON.parse(body) as { touser: string; text?: { content?: string } };
      this.received.push({ to: message.touser, text: message.text?.content ?? '', at: Date.now() });
      return json(response, 200, { errcode: 0, errmsg: 'ok' });
    }
    json(response, 404, { errcode: 404, errmsg: 'not found' });
  }
}
