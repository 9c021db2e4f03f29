/**
 * Twilio (`TwilioTelephony`): the REST API through the `twilio` package. A call's conference is named after its
 * conversation, `minsheng-{conversationId}`, so every leg can find it; the caller enters it (redirected with
 * `<Dial><Conference endConferenceOnExit="true">`) when a second party is dialled in, and the conference ends
 * when the caller hangs up. Cold transfers use `<Enqueue>`: without TaskRouter a queue has no priorities, so
 * emergencies wait in a queue of their own (`{agentQueue}-emergency`) that the agents' desk dequeues first.
 */
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import { retryableStatus } from '../delivery.js';
import { TelephonyError, type CallRef, type EmergencyService, type TelephonyControl } from './telephony.js';

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
