/**
 * How a handoff is to go, agreed between a demo citizen and the demo agents before the citizen asks for a
 * person: both sides read the same plan (how many exchanges, whether it is transferred, how it ends), so
 * neither has to guess when the other is done. The agents learn the plan by the conversation's id.
 */

export type HandoffEnd = 'hand-back' | 'close' | 'transfer' | 'ticket';

export interface HandoffStage {
  /** Citizen messages the agent of this stage answers; after the last answer the stage ends. */
  rounds: number;
  end: HandoffEnd;
  /** The agent's answers, one per round. */
  agentLines: string[];
}

export interface HandoffTicket {
  demandType: 'consultation' | 'help' | 'complaint' | 'report' | 'suggestion' | 'praise';
  categoryCode: string | null;
  description: string;
  name: string | null;
  phone: string | null;
  district: string | null;
  address: string | null;
}

export interface HandoffPlan {
  /**
   * `serve`: agents take it; `abandon-register`: nobody takes it and the citizen leaves a ticket (登记)
   * instead; `abandon-leave`: nobody takes it and the citizen goes away (a supervisor closes it).
   */
  kind: 'serve' | 'abandon-register' | 'abandon-leave';
  stages: HandoffStage[];
  /** The stage under way (the transferring agent moves it on). */
  stage: number;
  /** What the citizen says to the agents, in order, across stages. */
  citizenLines: string[];
  /** The answer to the satisfaction question after a hand-back. */
  satisfaction?: 1 | 2 | 3;
  /** How a `close` ends (the desk's disposition). */
  disposition?: 'resolved' | 'invalid';
  /** The ticket an agent registers from the desk (`ticket` end). */
  ticket?: HandoffTicket;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The plans of this run, by conversation. */
export class HandoffDirector {
  private readonly plans = new Map<string, HandoffPlan>();

  register(conversationId: string, plan: HandoffPlan): void {
    this.plans.set(conversationId, plan);
  }

  /**
   * The conversation's plan; waits a moment for it (a push channel's citizen learns the conversation's id
   * only after the first message). A handoff nobody planned (an unexpected request) is served plainly.
   */
  async planFor(conversationId: string, waitMs = 10_000): Promise<HandoffPlan | undefined> {
    const deadline = Date.now() + waitMs;
    while (!this.plans.has(conversationId) && Date.now() < deadline) await sleep(100);
    return this.plans.get(conversationId);
  }
}
