import type { Activity, ChannelAccount, StoredActivity } from '../core/activity.js';
import { ANSWER_CONFIDENCE, SUGGEST_CONFIDENCE } from '../knowledge/confidence.js';
import type { KnowledgeHit } from '../knowledge/search.js';
import { messagesFor, resolveLocale, type Locale } from './messages.js';

/** What the assistant remembers between turns of one conversation (stored as jsonb). */
export interface ConversationState {
  locale?: Locale;
  turns?: number;
  /** Consecutive questions without an answer; after two the citizen is offered a person or a ticket. */
  misses?: number;
  /** The article last answered with, while "did this help?" is open. */
  lastArticleId?: string;
}

/** Knowledge search as the broker sees it: it runs the search before the turn and hands the hits in. */
export interface KnowledgeLookup {
  search(text: string): Promise<KnowledgeHit[]>;
}

export interface TurnInput {
  activity: StoredActivity;
  state: ConversationState;
  /** The conversation's locale when it was opened (the channel's or the browser's). */
  conversationLocale?: string | null;
  /** Knowledge hits for the activity's text, best first (empty when there is no text). */
  hits: KnowledgeHit[];
}

export interface TurnResult {
  replies: Omit<Activity, 'conversation'>[];
  state: ConversationState;
}

export const BOT_ACCOUNT: ChannelAccount = { id: 'minsheng-bot', name: '12345 智能助手', role: 'bot' };

/** Longest text taken into a turn; the channel already rejects larger bodies. */
const MAX_TURN_TEXT = 2000;

/**
 * When to answer, ask, or admit a miss: by the search's calibrated confidence (knowledge/confidence.ts).
 * At or above `answer` the first hit is right about 95% of the time; between `suggest` and `answer` the
 * citizen picks from the likely questions; below, the turn is a miss.
 */
export const DECISION = { answer: ANSWER_CONFIDENCE, suggest: SUGGEST_CONFIDENCE, suggestions: 3 };

/** Channels whose citizens read short messages (SMS) or hear replies (voice) get the short answer form. */
const SHORT_FORM_CHANNELS = new Set(['sms', 'voice']);

/**
 * One assistant turn: pure over its inputs (no I/O), so it is tested without a database and a re-run
 * after a crash produces the same replies.
 */
export function runTurn(input: TurnInput): TurnResult {
  const { activity, hits } = input;
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
  if (state.lastArticleId !== undefined && (text === t.helpfulYes || text === t.helpfulNo)) {
    const helped = text === t.helpfulYes;
    return {
      replies: [reply(helped ? t.thanks : t.notHelped)],
      state: { ...state, lastArticleId: undefined, misses: helped ? 0 : (state.misses ?? 0) + 1 },
    };
  }

  const [best] = hits;
  if (best && best.confidence >= DECISION.answer) {
    const answer = SHORT_FORM_CHANNELS.has(activity.channelId) ? best.answerShort : best.answerFull;
    const source = t.answerSource(best.source?.title ?? best.department);
    return {
      replies: [
        reply(`${answer}${source}`, {
          channelData: {
            knowledge: {
              articleId: best.articleId,
              confidence: round(best.confidence),
              similarity: round(best.similarity),
              matched: best.matched.text,
            },
          },
        }),
        reply(t.askHelpful, { suggestedActions: suggestions([t.helpfulYes, t.helpfulNo]) }),
      ],
      state: { ...state, misses: 0, lastArticleId: best.articleId },
    };
  }
  const candidates = hits.filter((h) => h.confidence >= DECISION.suggest).slice(0, DECISION.suggestions);
  if (candidates.length > 0) {
    // Several articles fit about equally: let the citizen pick rather than guess. Picking sends the
    // standard question, which the next turn answers with confidence.
    return {
      replies: [
        reply(t.whichOne, {
          suggestedActions: suggestions(candidates.map((c) => c.question)),
          channelData: {
            knowledge: {
              candidates: candidates.map((c) => ({ articleId: c.articleId, confidence: round(c.confidence) })),
            },
          },
        }),
      ],
      state: { ...state, lastArticleId: undefined },
    };
  }
  const misses = (input.state.misses ?? 0) + 1;
  return {
    replies: [reply(misses >= 2 ? t.noAnswerAgain : t.noAnswer)],
    state: { ...state, misses, lastArticleId: undefined },
  };
}

const round = (n: number) => Math.round(n * 1000) / 1000;

function suggestions(values: string[]) {
  return { to: [], actions: values.map((value) => ({ type: 'imBack', title: value, value })) };
}
