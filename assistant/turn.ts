import { awaitsTranscript, type Activity, type ChannelAccount, type StoredActivity } from '../core/activity.js';
import { ANSWER_CONFIDENCE, SUGGEST_CONFIDENCE } from '../knowledge/confidence.js';
import type { KnowledgeHit } from '../knowledge/search.js';
import { isDemandType, type DemandType, type Ticket, type TicketDraft } from '../tickets/ticket-store.js';
import {
  applyExtraction,
  draftOf,
  mayBeAnonymous,
  nextQuestion,
  summaryLines,
  type CategoryFacts,
  type IntakeState,
} from './intake.js';
import { messagesFor, resolveLocale, type Locale, type Messages } from './messages.js';
import type { Analysis } from './nlu/nlu.js';
import type { EmergencyKind } from './nlu/safety.js';
import type { Classification } from './nlu/text-classifier.js';

/** What the assistant remembers between turns of one conversation (stored as jsonb). */
export interface ConversationState {
  locale?: Locale;
  turns?: number;
  /** Consecutive questions without an answer; after two the citizen is offered a person or a ticket. */
  misses?: number;
  /** The article last answered with, while "did this help?" is open. */
  lastArticleId?: string;
  /** The standard question last answered: a follow-up ("那要带什么材料") is searched together with it. */
  lastTopic?: string;
  /**
   * The citizen's last question to the knowledge base, and the classifier's best category for it: what a
   * "登记" after a miss registers as a consultation ticket for a department to answer (an agent can
   * correct the category; none at all goes to 15.01.01, other matters).
   */
  lastQuestion?: { text: string; category?: string };
  /** The case record being gathered. */
  intake?: IntakeState;
  /** A status query waiting for the phone that proves the ticket is the citizen's. */
  statusNumber?: string;
  /** Set once an emergency was detected: agents see the conversation flagged. */
  emergency?: EmergencyKind;
  /** The citizen asked for a person, or an emergency raised a priority handoff. */
  handoff?: { reason: 'requested' | 'emergency'; priority: 'emergency' | 'normal' };
  /**
   * Satisfaction with the human service: `asked` after an agent handed the conversation back, then the
   * citizen's answer (1 satisfied, 2 fairly satisfied, 3 dissatisfied).
   */
  satisfaction?: 'asked' | 1 | 2 | 3;
  /** The knowledge hits of the last search, for the agent who takes the conversation over. */
  seenHits?: { articleId: string; title: string; question: string; score: number; confidence: number }[];
  /** Reason the last matter was not accepted. */
  refused?: string;
  /** The citizen announced a demand type ("我要投诉") before saying what about: the next message is that. */
  intendedType?: DemandType;
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
  /**
   * What the NLU made of the text (assistant/nlu). Without it the turn only answers from the knowledge
   * base (as when no classifiers are loaded).
   */
  analysis?: Analysis;
  /** The taxonomy's facts about a category code. */
  categoryFacts?: (code: string) => CategoryFacts | undefined;
  /** The result of a status look-up the broker ran for this message (null: no such ticket for that phone). */
  statusLookup?: { number: string; ticket: Ticket | null };
  /** For a status question without a number: the citizen's own open tickets (see TicketStore.openTicketsOf). */
  ownTickets?: Ticket[];
}

export interface TurnResult {
  replies: Omit<Activity, 'conversation'>[];
  state: ConversationState;
  /** The citizen confirmed the case record: the broker registers it, then `registeredReplies` answers. */
  register?: TicketDraft;
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

/** Below this the demand type is asked rather than guessed. */
export const DEMAND_TYPE_CONFIDENCE = 0.5;
/**
 * A question that the knowledge base answers with confidence is answered rather than taken down, unless
 * the demand type is at least this sure ("停水了什么时候来水" has an answer and is still help: someone
 * must look at that outage). A statement ("楼下烧烤油烟太大了") is taken down from DEMAND_TYPE_CONFIDENCE.
 */
export const INTAKE_OVER_ANSWER = 0.9;
/** At or above this the category is taken; below, the citizen picks from the likely ones. */
export const CATEGORY_CONFIDENCE = 0.5;

/** The taxonomy's catch-all minor class. */
const OTHER_MATTERS = '15.01.01';

/** Replies to the summary that confirm it. */
const YES = /^(对|对的|是|是的|没错|没问题|确认|确定|可以|好|好的|行|提交|就这样|嗯|ok|yes|confirm)/i;

/** Channels whose citizens read short messages (SMS) or hear replies (voice) get the short answer form. */
export const SHORT_FORM_CHANNELS: ReadonlySet<string> = new Set(['sms', 'voice']);

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
    if (awaitsTranscript(activity)) return { replies: [], state: input.state };
    const hasAttachments = (activity.attachments?.length ?? 0) > 0;
    return { replies: [reply(hasAttachments ? t.unsupported : t.emptyMessage)], state };
  }

  // The answer to "did this help?" (a button's exact title) closes the loop on the last answer before the
  // text is read for anything else: 没有解决 is not a complaint, 已解决 not a case to take down.
  if (state.lastArticleId !== undefined && (text === t.helpfulYes || text === t.helpfulNo)) {
    const helped = text === t.helpfulYes;
    // Marked for analytics: an answer marked 没解决 is a question the knowledge base did not settle.
    const feedback = { articleId: state.lastArticleId, helped, question: state.lastQuestion?.text ?? null };
    return {
      replies: [reply(helped ? t.thanks : t.notHelped, { channelData: { feedback } })],
      state: { ...state, lastArticleId: undefined, misses: helped ? 0 : (state.misses ?? 0) + 1 },
    };
  }
  const analysis = input.analysis;
  if (analysis) {
    // 1. An emergency goes first, whatever the conversation was doing.
    if (analysis.emergency) {
      const { kind, number, matched } = analysis.emergency;
      return {
        replies: [
          reply(t.emergency[kind], {
            channelData: { emergency: { kind, number, matched } },
            suggestedActions: suggestions([`拨打${number}`]),
          }),
          reply(t.emergencyFollowUp),
        ],
        state: {
          ...state,
          emergency: kind,
          handoff: { reason: 'emergency', priority: 'emergency' },
          intake: undefined,
        },
      };
    }
    // 2. An explicit request for a person.
    if (analysis.wantsHuman) {
      return {
        replies: [reply(t.handoff, { channelData: { handoff: { reason: 'requested' } } })],
        state: { ...state, handoff: { reason: 'requested', priority: 'normal' } },
      };
    }
    // The answer to the satisfaction question after a human handed back; anything else moves on.
    if (state.satisfaction === 'asked') {
      const score = satisfactionScore(text);
      if (score) {
        return {
          replies: [reply(t.satisfactionThanks, { channelData: { satisfaction: score } })],
          state: { ...state, satisfaction: score },
        };
      }
      state.satisfaction = undefined;
    }
    // 3. A ticket status query (the number now or earlier, and the phone).
    const status = statusTurn(input, state, t, reply);
    if (status) return status;
    if (analysis.statusQuery && !state.intake) {
      const own = input.ownTickets ?? [];
      if (own.length > 0) {
        const lines = own.map((ticket) =>
          t.statusLine(ticket.number, t.ticketStatus[ticket.status], cityDate(ticket.deadlineAt)),
        );
        return {
          replies: [
            reply(t.statusList(lines.join('\n')), { channelData: { status: { own: own.map((o) => o.number) } } }),
          ],
          state,
        };
      }
      return {
        replies: [reply(t.statusAskNumber, { channelData: { status: { number: null, found: null } } })],
        state,
      };
    }
    // 4. Matters the hotline may not accept.
    if (analysis.nonAcceptance) {
      const { reason } = analysis.nonAcceptance;
      return {
        replies: [reply(t.refused[reason], { channelData: { refused: { reason } } })],
        state: { ...state, refused: reason, lastArticleId: undefined, intake: undefined },
      };
    }
    // 5. The case record under way.
    if (state.intake) return intakeTurn(input, state, state.intake, text, t, reply);
    // Thanks and goodbyes, and announcements with nothing in them yet ("我要反映个事").
    if (analysis.closing) {
      return {
        replies: [reply(t.closing, { channelData: { closing: true } })],
        state: { ...state, lastArticleId: undefined, misses: 0, intendedType: undefined },
      };
    }
    // "登记" while waiting for an agent, with no question asked yet: ask what to take down.
    if (analysis.register && !state.lastQuestion && state.handoff) {
      return { replies: [reply(t.askDetails)], state };
    }
    // "登记" after a miss or an unhelpful answer: the question becomes a consultation ticket.
    if (analysis.register && state.lastQuestion) {
      const intake: IntakeState = {
        demandType: 'consultation',
        description: state.lastQuestion.text,
        category: state.lastQuestion.category ?? OTHER_MATTERS,
        slots: {},
        anonymous: false,
      };
      return intakeTurn(input, { ...state, lastQuestion: undefined }, intake, text, t, reply);
    }
    if (analysis.vague || analysis.register) {
      return {
        replies: [reply(t.askDetails, { channelData: { clarify: 'details' } })],
        state: { ...state, intendedType: analysis.cue ?? state.intendedType },
      };
    }
    // 6. The demand type: a case record for anything but a consultation, unless the citizen asked a
    // question the knowledge base answers with confidence ("单位不签劳动合同怎么办" is answered; "我要投诉
    // 公司不签合同" is taken down).
    // An announced type ("我要投诉" before saying what about) holds for this message only.
    const type: Classification =
      !analysis.cue && state.intendedType
        ? { ...analysis.demandType, label: state.intendedType, confidence: 1 }
        : analysis.demandType;
    const explicit = analysis.cue !== undefined || state.intendedType !== undefined;
    delete state.intendedType;
    const answerable = hits[0] !== undefined && hits[0].confidence >= DECISION.answer;
    const isCase = type.label !== 'consultation' && isDemandType(type.label);
    const answerFirst =
      answerable &&
      !explicit &&
      (analysis.advice ||
        (analysis.question && type.confidence < INTAKE_OVER_ANSWER) ||
        type.confidence < DEMAND_TYPE_CONFIDENCE);
    if (isCase && !answerFirst && !(analysis.question && type.confidence < DEMAND_TYPE_CONFIDENCE)) {
      if (type.confidence < DEMAND_TYPE_CONFIDENCE) {
        return { replies: [reply(t.clarifyType, { channelData: { clarify: 'type' } })], state };
      }
      const intake: IntakeState = {
        demandType: type.label as DemandType,
        description: text,
        slots: {},
        anonymous: false,
      };
      const category = analysis.category;
      if (category && category.confidence >= CATEGORY_CONFIDENCE) intake.category = category.label;
      return intakeTurn(input, state, intake, text, t, reply);
    }
  }

  const asked = { text, category: input.analysis?.category?.label };
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
      state: { ...state, misses: 0, lastArticleId: best.articleId, lastTopic: best.question, lastQuestion: asked },
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
      state: { ...state, lastArticleId: undefined, lastQuestion: asked },
    };
  }
  const misses = (input.state.misses ?? 0) + 1;
  return {
    replies: [
      reply(misses >= 2 ? t.noAnswerAgain : t.noAnswer, {
        channelData: { knowledge: { miss: true, best: best ? round(best.confidence) : null } },
      }),
    ],
    state: { ...state, misses, lastArticleId: undefined, lastQuestion: asked },
  };
}

const round = (n: number) => Math.round(n * 1000) / 1000;

function suggestions(values: string[]) {
  return { to: [], actions: values.map((value) => ({ type: 'imBack', title: value, value })) };
}

type Reply = (text: string, extra?: Partial<Activity>) => Omit<Activity, 'conversation'>;

/** The status look-up: asks for what is missing, or reports what the broker found. */
function statusTurn(input: TurnInput, state: ConversationState, t: Messages, reply: Reply): TurnResult | undefined {
  const analysis = input.analysis!;
  const number = analysis.ticketNumber ?? state.statusNumber;
  if (!number) return undefined;
  if (!analysis.ticketNumber && !analysis.extraction.slots.phone) return undefined;
  if (input.statusLookup?.number === number) {
    const ticket = input.statusLookup.ticket;
    const text = ticket
      ? t.statusFound(
          ticket.number,
          t.ticketStatus[ticket.status],
          cityDate(ticket.deadlineAt),
          ticket.department ?? t.pendingDepartment,
        )
      : t.statusNotFound;
    return {
      replies: [reply(text, { channelData: { status: { number, found: ticket !== null } } })],
      state: { ...state, statusNumber: undefined },
    };
  }
  return {
    replies: [reply(t.statusAskPhone, { channelData: { status: { number, found: null } } })],
    state: { ...state, statusNumber: number },
  };
}

/** One turn of the case record: take what was said, then confirm, register, or ask the next thing. */
function intakeTurn(
  input: TurnInput,
  state: ConversationState,
  current: IntakeState,
  text: string,
  t: Messages,
  reply: Reply,
): TurnResult {
  const analysis = input.analysis!;
  const factsOf = (code: string | undefined) => (code ? input.categoryFacts?.(code) : undefined);
  let intake = current;

  // The summary was shown: a yes registers; anything else is a correction.
  if (intake.asked === 'confirm' && YES.test(text) && !analysis.extraction.correction) {
    const facts = factsOf(intake.category);
    return {
      replies: [],
      state: { ...state, intake: undefined },
      register: draftOf(intake, facts, {
        channelId: input.activity.channelId,
        conversationId: input.activity.conversation.id,
      }),
    };
  }
  // A pick among the offered categories. The question is asked once: without a pick, the text's own
  // confident category or else the best guess is taken (an agent can still correct it).
  if (intake.asked === 'category') {
    const picked = intake.offered?.find((c) => text.includes(c.name) || text === c.code);
    const own =
      analysis.category && analysis.category.confidence >= CATEGORY_CONFIDENCE ? analysis.category.label : undefined;
    intake = { ...intake, category: picked?.code ?? own ?? intake.offered?.[0]?.code, offered: undefined };
    if (!picked) intake.description = `${intake.description}；${text}`;
  }
  // The broker analysed the text knowing what was asked: a bare "陈志强" answers "how should we address you".
  const asked = intake.asked === 'category' || intake.asked === 'confirm' ? undefined : intake.asked;
  const extraction = { ...analysis.extraction, slots: { ...analysis.extraction.slots } };
  // Asked for the address, a short answer with nothing else in it is the address as the citizen says it.
  const nothingElse = !extraction.slots.phone && !extraction.slots.name && !extraction.invalidPhone;
  if (
    asked === 'address' &&
    !extraction.slots.address &&
    !extraction.slots.district &&
    nothingElse &&
    text.length <= 40
  ) {
    extraction.slots.address = text;
  }
  intake = applyExtraction(intake, extraction);

  if (extraction.invalidPhone && !extraction.slots.phone) {
    return {
      replies: [reply(t.ask.invalidPhone(extraction.invalidPhone), { channelData: { intake: { asked: 'phone' } } })],
      state: { ...state, intake: { ...intake, asked: 'phone' } },
    };
  }
  const facts = factsOf(intake.category);
  const next = nextQuestion(intake, facts);
  if (next === 'category') {
    const ranked = (analysis.category?.ranked ?? []).slice(0, 3).flatMap((r) => {
      const f = input.categoryFacts?.(r.label);
      return f ? [{ code: r.label, name: f.name }] : [];
    });
    return {
      replies: [
        reply(t.clarifyCategory, {
          suggestedActions: suggestions(ranked.map((r) => r.name)),
          channelData: { intake: { asked: 'category' } },
        }),
      ],
      state: { ...state, intake: { ...intake, asked: 'category', offered: ranked } },
    };
  }
  if (next === 'confirm') {
    const lines = summaryLines(intake, facts, t.summary, t.demandTypes[intake.demandType]).join('\n');
    return {
      replies: [
        reply(t.confirm(lines), {
          suggestedActions: suggestions([t.confirmYes]),
          channelData: { intake: { asked: 'confirm' } },
        }),
      ],
      state: { ...state, intake: { ...intake, asked: 'confirm' } },
    };
  }
  const question =
    next === 'name' && intake.anonymous && !mayBeAnonymous(intake, facts)
      ? t.ask.nameRequired
      : t.ask[next as 'district' | 'address' | 'name' | 'phone'];
  return {
    replies: [reply(question, { channelData: { intake: { asked: next } } })],
    state: { ...state, intake: { ...intake, asked: next } },
  };
}

/** The reply once the broker registered the ticket the turn asked for. */
export function registeredReplies(
  result: TurnResult,
  ticket: Ticket,
  activity: StoredActivity,
  deadlineDays: number,
): TurnResult {
  const locale = result.state.locale ?? 'zh-CN';
  const t = messagesFor(locale);
  const base = {
    type: 'message' as const,
    channelId: activity.channelId,
    from: BOT_ACCOUNT,
    recipient: activity.from,
    locale,
    textFormat: 'plain' as const,
  };
  const replies: Omit<Activity, 'conversation'>[] = [
    {
      ...base,
      text: t.registered(ticket.number, deadlineDays, cityDate(ticket.deadlineAt)),
      channelData: { ticket: { number: ticket.number, deadlineAt: ticket.deadlineAt.toISOString() } },
    },
  ];
  if (ticket.duplicateOf) replies.push({ ...base, text: t.duplicate(ticket.duplicateOf) });
  return { replies, state: result.state };
}

const CITY_DATE = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: 'long',
  day: 'numeric',
});
const cityDate = (d: Date) => CITY_DATE.format(d);

/** 1 satisfied, 2 fairly satisfied, 3 dissatisfied, from a reply to the satisfaction question. */
export function satisfactionScore(text: string): 1 | 2 | 3 | undefined {
  const t = text.trim().toLowerCase();
  if (/^3\b|^3$|不满意|dissatisfied/.test(t)) return 3;
  if (/^2\b|^2$|基本满意|一般|fairly/.test(t)) return 2;
  if (/^1\b|^1$|满意|satisfied/.test(t)) return 1;
  return undefined;
}
