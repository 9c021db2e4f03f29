/**
 * Call control for the voice channel: one port, `TelephonyControl`, and two implementations picked by config
 * in the composition root. Both raise `TelephonyError` (code `E_TELEPHONY`): `retryable` for a rate limit, a
 * server error or a time-out (the operation may still have taken effect), not for a rejected request.
 *
 * Twilio (`TwilioTelephony`): the REST API through the `twilio` package. A call's conference is named after its
 * conversation, `minsheng-{conversationId}`, so every leg can find it; the caller enters it (redirected with
 * `<Dial><Conference endConferenceOnExit="true">`) when a second party is dialled in, and the conference ends
 * when the caller hangs up. Cold transfers use `<Enqueue>`: without TaskRouter a queue has no priorities, so
 * emergencies wait in a queue of their own (`{agentQueue}-emergency`) that the agents' desk dequeues first.
 *
 * A city's own switch (`WebhookTelephony`), e.g. FreeSWITCH or Asterisk (ESL/ARI) behind a small service the
 * city runs. The contract its engineers implement:
 *
 *   POST {url}
 *   Content-Type: application/json
 *   X-Minsheng-Timestamp: 1767225600                (Unix seconds)
 *   X-Minsheng-Signature: sha256=<hex of HMAC-SHA256(secret, timestamp + "." + raw body)>
 *
 *   { "action": "...", "requestId": "<uuid>", "callId": "...", "conversationId": "...", ... }
 *
 *   action                   other fields                          answer (JSON, 2xx)
 *   transfer-to-agents       priority: emergency|normal, reason?   -
 *   start-warm-transfer      target                                { "legId" }
 *   complete-warm-transfer   legId, agentLegId?                    -
 *   conference               target (department), agent?           { "conference", "legIds" }
 *   bridge-emergency         service (110/119/120/122), number     -
 *   hang-up                  -                                     -
 *
 * Check the signature over the raw bytes (`signControlRequest`), refuse a timestamp more than five minutes
 * from your clock, and refuse a `requestId` seen within that window (a replay). Answer 4xx for a request that
 * cannot succeed (unknown call: not retried) and 5xx or 429 when it may later. The gateway waits 5 s.
 */
import { createHmac, randomUUID } from 'node:crypto';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import { retryableStatus } from '../delivery.js';

/** A live call as the telephony side knows it. */
export interface CallRef {
  /** Twilio's CallSid, or the city switch's call id. */
  callId: string;
  conversationId: string;
  /** The citizen's number, E.164. */
  caller?: string;
}

export type EmergencyService = '110' | '119' | '120' | '122';

export const DEFAULT_EMERGENCY_NUMBERS: Record<EmergencyService, string> = {
  '110': '110',
  '119': '119',
  '120': '120',
  '122': '122',
};

export class TelephonyError extends Error {
  readonly code = 'E_TELEPHONY';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'TelephonyError';
  }
}

export interface TelephonyControl {
  /** 'twilio' | 'webhook' */
  readonly id: string;
  /** Cold transfer: the caller leaves the bot and waits in the agents' queue (priority for emergencies). */
  transferToAgents(call: CallRef, options?: { priority?: 'emergency' | 'normal'; reason?: string }): Promise<void>;
  /** Warm transfer, step 1: the caller is held in the call's conference while `target` is dialled to consult. */
  startWarmTransfer(call: CallRef, target: string): Promise<{ legId: string }>;
  /** Warm transfer, step 2: the caller is taken off hold and joined with the target; the agent's leg leaves. */
  completeWarmTransfer(call: CallRef, leg: { legId: string }, agentLegId?: string): Promise<void>;
  /** Three-party: caller + agent + department in one conference (the department is dialled in). */
  conference(
    call: CallRef,
    department: string,
    options?: { agent?: string },
  ): Promise<{ conference: string; legIds: string[] }>;
  /** Bridges the caller to the emergency service's number from config (the bot has already told the caller). */
  bridgeEmergency(call: CallRef, service: EmergencyService): Promise<void>;
  hangUp(call: CallRef): Promise<void>;
}

export const conferenceName = (call: CallRef) => `minsheng-${call.conversationId}`;

export interface TwilioTelephonySettings {
  accountSid: string;
  authToken: string;
  /** The REST API's origin (a compatible provider's, or a test's); default https://api.twilio.com. */
  apiBaseUrl?: string;
  /** The hotline number dialled legs come from. */
  callerId: string;
  /** The `<Enqueue>` queue agents take calls from; default '12345-agents'. */
  agentQueue?: string;
  /** Emergencies' queue, served first by the agents' desk; default `{agentQueue}-emergency`. */
  emergencyQueue?: string;
  emergencyNumbers: Record<EmergencyService, string>;
  /** Receives dialled legs' call progress and the conference's events. */
  statusCallbackUrl?: string;
  /** Audio (or TwiML) a held caller hears; Twilio's hold music when unset. */
  holdUrl?: string;
  /** Per API request; default 10 s. */
  timeoutMs?: number;
}

const TWILIO_API = 'https://api.twilio.com';
/** A redirected caller enters the conference within a second or two; look this often, this long. */
const JOIN_POLL_MS = 200;
const JOIN_TIMEOUT_MS = 8000;
const E164 = /^\+\d{6,15}$/;

/**
 * The client builds https://api.twilio.com URLs; this RequestClient (the library's extension point, see
 * twilio-node's advanced-examples/custom-http-client.md) sends each to the configured origin, same path.
 */
class OriginRequestClient extends twilio.RequestClient {
  constructor(
    private readonly origin: string,
    timeoutMs: number,
  ) {
    super({ timeout: timeoutMs });
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const url = new URL(opts.uri);
    return super.request<TData>({ ...opts, uri: this.origin + url.pathname + url.search });
  }
}

/** The library throws RestException (legacy APIs) or TwilioServiceException, both with `status`; axios errors. */
function twilioError(operation: string, error: unknown): TelephonyError {
  if (error instanceof TelephonyError) return error;
  const e = error as { status?: unknown; code?: unknown; message?: string; isAxiosError?: boolean };
  if (typeof e.status === 'number') {
    const code = e.code ? ` (${String(e.code)})` : '';
    return new TelephonyError(
      `Twilio ${operation}: HTTP ${e.status}${code}: ${e.message}`,
      retryableStatus(e.status),
      e.status,
    );
  }
  // Network failures and time-outs; the axios error itself carries the request's headers, so only its message.
  if (e.isAxiosError) return new TelephonyError(`Twilio ${operation}: ${e.message ?? 'no response'}`, true);
  return new TelephonyError(`Twilio ${operation}: ${e.message ?? String(error)}`, false);
}

export class TwilioTelephony implements TelephonyControl {
  readonly id = 'twilio';
  private readonly client: twilio.Twilio;
  private readonly agentQueue: string;
  private readonly emergencyQueue: string;

  constructor(private readonly settings: TwilioTelephonySettings) {
    const origin = (settings.apiBaseUrl ?? TWILIO_API).replace(/\/+$/, '');
    this.client = twilio(settings.accountSid, settings.authToken, {
      httpClient: new OriginRequestClient(origin, settings.timeoutMs ?? 10_000),
    });
    this.agentQueue = settings.agentQueue ?? '12345-agents';
    this.emergencyQueue = settings.emergencyQueue ?? `${this.agentQueue}-emergency`;
  }

  /** `reason` is for the handoff record: a queue carries no data without TaskRouter. */
  async transferToAgents(call: CallRef, options: { priority?: 'emergency' | 'normal'; reason?: string } = {}) {
    const response = new twilio.twiml.VoiceResponse();
    response.enqueue(options.priority === 'emergency' ? this.emergencyQueue : this.agentQueue);
    await this.redirect('transfer to agents', call, response);
  }

  async startWarmTransfer(call: CallRef, target: string): Promise<{ legId: string }> {
    const conference = await this.joinConference(call);
    // Held first, so the caller hears neither the ringing nor the consultation.
    await this.hold(conference, call.callId, true);
    try {
      return { legId: await this.dial(conference, target, 'warm-transfer') };
    } catch (error) {
      // Nobody is coming: give the caller back to the agent rather than leave them on hold. The dial's error is
      // the one to report; a failure here leaves the caller held, which the agent hears and can undo.
      await this.hold(conference, call.callId, false).catch(() => undefined);
      throw error;
    }
  }

  async completeWarmTransfer(call: CallRef, leg: { legId: string }, agentLegId?: string): Promise<void> {
    const conference = await this.findConference(call);
    if (!conference) throw new TelephonyError(`the caller's conference ${conferenceName(call)} has ended`, false);
    // The target must still be there: removing the agent with nobody to take the caller would strand them.
    await this.api('find the transfer target', () =>
      this.client.conferences(conference).participants(leg.legId).fetch(),
    );
    await this.hold(conference, call.callId, false);
    if (agentLegId) {
      await this.api('remove the agent', () => this.client.conferences(conference).participants(agentLegId).remove());
    }
  }

  /** Resolves with the conference's SID and the dialled legs' CallSids: the department's, then the agent's. */
  async conference(call: CallRef, department: string, options: { agent?: string } = {}) {
    const conference = await this.joinConference(call);
    const legIds = [await this.dial(conference, department, 'department')];
    if (options.agent) legIds.push(await this.dial(conference, options.agent, 'agent'));
    return { conference, legIds };
  }

  async bridgeEmergency(call: CallRef, service: EmergencyService): Promise<void> {
    const number = this.settings.emergencyNumbers[service];
    if (!number) throw new TelephonyError(`no number configured for emergency service ${service}`, false);
    const response = new twilio.twiml.VoiceResponse();
    // The service sees the citizen's number, to call back (Twilio allows the calling number as callerId on a
    // forwarded call, error 13214); the hotline's when the carrier sent none usable.
    const callerId = call.caller && E164.test(call.caller) ? call.caller : this.settings.callerId;
    response.dial({ callerId }, number);
    await this.redirect(`bridge to ${service}`, call, response);
  }

  async hangUp(call: CallRef): Promise<void> {
    await this.api('hang up', () => this.client.calls(call.callId).update({ status: 'completed' }));
  }

  private async api<T>(operation: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw twilioError(operation, error);
    }
  }

  /** Replaces what the call is doing (the bot's stream) with new TwiML. */
  private async redirect(operation: string, call: CallRef, response: twilio.twiml.VoiceResponse) {
    await this.api(operation, () => this.client.calls(call.callId).update({ twiml: response.toString() }));
  }

  /** The SID of the conversation's conference while it runs (only while the caller is in it). */
  private async findConference(call: CallRef): Promise<string | undefined> {
    const [found] = await this.api('find the conference', () =>
      this.client.conferences.list({ friendlyName: conferenceName(call), status: 'in-progress', limit: 1 }),
    );
    return found?.sid;
  }

  /** Moves the caller into the conversation's conference unless there, and resolves with its SID. */
  private async joinConference(call: CallRef): Promise<string> {
    const running = await this.findConference(call);
    if (running) return running;
    const response = new twilio.twiml.VoiceResponse();
    response.dial().conference(
      {
        startConferenceOnEnter: true,
        // The caller's leg ends the conference when they hang up: no department left talking to an agent.
        endConferenceOnExit: true,
        beep: 'false',
        participantLabel: 'caller',
        ...(this.settings.statusCallbackUrl && {
          statusCallback: this.settings.statusCallbackUrl,
          statusCallbackEvent: ['start', 'end', 'join', 'leave', 'hold'],
        }),
      },
      conferenceName(call),
    );
    await this.redirect('move the caller into the conference', call, response);
    // The redirect is asynchronous; the caller's entry starts the conference, and only then can it be held.
    for (const deadline = Date.now() + JOIN_TIMEOUT_MS; Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, JOIN_POLL_MS));
      const started = await this.findConference(call);
      if (started) return started;
    }
    throw new TelephonyError(`the caller did not enter ${conferenceName(call)} within ${JOIN_TIMEOUT_MS} ms`, true);
  }

  private async hold(conference: string, callSid: string, hold: boolean) {
    const { holdUrl } = this.settings;
    await this.api(hold ? 'hold the caller' : 'take the caller off hold', () =>
      this.client
        .conferences(conference)
        .participants(callSid)
        .update({ hold, ...(hold && holdUrl && { holdUrl }) }),
    );
  }

  /** Dials `to` into the conference from the hotline number; resolves with the new leg's CallSid. */
  private async dial(conference: string, to: string, label: string): Promise<string> {
    const { callerId, statusCallbackUrl } = this.settings;
    const participant = await this.api(`dial the ${label}`, () =>
      this.client.conferences(conference).participants.create({
        from: callerId,
        to,
        label,
        beep: 'false',
        // Those in the conference hear the ringing, or that nobody answers.
        earlyMedia: true,
        endConferenceOnExit: false,
        ...(statusCallbackUrl && {
          statusCallback: statusCallbackUrl,
          statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
        }),
      }),
    );
    return participant.callSid;
  }
}

export interface WebhookTelephonySettings {
  url: string;
  secret: string;
  /** Default 5 s. */
  timeoutMs?: number;
  emergencyNumbers: Record<EmergencyService, string>;
}

/** The `X-Minsheng-Signature` value for a request: `sha256=` and the hex HMAC of `timestamp.body`. */
export function signControlRequest(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

type ControlAction =
  | 'transfer-to-agents'
  | 'start-warm-transfer'
  | 'complete-warm-transfer'
  | 'conference'
  | 'bridge-emergency'
  | 'hang-up';

interface ControlAnswer {
  legId?: unknown;
  legIds?: unknown;
  conference?: unknown;
}

export class WebhookTelephony implements TelephonyControl {
  readonly id = 'webhook';

  constructor(private readonly settings: WebhookTelephonySettings) {}

  async transferToAgents(call: CallRef, options: { priority?: 'emergency' | 'normal'; reason?: string } = {}) {
    await this.send('transfer-to-agents', call, { priority: options.priority ?? 'normal', reason: options.reason });
  }

  async startWarmTransfer(call: CallRef, target: string): Promise<{ legId: string }> {
    const answer = await this.send('start-warm-transfer', call, { target });
    if (typeof answer.legId !== 'string' || !answer.legId) throw this.malformed('start-warm-transfer', 'legId');
    return { legId: answer.legId };
  }

  async completeWarmTransfer(call: CallRef, leg: { legId: string }, agentLegId?: string): Promise<void> {
    await this.send('complete-warm-transfer', call, { legId: leg.legId, agentLegId });
  }

  async conference(call: CallRef, department: string, options: { agent?: string } = {}) {
    const answer = await this.send('conference', call, { target: department, agent: options.agent });
    const { conference, legIds } = answer;
    if (typeof conference !== 'string' || !conference) throw this.malformed('conference', 'conference');
    if (!Array.isArray(legIds) || !legIds.every((id) => typeof id === 'string')) {
      throw this.malformed('conference', 'legIds');
    }
    return { conference, legIds: legIds as string[] };
  }

  async bridgeEmergency(call: CallRef, service: EmergencyService): Promise<void> {
    const number = this.settings.emergencyNumbers[service];
    if (!number) throw new TelephonyError(`no number configured for emergency service ${service}`, false);
    await this.send('bridge-emergency', call, { service, number });
  }

  async hangUp(call: CallRef): Promise<void> {
    await this.send('hang-up', call, {});
  }

  private malformed(action: ControlAction, field: string) {
    return new TelephonyError(`the switch's answer to ${action} has no valid ${field}`, false);
  }

  private async send(action: ControlAction, call: CallRef, fields: Record<string, unknown>): Promise<ControlAnswer> {
    const body = JSON.stringify({
      action,
      requestId: randomUUID(),
      callId: call.callId,
      conversationId: call.conversationId,
      ...fields,
    });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const timeoutMs = this.settings.timeoutMs ?? 5000;
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.settings.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-minsheng-timestamp': timestamp,
          'x-minsheng-signature': signControlRequest(this.settings.secret, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const e = error as Error;
      const reason = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : e.message;
      throw new TelephonyError(`call-control switch, ${action}: ${reason}`, true);
    }
    let answer: ControlAnswer & { error?: unknown; message?: unknown } = {};
    try {
      const parsed: unknown = text ? JSON.parse(text) : {};
      if (parsed && typeof parsed === 'object') answer = parsed;
    } catch {
      if (response.ok) throw new TelephonyError(`the switch's answer to ${action} is not JSON`, false);
    }
    if (!response.ok) {
      const detail = answer.error ?? answer.message ?? response.statusText;
      throw new TelephonyError(
        `call-control switch, ${action}: HTTP ${response.status}: ${String(detail)}`,
        retryableStatus(response.status),
        response.status,
      );
    }
    return answer;
  }
}
