/**
 * Plays one scenario through its channel: the citizen reacts to what the assistant actually answers (an
 * answer, likely questions to pick from, a miss, a case-record question, a handoff), so the traffic follows
 * the gateway's real behaviour rather than a fixed script.
 */
import type { Kysely } from 'kysely';
import { isQuestion } from '../../assistant/nlu/intents.js';
import type { Database } from '../../core/db/schema.js';
import type { Seen } from './channels.js';
import { SmsCitizen, WebChatCitizen, WechatCitizen, type ChannelCitizen, type ChannelContext } from './channels.js';
import { Diverted, emergencyPlan, Flow, type CaseFacts, type ConversationRecord } from './flow.js';
import type { HandoffDirector, HandoffPlan } from './handoff-plans.js';
import { newPersona, type District, type Persona } from './personas.js';
import { Random } from './random.js';
import type { ScenarioSpec } from './scenarios.js';
import { CitizenSession, replies } from './session.js';
import {
  AFTER_TRANSFER,
  CASES,
  CONSULT_PREFIXES,
  EMERGENCIES,
  FOLLOW_UPS,
  GREETINGS,
  HANDOFF_TOPICS,
  HOTSPOT,
  HOTSPOT_DISTRICT,
  HUMAN_REQUESTS,
  QUESTION_AGENT,
  RECURRING,
  RECURRING_DISTRICT,
  REFUSALS,
  STATUS_OPENINGS,
  TRANSFER_LINE,
  UNANSWERED,
  type CaseTemplate,
} from './texts.js';

/** A published article's phrasings, as the demo knowledge base has them. */
export interface KbArticle {
  id: string;
  question: string;
  variants: string[];
}

export interface PlayContext {
  channels: ChannelContext;
  db: Kysely<Database>;
  director: HandoffDirector;
  articles: KbArticle[];
  /** Tickets registered so far in this run, for status queries. */
  tickets: { number: string; phone: string }[];
  /** Waits until every agent has declined the conversation's handoff (it waits, unattended). */
  unattended(conversationId: string): Promise<void>;
  /** A supervisor closes the conversation's waiting handoff: the citizen went away. */
  abandoned(conversationId: string): Promise<void>;
}

export interface PlayedConversation extends ConversationRecord {
  spec: ScenarioSpec;
  conversationId?: string;
  /** How long it took to play. */
  ms: number;
  error?: string;
}

function citizenOn(spec: ScenarioSpec, context: ChannelContext, persona: Persona, random: Random): ChannelCitizen {
  if (spec.channel === 'sms') return new SmsCitizen(context, persona.phone);
  if (spec.channel === 'wechat') return new WechatCitizen(context, persona.openId);
  return new WebChatCitizen(context, { id: `dl_demo_${random.int(1e8, 9e8).toString(36)}`, name: '' });
}

export async function playScenario(spec: ScenarioSpec, ctx: PlayContext): Promise<PlayedConversation> {
  const random = new Random(spec.seed);
  const district: District | undefined =
    spec.kind === 'recurring' ? RECURRING_DISTRICT : spec.kind === 'hotspot' ? HOTSPOT_DISTRICT : undefined;
  const persona = newPersona(random, district);
  const client = citizenOn(spec, ctx.channels, persona, random);
  const session = new CitizenSession(client, ctx.db, random);
  const flow = new Flow(session, persona, random, ctx.director);
  const started = Date.now();
  const played = (error?: string): PlayedConversation => ({
    spec,
    conversationId: session.conversationId,
    ...flow.record,
    ms: Date.now() - started,
    error,
  });
  try {
    await session.open();
    if (client instanceof WechatCitizen && random.chance(0.3)) await client.subscribe();
    try {
      await SCENARIOS[spec.kind](flow, spec, ctx);
    } catch (error) {
      if (!(error instanceof Diverted)) throw error;
      await flow.withAgents(error.plan);
      flow.record.handoff = 'emergency';
    }
    for (const number of flow.record.tickets) ctx.tickets.push({ number, phone: persona.phone });
    return played();
  } catch (error) {
    return played((error as Error).message);
  }
}

type Play = (flow: Flow, spec: ScenarioSpec, ctx: PlayContext) => Promise<void>;

const SCENARIOS: Record<ScenarioSpec['kind'], Play> = {
  consult,
  unanswered,
  case: (flow) => reportCase(flow, flow.random.pick(CASES)),
  recurring: (flow) => reportCase(flow, RECURRING),
  hotspot: (flow) => reportCase(flow, HOTSPOT),
  handoff,
  status,
  emergency,
  refused: async (flow) => {
    await flow.turn(flow.random.pick(REFUSALS));
    await flow.maybeThanks(0.4);
  },
};

/** A question the knowledge base answers, in the words of one of the article's phrasings. */
function phrase(random: Random, article: KbArticle): string {
  const questions = article.variants.filter((v) => isQuestion(v));
  const base = random.chance(0.5) || questions.length === 0 ? article.question : random.pick(questions);
  const prefix = random.pick(CONSULT_PREFIXES);
  const trimmed = random.chance(0.4) ? base.replace(/[？?]$/, '') : base;
  return prefix + trimmed;
}

async function consult(flow: Flow, _spec: ScenarioSpec, ctx: PlayContext): Promise<void> {
  const { random } = flow;
  const article = random.pick(ctx.articles);
  if (random.chance(0.1)) await flow.turn(random.pick(GREETINGS));
  const question = phrase(random, article);
  let r = await flow.turn(question);
  let followedUp = false;
  for (let step = 0; step < 4; step++) {
    if (replies.answered(r)) {
      if (!followedUp && random.chance(0.25)) {
        followedUp = true;
        r = await flow.turn(random.pick(FOLLOW_UPS));
        continue;
      }
      const helped = random.chance(0.78);
      const after = await flow.helpful(r, helped);
      // Should the assistant take the button for a new matter (it asks a case-record question), the
      // citizen, whose question was answered, just leaves.
      if (replies.asked(after)) return;
      if (helped) return flow.maybeThanks();
      return afterNoHelp(flow, question, 0.4, 0.25);
    }
    if (replies.candidates(r).length > 0) {
      r = await flow.turn(random.chance(0.75) ? replies.candidates(r)[0]! : article.question);
    } else if (replies.asked(r)) {
      // A phrasing that reads as a problem: the assistant takes it down, and the citizen goes along.
      await flow.intake(r, { persona: flow.persona });
      return;
    } else if (replies.missed(r) && step === 0) {
      r = await flow.turn(article.question);
    } else if (replies.clarify(r) === 'type') {
      r = await flow.turn(`我是想咨询一下，${article.question}`);
    } else return;
  }
}

/**
 * After "没有解决" or a second miss: leave, leave a ticket (登记), or ask a person about the same question.
 */
async function afterNoHelp(flow: Flow, question: string, register: number, human: number): Promise<void> {
  const draw = flow.random.next();
  if (draw < register) {
    const r = await flow.turn('登记');
    await flow.intake(r, { persona: flow.persona });
  } else if (draw < register + human) {
    const plan: HandoffPlan = {
      kind: 'serve',
      stage: 0,
      stages: [{ rounds: 2, end: 'hand-back', agentLines: QUESTION_AGENT }],
      citizenLines: [
        `我想问的是：${question.replace(/^(请问|你好，|您好，请问|想咨询一下，|问一下，)/, '')}`,
        '好的，麻烦了',
      ],
      satisfaction: Number(flow.random.weighted({ 1: 5, 2: 3, 3: 2 })) as 1 | 2 | 3,
    };
    await flow.requestHuman(flow.random.pick(HUMAN_REQUESTS), plan);
    await flow.withAgents(plan);
    flow.record.handoff = 'served';
  }
}

async function unanswered(flow: Flow): Promise<void> {
  const { random } = flow;
  const weights = Object.fromEntries(UNANSWERED.map((q) => [q.text, q.weight]));
  const question = random.weighted(weights);
  // Repeats differ only in punctuation, so the dashboard counts them as one question.
  const ask = (text: string) => flow.turn(text + random.pick(['', '', '？', '?', '。']));
  let r = await ask(question);
  if (replies.answered(r)) {
    // A confident answer to another question: 没有解决.
    if (replies.asked(await flow.helpful(r, false))) return;
    return afterNoHelp(flow, question, 0.35, 0.1);
  }
  if (replies.candidates(r).length > 0 || replies.missed(r)) {
    if (random.chance(0.4)) return;
    r = random.chance(0.5) ? await flow.turn('都不是我想问的') : await ask(question);
    if (replies.answered(r) && replies.asked(await flow.helpful(r, false))) return;
    if (replies.asked(r)) return;
    return afterNoHelp(flow, question, 0.35, 0.2);
  }
}

async function reportCase(flow: Flow, template: CaseTemplate): Promise<void> {
  const { random, persona } = flow;
  const text = random.pick(template.texts)(persona, random);
  const facts: CaseFacts = {
    persona,
    category: template.category,
    anonymous: template.anonymous && random.chance(0.5),
    wrongPhoneFirst: random.chance(0.08),
    correctsAddress: random.chance(0.08),
  };
  const insist =
    template.cue === '举报' ? `我要举报，${text}` : template.cue === '表扬' ? `我要表扬，${text}` : `我要投诉，${text}`;
  let r = await flow.turn(text);
  for (let step = 0; step < 3; step++) {
    if (replies.asked(r) || replies.ticket(r)) {
      if (await flow.intake(r, facts)) await flow.maybeThanks(0.4);
      return;
    }
    if (replies.answered(r)) {
      // Answered with advice where the citizen wanted someone to act: "没有解决", then insists.
      await flow.helpful(r, false);
      r = await flow.turn(insist);
    } else if (replies.clarify(r) === 'details') {
      r = await flow.turn(text);
    } else {
      r = await flow.turn(insist);
    }
  }
}

type Topic = (typeof HANDOFF_TOPICS)[number];

function servePlan(
  random: Random,
  variant: 'hand-back' | 'transfer' | 'agent-ticket',
  topic: Topic = random.pick(HANDOFF_TOPICS),
  persona?: Persona,
): HandoffPlan {
  const satisfaction = random.weighted({ 1: 6, 2: 3, 3: 1 });
  const last = { rounds: 2, agentLines: topic.agent };
  if (variant === 'transfer') {
    return {
      kind: 'serve',
      stage: 0,
      stages: [
        { rounds: 1, end: 'transfer', agentLines: [TRANSFER_LINE] },
        { ...last, end: random.chance(0.7) ? 'hand-back' : 'close' },
      ],
      citizenLines: [topic.lines[0]!, AFTER_TRANSFER, topic.lines[1]!],
      satisfaction: Number(satisfaction) as 1 | 2 | 3,
    };
  }
  return {
    kind: 'serve',
    stage: 0,
    stages: [{ ...last, end: variant === 'agent-ticket' ? 'ticket' : 'hand-back' }],
    citizenLines: topic.lines,
    satisfaction: Number(satisfaction) as 1 | 2 | 3,
    ticket: persona && {
      demandType: 'help',
      categoryCode: topic.category,
      description: topic.lines.join('；'),
      name: persona.fullName,
      phone: persona.phone,
      district: persona.district,
      address: null,
    },
  };
}

/** The opening message of a handoff scenario and what follows from it. */
async function handoff(flow: Flow, spec: ScenarioSpec, ctx: PlayContext): Promise<void> {
  const { random, persona } = flow;
  const variant = spec.handoff ?? 'hand-back';
  if (variant === 'abandon-register' || variant === 'abandon-leave') {
    const template = random.pick(CASES);
    const text = random.pick(template.texts)(persona, random);
    await flow.turn(variant === 'abandon-register' ? text : random.pick(HANDOFF_TOPICS).opening);
    const plan: HandoffPlan = { kind: variant, stage: 0, stages: [], citizenLines: [] };
    await flow.requestHuman(random.pick(HUMAN_REQUESTS), plan);
    const conversationId = flow.session.conversationId!;
    await ctx.unattended(conversationId);
    if (variant === 'abandon-leave') {
      flow.record.handoff = 'left';
      return ctx.abandoned(conversationId);
    }
    flow.record.handoff = 'abandoned';
    let r = await flow.turn('登记');
    if (!replies.asked(r)) r = await flow.turn(text);
    await flow.intake(r, { persona, category: template.category });
    return;
  }
  const topic = random.pick(HANDOFF_TOPICS);
  const plan = servePlan(random, variant, topic, persona);
  await flow.turn(topic.opening);
  await flow.requestHuman(random.pick(HUMAN_REQUESTS), plan);
  await flow.withAgents(plan);
  flow.record.handoff = variant === 'transfer' ? 'transferred' : variant === 'agent-ticket' ? 'agent-ticket' : 'served';
}

async function emergency(flow: Flow): Promise<void> {
  const plan = emergencyPlan();
  const r: Seen[] = await flow.requestHuman(flow.random.pick(EMERGENCIES), plan);
  flow.record.emergency = replies.emergency(r);
  if (!flow.record.emergency) return;
  await flow.withAgents(plan);
  flow.record.handoff = 'emergency';
}

async function status(flow: Flow, _spec: ScenarioSpec, ctx: PlayContext): Promise<void> {
  const { random } = flow;
  const earlier = ctx.tickets.length > 0 ? random.pick(ctx.tickets) : undefined;
  if (!earlier) {
    await flow.turn(random.pick(STATUS_OPENINGS));
    return;
  }
  flow.record.refersTo = earlier.number;
  if (random.chance(0.5)) {
    const r = await flow.turn(random.pick(STATUS_OPENINGS));
    if (replies.status(r)?.found === null) await flow.turn(`工单号${earlier.number}，电话${earlier.phone}`);
  } else {
    const r = await flow.turn(`帮我查一下工单${earlier.number}的进度`);
    if (replies.status(r)?.found === null) await flow.turn(earlier.phone);
  }
  await flow.maybeThanks(0.3);
}
