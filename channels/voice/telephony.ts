/**
 * Call control for the voice channel: one port, `TelephonyControl`, and two implementations picked by config
 * in the composition root. Both raise `TelephonyError` (code `E_TELEPHONY`): `retryable` for a rate limit, a
 * server error or a time-out (the operation may still have taken effect), not for a rejected request.
 */

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
