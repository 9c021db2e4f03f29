import { describe, expect, it } from 'vitest';
import {
  assign,
  canTake,
  overflows,
  pickAgent,
  queuePosition,
  serviceOrder,
  type AgentState,
  type WaitingHandoff,
} from './routing.js';

const T = 1_800_000_000_000;
const handoff = (id: string, extra: Partial<WaitingHandoff> = {}): WaitingHandoff => ({
  id,
  queue: 'general',
  priority: 'normal',
  skills: [],
  language: 'zh-CN',
  queuedAt: T,
  ...extra,
});
const agent = (id: string, extra: Partial<AgentState> = {}): AgentState => ({
  id,
  presence: 'available',
  queues: ['general'],
  skills: [],
  languages: ['zh'],
  capacity: 3,
  active: 0,
  idleSince: T,
  ...extra,
});

describe('handoff routing', () => {
  it('serves emergencies, then complaints, then the rest, each longest-waiting first', () => {
    const order = serviceOrder([
      handoff('normal-old', { queuedAt: T - 60_000 }),
      handoff('complaint-new', { priority: 'complaint', queuedAt: T }),
      handoff('emergency', { priority: 'emergency', queuedAt: T + 5_000 }),
      handoff('complaint-old', { priority: 'complaint', queuedAt: T - 1_000 }),
      handoff('normal-new', { queuedAt: T }),
    ]).map((h) => h.id);
    expect(order).toEqual(['emergency', 'complaint-old', 'complaint-new', 'normal-old', 'normal-new']);
  });

  it('lets an agent take only what their presence, capacity, queues, skills and languages allow', () => {
    const housing = handoff('h', { skills: ['category:0301'], language: 'zh-CN' });
    expect(canTake(agent('a', { skills: ['category:0301', 'category:0302'] }), housing)).toBe(true);
    expect(canTake(agent('a', { skills: [] }), housing)).toBe(false);
    expect(canTake(agent('a', { skills: ['category:0301'], presence: 'away' }), housing)).toBe(false);
    expect(canTake(agent('a', { skills: ['category:0301'], active: 3 }), housing)).toBe(false);
    expect(canTake(agent('a', { skills: ['category:0301'], queues: ['overflow'] }), housing)).toBe(false);
    expect(canTake(agent('a', { skills: ['category:0301'], languages: ['en'] }), housing)).toBe(false);
    // Busy means "has conversations", not "full": spare capacity still takes work.
    expect(canTake(agent('a', { skills: ['category:0301'], presence: 'busy', active: 1 }), housing)).toBe(true);
    expect(canTake(agent('a', { skills: ['category:0301'] }), { ...housing, declinedBy: ['a'] })).toBe(false);
  });

  it('prefers an agent with the category the bot recognised, and falls back to anyone who can take it', () => {
    const housing = handoff('h', { preferredSkills: ['category:01', 'category:01.05'] });
    const agents = [agent('idle', { idleSince: T - 60_000 }), agent('expert', { skills: ['category:01.05'] })];
    expect(pickAgent(housing, agents)?.id).toBe('expert');
    expect(pickAgent(housing, [agents[0]!])?.id).toBe('idle');
    expect(pickAgent(handoff('x'), agents)?.id).toBe('idle');
  });

  it('gives the handoff to the agent idle longest, then to the one with fewer conversations', () => {
    const agents = [
      agent('recent', { idleSince: T - 1_000 }),
      agent('longest', { idleSince: T - 60_000 }),
      agent('full', { idleSince: T - 120_000, active: 3 }),
    ];
    expect(pickAgent(handoff('x'), agents)?.id).toBe('longest');
    const tied = [agent('b', { active: 2 }), agent('a', { active: 1 }), agent('c', { active: 1 })];
    expect(pickAgent(handoff('x'), tied)?.id).toBe('a');
    expect(pickAgent(handoff('x'), [agent('away', { presence: 'away' })])).toBeUndefined();
  });

  it('spreads a round of handoffs over agents and stops at their capacity, without blocking on skills', () => {
    const waiting = [
      handoff('e', { priority: 'emergency', queuedAt: T + 10 }),
      handoff('tax', { skills: ['department:税务局'], queuedAt: T - 500 }),
      handoff('n1', { queuedAt: T - 400 }),
      handoff('n2', { queuedAt: T - 300 }),
      handoff('n3', { queuedAt: T - 200 }),
    ];
    const agents = [
      agent('ann', { capacity: 1, idleSince: T - 9_000 }),
      agent('bo', { capacity: 2, idleSince: T - 5_000 }),
    ];
    expect(assign(waiting, agents, T + 1_000)).toEqual([
      { handoffId: 'e', agentId: 'ann' },
      // 'tax' needs a skill nobody here has: it waits, and the next in line is served.
      { handoffId: 'n1', agentId: 'bo' },
      { handoffId: 'n2', agentId: 'bo' },
    ]);
    // The input is not changed.
    expect(agents.map((a) => a.active)).toEqual([0, 0]);
  });

  it('moves a handoff that waited past its queue limit to the overflow queue', () => {
    const waiting = [handoff('old', { queuedAt: T - 301_000 }), handoff('fresh', { queuedAt: T - 10_000 })];
    const policies = { general: { waitLimitMs: 300_000, overflowTo: 'overflow' } };
    expect(overflows(waiting, policies, T)).toEqual([{ handoffId: 'old', to: 'overflow' }]);
    expect(overflows(waiting, { general: { waitLimitMs: 300_000 } }, T)).toEqual([]);
  });

  it('tells a citizen their place in their own queue, counting only who is served before them', () => {
    const waiting = [
      handoff('a', { queuedAt: T - 3_000 }),
      handoff('b', { queuedAt: T - 2_000 }),
      handoff('other-queue', { queue: 'tax', queuedAt: T - 9_000 }),
      handoff('urgent', { priority: 'emergency', queuedAt: T }),
    ];
    expect(queuePosition('b', waiting)).toBe(3);
    expect(queuePosition('urgent', waiting)).toBe(1);
    expect(queuePosition('other-queue', waiting)).toBe(1);
    expect(queuePosition('gone', waiting)).toBeUndefined();
  });
});
