import { randomBytes } from 'node:crypto';
import type { Activity, ActivityPage, ChannelAccount, StoredActivity } from '../core/activity.js';
import { AppError } from '../core/errors.js';
import type { KnowledgeHit } from '../knowledge/search.js';
import type { ActivityBus, ActivityListener } from '../core/activity-bus.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { Job, JobQueue } from '../core/queue/job-queue.js';
import type { AppendResult, ConversationRecord, ConversationStore } from './conversation-store.js';
import { messagesFor, resolveLocale, type Messages } from './messages.js';
import type { DemandType } from '../core/db/schema.js';
import type { TicketStore } from '../tickets/ticket-store.js';
import { categoryFactsOf, type CategoryFacts } from './intake.js';
import type { LlmAssistant } from './llm.js';
import type { Analysis, Nlu } from './nlu/nlu.js';
import {
  BOT_ACCOUNT,
  registeredReplies,
  SHORT_FORM_CHANNELS,
  runTurn,
  type ConversationState,
  type KnowledgeLookup,
  type TurnInput,
  type TurnResult,
} from './turn.js';

export const TURN_QUEUE = 'assistant-turn';

/** How long an API instance waits for the queue to take a stored message's turn before acknowledging anyway. */
const QUEUE_ACK_WAIT_MS = 2000;

export interface TurnJobData {
  conversationId: string;
  /** The message that prompted the job (its dedupe key); absent when a run hands its backlog on. */
  activityId?: string;
}

export interface BrokerOptions {
  store: ConversationStore;
  queue: JobQueue;
  bus: ActivityBus;
  knowledge: KnowledgeLookup;
  logger: Logger;
  metrics: Metrics;
  /** Language understanding and tickets: without them the assistant only answers from the knowledge base. */
  intake?: {
    nlu: Nlu;
    tickets: TicketStore;
    /** Working days to the deadline by demand type (told to the citizen). */
    deadlineDays: Record<DemandType, number>;
  };
  /** The optional language model: case details the rules missed, and answers rephrased (checked). */
  llm?: LlmAssistant;
  /**
   * Push channels' delivery (channels/delivery.ts): told about every committed reply, queues a send for
   * those stored as pending. Its recovery sweep catches replies whose notice was lost.
   */
  delivery?: { enqueue(activities: StoredActivity[]): Promise<void> };
  /**
   * Run the turn in this process right after the message is stored and acknowledged, instead of queueing
   * it. The stored, unanswered row is the durable record: if this process dies mid-turn, the recovery
   * sweep (`recoverUnanswered`, on every worker) queues it. Off for API-only instances, whose turns are
   * all queued for workers.
   */
  inlineTurns: boolean;
  /**
   * Told when a turn asks for a person and when a ticket is registered (handoff/ queues the conversation
   * for agents). Idempotent on their side; a lost call is caught by the handoff service's sweep.
   */
  handoffs?: HandoffHooks;
}

export interface HandoffHooks {
  requested(conversationId: string): Promise<void>;
  ticketRegistered(conversationId: string, ticketNumber: string): Promise<void>;
}

export interface ReceiveOptions {
  /** The channel's own message id; a second message with the same id is a retry and is not stored again. */
  channelMessageId: string | null;
}

/** A citizen's messages on an address-based channel this close together continue one conversation. */
export const CITIZEN_IDLE_MS = 24 * 60 * 60 * 1000;

/** An unanswered message this old is assumed orphaned (its process died) and queued again. */
export const RECOVERY_AGE_MS = 5_000;

/** Longest question text sent to the knowledge search. */
const MAX_QUERY_CHARS = 500;

/** Most turns one conversation runs back to back before yielding (a flood guard, not a limit on citizens). */
const MAX_TURNS_PER_RUN = 50;

/**
 * The conversation broker: the one entry point for every channel. It stores what arrives before the
 * channel acknowledges it, runs assistant turns through the queue, and stores and announces replies.
 * It never sees a wire format.
 */
export class ConversationBroker {
  private readonly running = new Map<string, Promise<void>>();

  private readonly categoryFacts?: (code: string) => CategoryFacts | undefined;

  constructor(private readonly options: BrokerOptions) {
    this.categoryFacts = options.intake && categoryFactsOf(options.intake.nlu.taxonomy);
  }

  async startConversation(input: {
    channelId: string;
    user: { id: string; name?: string };
    locale?: string;
    /** Off for channels where the citizen writes first and a greeting would cost a message (SMS). */
    welcome?: boolean;
    /** The channel's own greeting instead of the default one (a phone call is greeted differently). */
    welcomeText?: string;
  }): Promise<ConversationRecord> {
    const locale = resolveLocale(input.locale);
    const id = newConversationId();
    const conversation = await this.options.store.createConversation(
      { id, channelId: input.channelId, user: input.user, bot: { id: BOT_ACCOUNT.id, name: BOT_ACCOUNT.name }, locale },
      input.welcome === false
        ? undefined
        : {
            type: 'message',
            channelId: input.channelId,
            from: BOT_ACCOUNT,
            recipient: { id: input.user.id, name: input.user.name ?? '', role: 'user' },
            locale,
            textFormat: 'plain',
            text: input.welcomeText ?? messagesFor(locale).welcome,
          },
    );
    this.options.logger.info({ conversationId: id, channel: input.channelId }, 'conversation started');
    return conversation;
  }

  /**
   * A message from a channel that knows citizens by an address (an SMS number, a WeChat openid, a
   * Wechaty contact): it joins their latest conversation on that channel if it was active within
   * CITIZEN_IDLE_MS, else a new one (no greeting), and is stored like any inbound (`receive`).
   */
  async receiveFromCitizen(input: {
    channelId: string;
    user: { id: string; name?: string };
    activity: Omit<Activity, 'conversation' | 'from' | 'channelId'>;
    channelMessageId: string;
  }): Promise<AppendResult & { conversationId: string }> {
    const { channelId, user } = input;
    const conversation =
      (await this.options.store.recentConversationOf(channelId, user.id, CITIZEN_IDLE_MS)) ??
      (await this.startConversation({ channelId, user, locale: input.activity.locale, welcome: false }));
    const result = await this.receive(
      {
        ...input.activity,
        channelId,
        conversation: { id: conversation.id },
        from: { id: user.id, name: user.name ?? '', role: 'user' },
      },
      { channelMessageId: input.channelMessageId },
    );
    return { ...result, conversationId: conversation.id };
  }

  getConversation(id: string): Promise<ConversationRecord | undefined> {
    return this.options.store.getConversation(id);
  }

  activitiesAfter(conversationId: string, watermark: number, limit?: number): Promise<ActivityPage> {
    return this.options.store.activitiesAfter(conversationId, watermark, limit);
  }

  subscribe(conversationId: string, listener: ActivityListener): () => void {
    return this.options.bus.subscribe(conversationId, listener);
  }

  /**
   * Persists an inbound activity and queues its turn. When this resolves the message is durable and the
   * channel may acknowledge it; a retry of the same channel message returns the stored one.
   */
  async receive(activity: Activity, { channelMessageId }: ReceiveOptions): Promise<AppendResult> {
    const { store, queue, metrics, logger } = this.options;
    const result = await store.appendInbound(activity, channelMessageId);
    const conversationId = activity.conversation.id;
    const log = logger.child({ conversationId, channel: activity.channelId, activityId: result.activity.id });
    if (result.duplicate) {
      metrics.duplicateActivities.inc({ channel: activity.channelId });
      log.info('duplicate inbound activity ignored');
    } else {
      metrics.activitiesReceived.inc({ channel: activity.channelId });
      await this.announce(conversationId, [result.activity]);
    }
    const job = { conversationId, activityId: result.activity.id };
    if (!this.options.inlineTurns) {
      // Queued even for a retry: if the first attempt stored the message but failed before queueing,
      // this is what gets it answered. The dedupe key makes a second job for the same activity a no-op.
      // The message is stored, so a queue that fails or stalls (Redis restarting) delays its answer, not
      // its acknowledgement: the workers' recovery sweep queues every stored message left unanswered.
      const queued = queue.send<TurnJobData>(TURN_QUEUE, job, { dedupeKey: job.activityId });
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<'stalled'>((resolve) => {
        timer = setTimeout(() => resolve('stalled'), QUEUE_ACK_WAIT_MS);
      });
      const outcome = await Promise.race([queued, stalled]).catch((error: unknown) => {
        log.warn({ err: error }, 'could not queue the turn; the recovery sweep will');
      });
      clearTimeout(timer);
      if (outcome === 'stalled') {
        log.warn('the queue is slow to take the turn; acknowledged, and the recovery sweep will queue it');
        queued.catch(() => undefined);
      }
    } else {
      setImmediate(() => {
        this.processConversation(conversationId).catch(async (error: unknown) => {
          log.warn({ err: error }, 'inline turn failed; queueing it for retries');
          await queue.send<TurnJobData>(TURN_QUEUE, job, { dedupeKey: job.activityId }).catch((sendError: unknown) => {
            log.error({ err: sendError }, 'could not queue the turn; the recovery sweep will');
          });
        });
      });
    }
    return result;
  }

  /**
   * Stores and sends an activity that is no turn's reply: a human's message (an agent, department staff)
   * or the bot's notice of a change ("坐席已接入"). It goes out on the citizen's channel like a reply.
   */
  async post(
    conversationId: string,
    content: { from: ChannelAccount; text: string; channelData?: Record<string, unknown>; type?: string },
    /** The conversation, when the caller has read it already. */
    known?: ConversationRecord,
  ): Promise<StoredActivity> {
    const { store } = this.options;
    const [conversation, citizen] = await Promise.all([
      known ?? store.getConversation(conversationId),
      store.citizenOf(conversationId),
    ]);
    if (!conversation || !citizen) throw new AppError('E_NOT_FOUND', `Conversation ${conversationId} does not exist.`);
    const stored = await store.appendOutbound(conversationId, {
      type: content.type ?? 'message',
      channelId: conversation.channelId,
      from: content.from,
      recipient: { id: citizen.id, name: citizen.name, role: 'user' },
      locale: conversation.locale ?? undefined,
      textFormat: 'plain',
      text: content.text,
      channelData: content.channelData,
    });
    await this.announce(conversationId, [stored]);
    await this.options.delivery?.enqueue([stored]).catch((error: unknown) => {
      this.options.logger.warn({ err: error, conversationId }, 'could not queue the delivery; the sweep will');
    });
    return stored;
  }

  /** The bot's notice in the conversation's language (`text` picks it from the citizen-facing messages). */
  async notify(
    conversationId: string,
    text: (messages: Messages) => string,
    channelData?: Record<string, unknown>,
  ): Promise<StoredActivity> {
    const [state, conversation] = await Promise.all([
      this.options.store.stateOf(conversationId),
      this.options.store.getConversation(conversationId),
    ]);
    const locale = state?.locale ?? resolveLocale(conversation?.locale);
    return this.post(conversationId, { from: BOT_ACCOUNT, text: text(messagesFor(locale)), channelData }, conversation);
  }

  /** Hands the conversation to a human (`agent`) or back to the bot, changing the assistant's state with it. */
  setMode(
    conversationId: string,
    mode: 'bot' | 'agent',
    state?: Partial<Record<keyof ConversationState, unknown>>,
  ): Promise<void> {
    return this.options.store.setMode(conversationId, mode, state);
  }

  stateOf(conversationId: string): Promise<ConversationState | undefined> {
    return this.options.store.stateOf(conversationId);
  }

  citizenOf(conversationId: string): Promise<{ id: string; name: string } | undefined> {
    return this.options.store.citizenOf(conversationId);
  }

  /** Someone is typing in the conversation: told to whoever follows it, not stored. */
  async typing(conversationId: string, from: ChannelAccount): Promise<void> {
    await this.options.bus.publishEvent(typingTopic(conversationId), from).catch(() => undefined);
  }

  subscribeTyping(conversationId: string, listener: (from: ChannelAccount) => void): () => void {
    return this.options.bus.subscribeEvent(typingTopic(conversationId), listener as (payload: unknown) => void);
  }

  /** Queue handler for `TURN_QUEUE`. */
  async handleTurnJob(job: Job<TurnJobData>): Promise<void> {
    await this.processConversation(job.data.conversationId);
  }

  /** Registers the turn worker on the queue. */
  async startWorker(concurrency: number): Promise<void> {
    const { queue, metrics } = this.options;
    await queue.work<TurnJobData>(
      TURN_QUEUE,
      async (job) => {
        try {
          await this.handleTurnJob(job);
          metrics.jobsProcessed.inc({ queue: TURN_QUEUE, outcome: 'completed' });
        } catch (error) {
          metrics.jobsProcessed.inc({
            queue: TURN_QUEUE,
            outcome: job.attempt < job.maxAttempts ? 'retried' : 'failed',
          });
          throw error;
        }
      },
      { concurrency },
    );
  }

  /**
   * Queues turns for inbound activities that were stored but never answered (a process died between
   * acknowledging and answering, or the queue lost the job). Safe to run at any time on any instance.
   */
  async recoverUnanswered(olderThanMs = RECOVERY_AGE_MS): Promise<number> {
    const pending = await this.options.store.conversationsWithUnansweredInbound(olderThanMs);
    for (const { conversationId, activityId } of pending) {
      await this.options.queue.send<TurnJobData>(TURN_QUEUE, { conversationId, activityId }, { dedupeKey: activityId });
    }
    if (pending.length) {
      this.options.metrics.turnsRecovered.inc(pending.length);
      this.options.logger.warn({ count: pending.length }, 're-queued unanswered inbound activities');
    }
    return pending.length;
  }

  /**
   * Answers every pending inbound activity of a conversation, oldest first. Runs for one conversation
   * at a time in this process; across processes the optimistic commit keeps turns from doubling.
   */
  processConversation(conversationId: string): Promise<void> {
    const previous = this.running.get(conversationId) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(() => this.answerPending(conversationId));
    this.running.set(conversationId, next);
    void next
      .finally(() => {
        if (this.running.get(conversationId) === next) this.running.delete(conversationId);
      })
      .catch(() => {});
    return next;
  }

  /**
   * Tells streams about stored activities. Best effort: the store is the truth, and a stream that
   * missed a signal catches up on its next read or reconnect, so a bus outage never fails a request.
   */
  private async announce(conversationId: string, activities: StoredActivity[]): Promise<void> {
    try {
      await this.options.bus.publish(conversationId, activities);
    } catch (error) {
      this.options.logger.warn(
        { err: error, conversationId },
        'could not announce new activities; streams catch up on their next read',
      );
    }
  }

  /** Knowledge answers rephrased by the model where its version is grounded in the article. */
  private async rephrased(result: TurnResult, input: TurnInput, question: string): Promise<TurnResult> {
    const replies = await Promise.all(
      result.replies.map(async (reply) => {
        const articleId = (reply.channelData as { knowledge?: { articleId?: string } } | undefined)?.knowledge
          ?.articleId;
        const hit = articleId ? input.hits.find((h) => h.articleId === articleId) : undefined;
        if (!hit || !reply.text) return reply;
        const short = SHORT_FORM_CHANNELS.has(reply.channelId);
        const phrased = await this.options.llm!.phrase(question, hit, short);
        if (!phrased) return reply;
        const approved = short ? hit.answerShort : hit.answerFull;
        const channelData = reply.channelData as { knowledge: Record<string, unknown> };
        return {
          ...reply,
          text: reply.text.replace(approved, phrased),
          channelData: { ...channelData, knowledge: { ...channelData.knowledge, phrased: true } },
        };
      }),
    );
    return { ...result, replies };
  }

  /** Waits for the turns this process is running (graceful shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running.values()]);
  }

  private async answerPending(conversationId: string): Promise<void> {
    const { store, knowledge, metrics, logger } = this.options;
    for (let i = 0; i < MAX_TURNS_PER_RUN; i++) {
      const snapshot = await store.loadTurnSnapshot(conversationId);
      const inbound = snapshot?.pending[0];
      if (!snapshot || !inbound) return;
      const started = performance.now();
      // While an agent owns the conversation the bot stays silent; the message is only marked handled.
      let result: TurnResult = { replies: [], state: snapshot.state };
      let registered: string | undefined;
      if (snapshot.conversation.mode === 'bot') {
        // The turn's I/O (analysis, search, status look-up) is done here, outside any transaction, so
        // the turn itself stays pure.
        const text = inbound.type === 'message' ? (inbound.text ?? '').trim() : '';
        const input: TurnInput = {
          activity: inbound,
          state: snapshot.state,
          conversationLocale: snapshot.conversation.locale,
          hits: [],
        };
        const intake = this.options.intake;
        if (text && intake) {
          input.analysis = intake.nlu.analyze(text.slice(0, MAX_QUERY_CHARS), expecting(snapshot.state));
          input.categoryFacts = this.categoryFacts;
          const number = input.analysis.ticketNumber ?? snapshot.state.statusNumber;
          const phone = input.analysis.extraction.slots.phone;
          if (number && phone) {
            input.statusLookup = { number, ticket: (await intake.tickets.lookup(number, phone)) ?? null };
          }
          if (input.analysis.statusQuery && !number) {
            input.ownTickets = await intake.tickets.openTicketsOf({
              userId: inbound.from.id,
              verifiedPhone: verifiedPhone(inbound),
            });
          }
        }
        const query = knowledgeQuery(snapshot.state, text, input.analysis);
        if (query) input.hits = await knowledge.search(query);
        if (this.options.llm && input.analysis && takesCaseDetails(snapshot.state, input.analysis)) {
          const found = await this.options.llm.extractSlots(text.slice(0, MAX_QUERY_CHARS));
          // The rules' reading wins; the model only fills what they missed.
          input.analysis.extraction.slots = { ...found, ...input.analysis.extraction.slots };
        }
        result = runTurn(input);
        if (input.hits.length > 0) result.state = { ...result.state, seenHits: input.hits.slice(0, 5).map(seenHit) };
        if (this.options.llm) result = await this.rephrased(result, input, text);
        if (result.register && intake) {
          // Idempotent on the message: a turn run again after a crash reports the same ticket.
          const ticket = await intake.tickets.register(result.register, {
            sourceActivityId: inbound.id,
            actor: BOT_ACCOUNT.id,
          });
          result = registeredReplies(result, ticket, inbound, intake.deadlineDays[ticket.demandType]);
          registered = ticket.number;
          logger.info({ conversationId, ticket: ticket.number, demandType: ticket.demandType }, 'ticket registered');
        }
      }
      const commit = await store.commitTurn({
        inbound,
        expectedStateVersion: snapshot.stateVersion,
        state: result.state,
        replies: result.replies,
      });
      metrics.turnDuration.observe(
        { outcome: commit.committed ? 'committed' : 'stale' },
        (performance.now() - started) / 1000,
      );
      if (commit.committed) {
        logger.debug({ conversationId, activityId: inbound.id, replies: commit.replies.length }, 'turn committed');
        await this.announce(conversationId, commit.replies);
        await this.options.delivery?.enqueue(commit.replies).catch((error: unknown) => {
          logger.warn({ err: error, conversationId }, 'could not queue the delivery; the sweep will');
        });
        const handoffs = this.options.handoffs;
        if (handoffs && result.state.handoff && !snapshot.state.handoff) {
          await handoffs.requested(conversationId).catch((error: unknown) => {
            logger.warn({ err: error, conversationId }, 'could not queue the handoff; the handoff sweep will');
          });
        }
        if (handoffs && registered && snapshot.state.handoff) {
          await handoffs.ticketRegistered(conversationId, registered).catch((error: unknown) => {
            logger.warn({ err: error, conversationId }, 'could not tell the handoff about the ticket');
          });
        }
        // A message that arrives from now on starts its own run (chained after this one), so the last
        // pending message needs no second look.
        if (snapshot.pending.length === 1) return;
      }
    }
    logger.warn({ conversationId }, 'conversation has more pending activities than one run answers; continuing later');
    await this.options.queue.send<TurnJobData>(TURN_QUEUE, { conversationId });
  }
}

/**
 * The phone number the channel itself vouches for: an SMS's sender (the carrier delivered it from that
 * number). A number typed into a chat proves nothing and is not one.
 */
function verifiedPhone(activity: StoredActivity): string | undefined {
  return activity.channelId === 'sms' && activity.from.id.startsWith('sms:') ? activity.from.id.slice(4) : undefined;
}

/** What the last reply asked for, so a bare answer ("陈志强", "13912345678") is read as that. */
export function expecting(state: ConversationState) {
  const asked = state.intake?.asked;
  return asked === 'category' || asked === 'confirm' ? undefined : asked;
}

/** The model is asked for case details only while a case record is, or is about to be, taken down. */
function takesCaseDetails(state: ConversationState, analysis: Analysis): boolean {
  if (analysis.emergency || analysis.wantsHuman || analysis.nonAcceptance) return false;
  return state.intake !== undefined || (analysis.demandType.label !== 'consultation' && !analysis.question);
}

/** Words that make a short question a follow-up on the last answer ("那需要带什么材料"). */
const FOLLOW_UP =
  /^(那|那么|还|这个|这|它|如果|要是)|(材料|多少钱|多久|几天|在哪|哪里|怎么办|要带|需要带|费用|流程|时间)/;

/**
 * What the turn searches the knowledge base for, or nothing: not while a case record is being taken
 * down, and not in an emergency. A short follow-up is searched together with the question last answered.
 */
export function knowledgeQuery(state: ConversationState, text: string, analysis?: Analysis): string | undefined {
  if (!text || state.intake || analysis?.emergency) return undefined;
  const query = state.lastTopic && [...text].length <= 20 && FOLLOW_UP.test(text) ? `${state.lastTopic} ${text}` : text;
  return query.slice(0, MAX_QUERY_CHARS);
}

const typingTopic = (conversationId: string) => `typing:${conversationId}`;

const seenHit = (hit: KnowledgeHit) => ({
  articleId: hit.articleId,
  title: hit.title,
  question: hit.question,
  score: hit.score,
  confidence: hit.confidence,
});

/** 22 url-safe characters: unguessable, and safe in a URL path. */
const newConversationId = () => randomBytes(16).toString('base64url');
