/**
 * A demo citizen's moves that several scenarios share: filling in the case record the assistant asks for
 * (one slot at a time, read from the replies' `channelData.intake.asked`), answering "did this help?", and
 * talking with agents through a handoff as its plan says.
 */
import type { Seen } from './channels.js';
import type { HandoffDirector, HandoffPlan } from './handoff-plans.js';
import { addressAnswer, districtAnswer, nameAnswer, phoneAnswer, type Persona } from './personas.js';
import type { Random } from './random.js';
import { replies, type CitizenSession } from './session.js';
import { CONFIRMS, EMERGENCY_DIALOG, GENERIC_CITIZEN, SATISFACTION_WORDS, THANKS } from './texts.js';

/** What the citizen knows about the matter they report. */
export interface CaseFacts {
  persona: Persona;
  /** The category's name, picked when the assistant offers categories. */
  category?: string;
  /** Would rather stay anonymous (reports may). */
  anonymous?: boolean;
  /** Types a wrong phone number first. */
  wrongPhoneFirst?: boolean;
  /** Corrects the address at the summary. */
  correctsAddress?: boolean;
}

/** What happened in one conversation, for the summary and the time spread. */
export interface ConversationRecord {
  tickets: string[];
  handoff?: 'served' | 'transferred' | 'agent-ticket' | 'abandoned' | 'left' | 'emergency';
  emergency: boolean;
  satisfaction?: 1 | 2 | 3;
  /** A ticket of an earlier conversation this one asks about (it must come later in time). */
  refersTo?: string;
}

const TICKET_IN_TEXT = /12345-\d{8}-\d{6}/;

/**
 * The assistant took a message for an emergency where the scenario did not expect one (a false alarm, or
 * wording that does sound urgent): the scenario stops, and the citizen talks with the agent it brings.
 */
export class Diverted extends Error {
  constructor(readonly plan: HandoffPlan) {
    super('diverted as an emergency');
  }
}

/** How a citizen and an agent go through an emergency handoff. */
export function emergencyPlan(): HandoffPlan {
  return {
    kind: 'serve',
    stage: 0,
    stages: [{ rounds: 2, end: 'close', agentLines: EMERGENCY_DIALOG.agent }],
    citizenLines: EMERGENCY_DIALOG.citizen,
    disposition: 'resolved',
  };
}

export class Flow {
  readonly record: ConversationRecord = { tickets: [], emergency: false };

  constructor(
    readonly session: CitizenSession,
    readonly persona: Persona,
    readonly random: Random,
    private readonly director: HandoffDirector,
  ) {}

  /** Sends a message and returns the assistant's replies; an unexpected emergency diverts the scenario. */
  async turn(text: string, onSent?: (conversationId: string) => void): Promise<Seen[]> {
    const replies = await this.session.turn(text, onSent);
    if (!onSent && !this.record.emergency && replies.some((m) => m.channelData.emergency)) {
      this.record.emergency = true;
      const plan = emergencyPlan();
      this.director.register(this.session.conversationId!, plan);
      throw new Diverted(plan);
    }
    return replies;
  }

  /** Sometimes says thanks at the end (the assistant answers in kind). */
  async maybeThanks(probability = 0.35): Promise<void> {
    if (this.random.chance(probability)) await this.turn(this.random.pick(THANKS));
  }

  /**
   * Answers the case record's questions until the ticket is registered; returns its number, or undefined
   * when the assistant stopped asking (something else happened).
   */
  async intake(start: Seen[], facts: CaseFacts): Promise<string | undefined> {
    const { random } = this;
    const p = facts.persona;
    let r = start;
    let wrongPhone = facts.wrongPhoneFirst ?? false;
    let corrected = !facts.correctsAddress;
    let refusedName = false;
    for (let step = 0; step < 12; step++) {
      const ticket = replies.ticket(r);
      if (ticket) {
        this.record.tickets.push(ticket);
        return ticket;
      }
      const asked = replies.asked(r);
      let answer: string;
      switch (asked) {
        case 'district':
          answer = districtAnswer(random, p);
          break;
        case 'address':
          answer = addressAnswer(random, p);
          break;
        case 'name':
          // A report may stay anonymous; where the category does not allow it the name is asked again.
          answer =
            facts.anonymous && !refusedName ? random.pick(['匿名', '我不想留名字', '匿名吧']) : nameAnswer(random, p);
          refusedName = true;
          break;
        case 'phone':
          answer = wrongPhone ? p.phone.slice(0, 10) : phoneAnswer(random, p);
          wrongPhone = false;
          break;
        case 'category': {
          const offered = r.flatMap((m) => m.actions);
          answer = offered.find((name) => facts.category && name === facts.category) ?? offered[0] ?? '其他';
          break;
        }
        case 'confirm':
          if (!corrected) {
            answer = `不对，地址应该是${p.district}${p.street}${p.houseNumber + 2}号`;
            corrected = true;
          } else answer = random.pick(CONFIRMS);
          break;
        default:
          return undefined;
      }
      r = await this.turn(answer);
    }
    return undefined;
  }

  /** Answers "did this help?" with the buttons offered; returns the replies to it. */
  async helpful(r: Seen[], yes: boolean): Promise<Seen[]> {
    const [helped, notHelped] = replies.helpfulActions(r);
    if (!helped || !notHelped) return [];
    return this.turn(yes ? helped : notHelped);
  }

  /**
   * Asks for a person with the plan registered for the agents first; returns the replies to the request.
   * The plan is registered as soon as the conversation's id is known (a push channel's first message).
   */
  async requestHuman(text: string, plan: HandoffPlan): Promise<Seen[]> {
    return this.turn(text, (conversationId) => this.director.register(conversationId, plan));
  }

  /**
   * The citizen's side of a served handoff: speaks when an agent joins and after each answer of the stage,
   * then waits for the end; answers the satisfaction question after a hand-back.
   */
  async withAgents(plan: HandoffPlan): Promise<void> {
    let stage = -1;
    let answers = 0;
    let line = 0;
    const say = async () => {
      await this.session.say(plan.citizenLines[line] ?? GENERIC_CITIZEN[Math.min(line, GENERIC_CITIZEN.length - 1)]!);
      line++;
    };
    for (;;) {
      const m = await this.session.next((x) => x.role === 'agent' || x.channelData.handoff !== undefined, 120_000);
      const handoff = m.channelData.handoff as { joined?: string; ended?: string } | undefined;
      if (handoff?.joined) {
        stage++;
        answers = 0;
        await say();
      } else if (m.role === 'agent') {
        const ticket = TICKET_IN_TEXT.exec(m.text)?.[0];
        if (ticket && !this.record.tickets.includes(ticket)) this.record.tickets.push(ticket);
        answers++;
        if (answers < (plan.stages[stage]?.rounds ?? 1)) await say();
      } else if (handoff?.ended) {
        if (handoff.ended === 'handed_back' && plan.satisfaction) {
          const reply = await this.turn(this.random.pick(SATISFACTION_WORDS[plan.satisfaction]));
          if (replies.data(reply, 'satisfaction') !== undefined) this.record.satisfaction = plan.satisfaction;
        } else {
          await this.maybeThanks(0.3);
        }
        return;
      }
    }
  }
}
