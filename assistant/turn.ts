import type { Activity, ChannelAccount, StoredActivity } from '../core/activity.js';
import type { FaqMatch } from '../knowledge/faq-index.js';
import { messagesFor, resolveLocale, type Locale } from './messages.js';

/** What the assistant remembers between turns of one conversation (stored as jsonb). */
export interface ConversationState {
  locale?: Locale;
  turns?: number;
  /** Consecutive questions without an answer; after two the citizen is offered a person or a ticket. */
  misses?: number;
  lastFaqId?: number;
}

export interface KnowledgeLookup {
  search(text: string): FaqMatch | undefined;
}

export interface TurnInput {
  activity: StoredActivity;
  state: ConversationState;
  /** The conversation's locale when it was opened (the channel's or the browser's). */
  conversationLocale?: string | null;
}

export interface TurnResult {
  replies: Omit<Activity, 'conversation'>[];
  state: ConversationState;
}

export const BOT_ACCOUNT: ChannelAccount = { id: 'minsheng-bot', name: '12345 智能助手', role: 'bot' };

/** Longest text taken into a turn; the channel already rejects larger bodies. */
const MAX_TURN_TEXT = 2000;

/**
 * One assistant turn: pure over its inputs (no I/O), so it is tested without a database and a re-run
 * after a crash produces the same replies.
 */
export function runTurn(input: TurnInput, knowledge: KnowledgeLookup): TurnResult {
  const { activity } = input;
  const locale = input.state.locale ?? resolveLocale(activity.locale ?? input.conversationLocale);
  const t = messagesFor(locale);
  const state: ConversationState = { ...input.state, locale, turns: (input.state.turns ?? 0) + 1 };
  const reply = (text: string, extra: Partial<Activity> = {}): Omit<Activity, 'conversation'> => ({
    type: 'message',
    channelId: activity.channelId,
    from: BOT_ACCOUNT,
    recipient: activity.from,
    locale,
    textFormat: 'plain',
    text,
    ...extra,
  });

  if (activity.type !== 'message') return { replies: [], state: input.state };
  const text = (activity.text ?? '').trim().slice(0, MAX_TURN_TEXT);
  if (!text) {
    const hasAttachments = (activity.attachments?.length ?? 0) > 0;
    return { replies: [reply(hasAttachments ? t.unsupported : t.emptyMessage)], state };
  }

  // The answer to "did this help?" closes the loop on the last answer instead of starting a search.
  if (state.lastFaqId !== undefined && (text === t.helpfulYes || text === t.helpfulNo)) {
    const helped = text === t.helpfulYes;
    return {
      replies: [reply(helped ? t.thanks : t.notHelped)],
      state: { ...state, lastFaqId: undefined, misses: helped ? 0 : (state.misses ?? 0) + 1 },
    };
  }

  const match = knowledge.search(text);
  if (match) {
    const source = match.entry.source ? t.answerSource(match.entry.source) : '';
    return {
      replies: [
        reply(`${match.entry.answer}${source}`, {
          channelData: {
            knowledge: { faqId: match.entry.id, score: round(match.score), matched: match.matchedPhrase },
          },
        }),
        reply(t.askHelpful, { suggestedActions: suggestions(t.helpfulYes, t.helpfulNo) }),
      ],
      state: { ...state, misses: 0, lastFaqId: match.entry.id },
    };
  }
  const misses = (input.state.misses ?? 0) + 1;
  return { replies: [reply(misses >= 2 ? t.noAnswerAgain : t.noAnswer)], state: { ...state, misses } };
}

const round = (n: number) => Math.round(n * 1000) / 1000;

function suggestions(yes: string, no: string) {
  return {
    to: [],
    actions: [
      { type: 'imBack', title: yes, value: yes },
      { type: 'imBack', title: no, value: no },
    ],
  };
}
