/**
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
import { retryableStatus } from '../delivery.js';
import { TelephonyError, type CallRef, type EmergencyService, type TelephonyControl } from './telephony.js';

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
