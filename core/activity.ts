import type { Activity as BotFrameworkActivity, ChannelAccount } from 'botframework-schema';

/**
 * The one message shape every channel translates to and from: the Bot Framework activity schema, with
 * only the fields a channel can always fill made required, and timestamps as ISO strings (the wire form).
 */
export type Activity = Pick<BotFrameworkActivity, 'type' | 'channelId' | 'from'> &
  Partial<
    Pick<
      BotFrameworkActivity,
      | 'id'
      | 'text'
      | 'textFormat'
      | 'attachments'
      | 'channelData'
      | 'replyToId'
      | 'locale'
      | 'suggestedActions'
      | 'value'
      | 'name'
      | 'inputHint'
      | 'speak'
      | 'entities'
    >
  > & {
    conversation: { id: string };
    recipient?: ChannelAccount;
    timestamp?: string;
  };

export type { ChannelAccount };

/** A persisted activity: it has a server id and its place in the conversation. */
export type StoredActivity = Activity & { id: string; timestamp: string };

export interface ActivityPage {
  activities: StoredActivity[];
  /** Sequence number of the last activity in the conversation covered by this page. */
  watermark: number;
}

/** Server-side activity id: conversation id and a zero-padded sequence, as Direct Line does. */
export const activityId = (conversationId: string, seq: number): string =>
  `${conversationId}|${String(seq).padStart(7, '0')}`;

export const seqOfActivityId = (id: string): number => Number.parseInt(id.slice(id.lastIndexOf('|') + 1), 10);

/**
 * A message that came without text but with a recording being transcribed (channels/recordings.ts): the
 * transcript arrives as the next message and is answered; this one is not.
 */
export const awaitsTranscript = (activity: Activity): boolean =>
  (activity.channelData as { awaitingTranscript?: unknown } | undefined)?.awaitingTranscript === true;
