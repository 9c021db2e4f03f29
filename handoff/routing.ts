/**
 * Who takes which waiting conversation: the routing policy of the agents' queues, as pure functions over
 * plain data (the handoff service feeds them the waiting handoffs and the agents' presence, and applies
 * what they decide). The rules, from the architecture:
 *
 * - Order of service: emergency before complaint before everything else; within a class, the longest wait
 *   first.
 * - An agent can take a handoff when they are available (not away), below their capacity of concurrent
 *   conversations, serve its queue, have every skill it needs (a category or department) and speak its
 *   language.
 * - Among those, the one idle longest gets it (ties: the one with fewer conversations, then by id), so work
 *   spreads and nobody is starved.
 * - A handoff that waited longer than its queue's limit overflows to the queue's overflow queue.
 */

export type HandoffPriority = 'emergency' | 'complaint' | 'normal';

export interface WaitingHandoff {
  id: string;
  queue: string;
  priority: HandoffPriority;
  /** Skills an agent must have, e.g. `category:0301`, `department:市住建局`. */
  skills: readonly string[];
  /** BCP 47 language of the citizen, e.g. `zh-CN`; agents match on the primary subtag. */
  language: string;
  /** When it started waiting (ms since the epoch). */
  queuedAt: number;
  /** Agents who declined it: it goes to someone else. */
  declinedBy?: readonly string[];
  /**
   * Skills that make an agent the better choice, not a requirement (the category the bot recognised, e.g.
   * `category:01` and `category:01.05`): an agent with any of them goes first, anyone else may take it.
   */
  preferredSkills?: readonly string[];
}

export interface AgentState {
  id: string;
  presence: 'available' | 'busy' | 'away';
  /** Queues the agent serves. */
  queues: readonly string[];
  skills: readonly string[];
  /** Primary language subtags the agent speaks, e.g. `zh`, `en`. */
  languages: readonly string[];
  /** Most conversations at once. */
  capacity: number;
  /** Conversations the agent has now. */
  active: number;
  /** Since when the agent has had nothing new (ms since the epoch): their last assignment or log-in. */
  idleSince: number;
}

export interface Assignment {
  handoffId: string;
  agentId: string;
}

export interface QueuePolicy {
  /** A handoff waiting longer than this moves to `overflowTo`. */
  waitLimitMs: number;
  overflowTo?: string;
}

const RANK: Record<HandoffPriority, number> = { emergency: 0, complaint: 1, normal: 2 };

/** Waiting handoffs in the order they are served: class first, then the longest wait. */
export function serviceOrder<T extends WaitingHandoff>(waiting: readonly T[]): T[] {
  return [...waiting].sort(
    (a, b) => RANK[a.priority] - RANK[b.priority] || a.queuedAt - b.queuedAt || a.id.localeCompare(b.id),
  );
}

const primaryLanguage = (tag: string) => tag.toLowerCase().split('-')[0]!;

/** Whether this agent may take this handoff now. */
export function canTake(agent: AgentState, handoff: WaitingHandoff): boolean {
  return (
    agent.presence !== 'away' &&
    !handoff.declinedBy?.includes(agent.id) &&
    agent.active < agent.capacity &&
    agent.queues.includes(handoff.queue) &&
    handoff.skills.every((skill) => agent.skills.includes(skill)) &&
    agent.languages.map(primaryLanguage).includes(primaryLanguage(handoff.language))
  );
}

/**
 * The agent who gets the handoff, or undefined when nobody can take it now: among those who can, one with a
 * preferred skill first, then the one idle longest (ties: fewer conversations, then by id).
 */
export function pickAgent(handoff: WaitingHandoff, agents: readonly AgentState[]): AgentState | undefined {
  const preferred = (agent: AgentState) =>
    handoff.preferredSkills?.some((skill) => agent.skills.includes(skill)) ? 0 : 1;
  let best: AgentState | undefined;
  for (const agent of agents) {
    if (!canTake(agent, handoff)) continue;
    if (
      !best ||
      preferred(agent) < preferred(best) ||
      (preferred(agent) === preferred(best) &&
        (agent.idleSince < best.idleSince ||
          (agent.idleSince === best.idleSince &&
            (agent.active < best.active || (agent.active === best.active && agent.id < best.id)))))
    ) {
      best = agent;
    }
  }
  return best;
}

/**
 * One routing round: every waiting handoff, in service order, goes to the best agent who can take it;
 * each assignment counts against that agent's capacity and ends their idle time, so the next handoff goes
 * to someone else when anyone else can take it. A handoff nobody can take keeps its place and does not
 * block the ones behind it (another agent may have the skills they need).
 */
export function assign(waiting: readonly WaitingHandoff[], agents: readonly AgentState[], now: number): Assignment[] {
  const state = agents.map((agent) => ({ ...agent }));
  const assignments: Assignment[] = [];
  for (const handoff of serviceOrder(waiting)) {
    const agent = pickAgent(handoff, state);
    if (!agent) continue;
    agent.active++;
    agent.idleSince = now;
    assignments.push({ handoffId: handoff.id, agentId: agent.id });
  }
  return assignments;
}

/** Handoffs that waited past their queue's limit, with the queue each moves to. */
export function overflows(
  waiting: readonly WaitingHandoff[],
  policies: Readonly<Record<string, QueuePolicy>>,
  now: number,
): { handoffId: string; to: string }[] {
  return waiting.flatMap((handoff) => {
    const policy = policies[handoff.queue];
    if (!policy?.overflowTo || policy.overflowTo === handoff.queue) return [];
    return now - handoff.queuedAt > policy.waitLimitMs ? [{ handoffId: handoff.id, to: policy.overflowTo }] : [];
  });
}

/**
 * Where a handoff stands in its queue (1 = next), counting only those served before it in the same queue:
 * what the citizen is told while they wait. Undefined when it is not waiting.
 */
export function queuePosition(handoffId: string, waiting: readonly WaitingHandoff[]): number | undefined {
  const handoff = waiting.find((h) => h.id === handoffId);
  if (!handoff) return undefined;
  return serviceOrder(waiting.filter((h) => h.queue === handoff.queue)).findIndex((h) => h.id === handoffId) + 1;
}
