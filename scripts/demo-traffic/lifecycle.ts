/**
 * What departments and the callback team did with the run's tickets, decided per ticket against the time
 * it will be registered at once the traffic is spread over the past: dispatched, in progress, resolved
 * (most before the deadline, about one in seven after it), the callback's satisfaction, closed, or reopened
 * when the citizen was dissatisfied; recent ones and a few stuck ones stay open, some of them overdue. The
 * moves go through the gateway's TicketStore (there is no department API); their times are written by the
 * time spread.
 */
import type { TicketStatus, TicketStore } from '../../tickets/ticket-store.js';
import type { Random } from './random.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface TicketStep {
  to: TicketStatus | 'callback';
  at: Date;
  actor: string;
  note: string;
  /** The citizen's answer at the callback. */
  satisfaction?: 1 | 2 | 3;
}

export interface TicketFacts {
  number: string;
  demandType: string;
  department: string | null;
  duplicateOf: string | null;
  /** Where registration and deadline land after the time spread. */
  registeredAt: Date;
  deadlineAt: Date;
}

export const CALLBACK_ACTOR = 'demo.zhao';

const RESOLUTIONS = [
  '已现场核查并处理完毕，已电话告知市民处理结果。',
  '经核实情况属实，已责令相关责任方整改到位。',
  '已协调相关单位解决，市民表示认可。',
  '已按政策向市民解释说明，并告知后续办理渠道。',
];

/**
 * The steps a ticket goes through, each at a time before `now`; an empty list leaves it registered.
 * `settled` plans an on-time resolution, a satisfied callback and the close (a short run shows one).
 */
export function planTicket(ticket: TicketFacts, now: Date, random: Random, settled = false): TicketStep[] {
  const department = ticket.department ?? '承办部门';
  const steps: TicketStep[] = [];
  const add = (step: TicketStep) => {
    if (step.at.getTime() > now.getTime() - 5 * 60_000) return false;
    steps.push(step);
    return true;
  };
  const reg = ticket.registeredAt.getTime();
  if (ticket.duplicateOf) {
    add({
      to: 'closed',
      at: new Date(reg + random.between(1, 6) * HOUR),
      actor: CALLBACK_ACTOR,
      note: `与工单${ticket.duplicateOf}合并办理`,
    });
    return steps;
  }
  const deadline = ticket.deadlineAt.getTime();
  const consultation = ticket.demandType === 'consultation';
  // About one in seven is resolved late; a few get stuck and stay open past their deadline.
  const late = !settled && random.chance(0.15);
  const stuck = !settled && random.chance(0.06);
  let at = reg;
  if (!consultation) {
    at += random.between(0.3, 5) * HOUR;
    if (!add({ to: 'dispatched', at: new Date(at), actor: CALLBACK_ACTOR, note: `已派发至${department}` }))
      return steps;
    at += random.between(1, 30) * HOUR;
    if (!add({ to: 'in_progress', at: new Date(at), actor: department, note: '已签收，正在核查处理' })) return steps;
    if (stuck) return steps;
  }
  const window = Math.max(deadline - at, HOUR);
  const resolvedAt = late ? deadline + random.between(0.5, 6) * DAY : at + random.between(0.15, 0.9) * window;
  const resolver = consultation ? '12345热线知识组' : department;
  if (!add({ to: 'resolved', at: new Date(resolvedAt), actor: resolver, note: random.pick(RESOLUTIONS) })) return steps;
  // Most resolved tickets get their callback within a few days.
  if (!settled && random.chance(0.1)) return steps;
  const satisfaction = settled ? 1 : (Number(random.weighted({ 1: 60, 2: 25, 3: 15 })) as 1 | 2 | 3);
  const callbackAt = resolvedAt + random.between(3, 72) * HOUR;
  if (
    !add({
      to: 'callback',
      at: new Date(callbackAt),
      actor: CALLBACK_ACTOR,
      note: `回访满意度 ${satisfaction}`,
      satisfaction,
    })
  )
    return steps;
  const after = callbackAt + random.between(5, 90) * 60_000;
  if (satisfaction === 3)
    add({ to: 'in_progress', at: new Date(after), actor: CALLBACK_ACTOR, note: '市民不满意，重新办理' });
  else add({ to: 'closed', at: new Date(after), actor: CALLBACK_ACTOR, note: '回访完毕，办结归档' });
  return steps;
}

/** Applies the steps through the ticket store (each step recorded now; the time spread dates them). */
export async function applyTicketSteps(tickets: TicketStore, number: string, steps: TicketStep[]): Promise<void> {
  for (const step of steps) {
    if (step.to === 'callback') await tickets.recordCallback(number, step.satisfaction!, step.actor, step.note);
    else await tickets.transition(number, step.to, step.actor, step.note);
  }
}
