/**
 * WeChat personal and WeCom accounts through Wechaty: the same broker behind a Wechaty bot, whatever
 * puppet drives it (a puppet service with its token in production; wechaty-puppet-mock in tests). A
 * contact's direct messages are the citizen's; group chats are not taken. Replies go out through the
 * delivery queue like every push channel's.
 */
import type { Message, Wechaty } from 'wechaty';
import type { ConversationBroker } from '../../assistant/broker.js';
import type { StoredActivity } from '../../core/activity.js';
import type { Logger } from '../../core/logger.js';
import { SendError, type ChannelSender } from '../delivery.js';
import { storableText } from '../inbound-guards.js';

export const WECHATY_CHANNEL = 'wechaty';

/** Takes a bot's direct text messages into the broker. */
export class WechatyChannel {
  constructor(
    private readonly bot: Wechaty,
    private readonly broker: ConversationBroker,
    private readonly logger: Logger,
  ) {}

  listen(): void {
    this.bot.on('message', (message) => {
      this.receive(message).catch((error: unknown) =>
        this.logger.error({ err: error, channel: WECHATY_CHANNEL }, 'could not store a Wechaty message'),
      );
    });
  }

  private async receive(message: Message): Promise<void> {
    if (message.self() || message.room()) return;
    const talker = message.talker();
    const text = message.type() === this.bot.Message.Type.Text ? storableText(message.text().trim()) : '';
    await this.broker.receiveFromCitizen({
      channelId: WECHATY_CHANNEL,
      user: { id: `wechaty:${talker.id}`, name: talker.name() },
      activity: { type: 'message', text, locale: 'zh-CN', channelData: { wechaty: { messageType: message.type() } } },
      channelMessageId: message.id,
    });
  }
}

export class WechatySender implements ChannelSender {
  readonly channelId = WECHATY_CHANNEL;

  constructor(private readonly bot: Wechaty) {}

  async send(activity: StoredActivity): Promise<{ providerMessageId: string }> {
    const contactId = activity.recipient?.id.replace(/^wechaty:/, '');
    if (!contactId) throw new SendError('no Wechaty contact to send to', false);
    if (!this.bot.isLoggedIn) throw new SendError('the Wechaty bot is not logged in', true);
    const contact = await this.bot.Contact.find({ id: contactId });
    if (!contact) throw new SendError(`Wechaty contact ${contactId} not found`, false);
    try {
      const sent = await contact.say(activity.text ?? '');
      return { providerMessageId: sent?.id ? `wechaty:${sent.id}` : `wechaty:${activity.id}` };
    } catch (error) {
      throw new SendError(`Wechaty could not send: ${(error as Error).message}`, true);
    }
  }
}
