/**
 * What every SMS provider shares. Inbound, once the webhook verified and parsed a message: honour opt-out
 * and opt-in keywords and store the message in the citizen's conversation (once per provider message id)
 * before the provider is acknowledged. Outbound: the number a reply goes to, unless it opted out.
 */
import type { ConversationBroker } from '../../assistant/broker.js';
import type { OptOuts } from '../../core/opt-outs.js';
import type { StoredActivity } from '../../core/activity.js';
import { AppError } from '../../core/errors.js';
import { SendError } from '../delivery.js';
import { storableText } from '../inbound-guards.js';

export const SMS_CHANNEL = 'sms';

const OPT_OUT = /^(退订|td|t|stop|stopall|unsubscribe|cancel|end|quit)$/i;
const OPT_IN = /^(开通|订阅|start|unstop|yes)$/i;
export const PHONE = /^\+?\d{5,15}$/;

export const OPT_OUT_CONFIRMATION = '您已退订12345热线短信回复。如需恢复，请回复“开通”。';
export const OPT_IN_CONFIRMATION = '您已重新开通12345热线短信回复。';

export interface InboundSms {
  from: string;
  to: string;
  text: string;
  /** The provider's message id (Twilio MessageSid): a retried webhook is stored once. */
  messageId: string;
}

/** The outcome, for the provider's response: a confirmation to send back for the keywords. */
export type SmsOutcome = { kind: 'stored' } | { kind: 'opted-out' | 'opted-in'; confirmation: string };

/**
 * Over the per-citizen limit a message is refused before it is stored: `limit` throws E_RATE_LIMITED
 * (429). The providers differ on what follows, and both outcomes keep "acknowledged means stored":
 * - Twilio does not retry a 4xx: the message stays unacknowledged in the provider's log (error 11200) and
 *   the citizen gets no reply. More than a message a second from one number is a script or an
 *   auto-responder loop, and answering each would feed the loop.
 * - A JSON gateway that retries non-2xx answers (as domestic platforms do) delivers it again after
 *   `Retry-After`, when the window has room.
 * Opt-out and opt-in keywords are honoured whatever the rate: a citizen's 退订 must never be refused.
 */
export async function receiveSms(
  broker: ConversationBroker,
  optOuts: OptOuts,
  sms: InboundSms,
  limit?: (citizen: string) => Promise<void>,
): Promise<SmsOutcome> {
  const fields = [sms.from, sms.to, sms.text, sms.messageId];
  // A provider's parser may hand over a repeated field as a list: that is no message.
  if (fields.some((field) => typeof field !== 'string')) {
    throw new AppError('E_VALIDATION', 'From, To, Body and the message id must each appear once, as text');
  }
  const from = sms.from.trim();
  if (!PHONE.test(from) || !sms.messageId) {
    throw new AppError('E_VALIDATION', 'A sender phone number and a message id are required');
  }
  const text = storableText(sms.text.trim());
  const messageId = storableText(sms.messageId);
  if (OPT_OUT.test(text)) {
    await optOuts.optOut(SMS_CHANNEL, from);
    return { kind: 'opted-out', confirmation: OPT_OUT_CONFIRMATION };
  }
  if (OPT_IN.test(text)) {
    await optOuts.optIn(SMS_CHANNEL, from);
    return { kind: 'opted-in', confirmation: OPT_IN_CONFIRMATION };
  }
  await limit?.(from);
  await broker.receiveFromCitizen({
    channelId: SMS_CHANNEL,
    user: { id: `sms:${from}` },
    activity: {
      type: 'message',
      recipient: { id: storableText(sms.to), name: '', role: 'bot' },
      text,
      locale: 'zh-CN',
      channelData: { sms: { messageId } },
    },
    channelMessageId: messageId,
  });
  return { kind: 'stored' };
}

/** The number a reply goes to, or `suppressed` when it opted out; a reply without one cannot be sent. */
export async function smsRecipient(activity: StoredActivity, optOuts: OptOuts): Promise<string | 'suppressed'> {
  const to = activity.recipient?.id.replace(/^sms:/, '');
  if (!to || !PHONE.test(to)) throw new SendError(`no phone number to send to: ${activity.recipient?.id}`, false);
  return (await optOuts.isOptedOut(SMS_CHANNEL, to)) ? 'suppressed' : to;
}
