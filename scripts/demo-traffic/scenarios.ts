/**
 * The run's list of conversations: how many of each kind, on which channel, in which order. Shares are fixed
 * and the counts rounded (largest remainder), so even a short run has a bit of everything; the seed decides
 * the order and every draw inside a scenario.
 */
import { CHANNELS, type ChannelName } from './channels.js';
import type { Random } from './random.js';

export const SCENARIO_KINDS = [
  'consult',
  'unanswered',
  'case',
  'recurring',
  'hotspot',
  'handoff',
  'status',
  'emergency',
  'refused',
] as const;
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

/** How a handoff scenario goes; the first ones cover the common endings. */
export const HANDOFF_VARIANTS = [
  'hand-back',
  'transfer',
  'agent-ticket',
  'hand-back',
  'abandon-register',
  'hand-back',
  'abandon-leave',
  'transfer',
] as const;
export type HandoffVariant = (typeof HANDOFF_VARIANTS)[number];

export interface ScenarioSpec {
  index: number;
  kind: ScenarioKind;
  channel: ChannelName;
  /** Seeds the scenario's own draws. */
  seed: number;
  handoff?: HandoffVariant;
}

/** Shares of the conversations, per kind. */
const SHARES: Record<ScenarioKind, number> = {
  consult: 0.27,
  unanswered: 0.12,
  case: 0.2,
  recurring: 0.07,
  hotspot: 0.06,
  handoff: 0.13,
  status: 0.07,
  emergency: 0.04,
  refused: 0.04,
};

const CHANNEL_SHARES: Record<ChannelName, number> = { webchat: 0.45, wechat: 0.35, sms: 0.2 };

/** Counts per kind adding up to n, each at least one when n allows (largest remainder after the floors). */
export function scenarioCounts(n: number): Record<ScenarioKind, number> {
  const counts = Object.fromEntries(SCENARIO_KINDS.map((k) => [k, Math.floor(n * SHARES[k])])) as Record<
    ScenarioKind,
    number
  >;
  // The kinds the dashboard cannot do without come first when the run is short.
  for (const kind of [
    'case',
    'handoff',
    'consult',
    'unanswered',
    'recurring',
    'hotspot',
    'status',
    'emergency',
  ] as const) {
    if (counts[kind] === 0 && total(counts) < n) counts[kind] = 1;
  }
  const byRemainder = [...SCENARIO_KINDS].sort((a, b) => ((n * SHARES[b]) % 1) - ((n * SHARES[a]) % 1));
  for (let i = 0; total(counts) < n; i++) counts[byRemainder[i % byRemainder.length]!]++;
  return counts;
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

export function planScenarios(n: number, random: Random): ScenarioSpec[] {
  const counts = scenarioCounts(n);
  const kinds = random.shuffle(SCENARIO_KINDS.flatMap((k) => Array<ScenarioKind>(counts[k]).fill(k)));
  // Status queries ask after tickets registered earlier: they go into the second half.
  const early = kinds.filter((k) => k !== 'status');
  const status = kinds.filter((k) => k === 'status');
  const half = Math.ceil(early.length / 2);
  const ordered = [...early.slice(0, half), ...random.shuffle([...early.slice(half), ...status])];
  // Every channel plays at least once (a short run could miss one by chance): the first three take one each.
  const first = random.shuffle(CHANNELS);
  let handoffs = 0;
  return ordered.map((kind, index) => ({
    index,
    kind,
    channel: first[index] ?? random.weighted(CHANNEL_SHARES),
    seed: random.int(1, 2 ** 31 - 1),
    handoff: kind === 'handoff' ? HANDOFF_VARIANTS[handoffs++ % HANDOFF_VARIANTS.length] : undefined,
  }));
}
