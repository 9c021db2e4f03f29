/**
 * The figures supervisors read, as the analytics API returns them (JSON) and the reports render them.
 * Every count is over the filters' date range in the city's time zone; rates are 0..1 (null with no
 * denominator).
 */

export const GRANULARITIES = ['day', 'week', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export interface AnalyticsFilters {
  /** First city day, inclusive (YYYY-MM-DD). */
  from: string;
  /** Last city day, inclusive (YYYY-MM-DD). */
  to: string;
  granularity: Granularity;
  channel?: string;
  demandType?: string;
  /** A taxonomy code: a major class (`05`), middle (`05.02`) or minor (`05.02.01`); matches by prefix. */
  category?: string;
  district?: string;
}

/** One series of counts, aligned with `periods`. */
export interface Series {
  key: string;
  /** Display name (the channel, demand type or category name in Chinese). */
  name: string;
  counts: number[];
}

export interface Totals {
  /** Conversations started in the range with at least one citizen message. */
  conversations: number;
  citizenMessages: number;
  /** Tickets registered in the range. */
  tickets: number;
  /** Conversations answered from the knowledge base with no handoff, no ticket and no "没解决". */
  selfServed: number;
  selfServiceRate: number | null;
  handoffs: number;
  /** Handoffs / conversations. */
  handoffRate: number | null;
  emergencies: number;
  refused: number;
  /** Of tickets resolved in the range, the share resolved by their deadline. */
  complianceRate: number | null;
  /** Open tickets past their deadline now (not limited to the range). */
  overdueOpen: number;
  /** (satisfied + fairly satisfied) / answers, callbacks and hand-backs together. */
  satisfactionRate: number | null;
  satisfactionResponses: number;
}

export interface Volume {
  /** Period start days (YYYY-MM-DD): every day, Monday or first of month in the range, empty ones too. */
  periods: string[];
  /** Conversations by channel. */
  byChannel: Series[];
  /** Tickets by demand type. */
  byDemandType: Series[];
  /** Tickets by major class, largest first. */
  byCategory: { code: string; name: string; count: number }[];
  /** Tickets by district, largest first (no district: key ''). */
  byDistrict: { district: string; count: number }[];
}

export interface SelfService {
  periods: string[];
  conversations: number[];
  selfServed: number[];
  /** Per period; null where there were no conversations. */
  rate: (number | null)[];
  /** Citizen questions the knowledge base answered with confidence, asked back (candidates) or missed. */
  answered: number;
  suggested: number;
  missed: number;
  /** Answers to "did this help?". */
  helpful: number;
  unhelpful: number;
}

export interface Handoffs {
  total: number;
  rate: number | null;
  /** requested / emergency / … as raised. */
  reasons: { reason: string; count: number }[];
  /** How the closed ones ended (agent's disposition; none: key ''). */
  dispositions: { disposition: string; count: number }[];
  wait: {
    /** Accepted by an agent. */
    answered: number;
    /** Closed without an agent ever accepting (citizen left, chose a ticket). */
    abandoned: number;
    /** Still waiting or offered. */
    waiting: number;
    /** Queue wait (queued to accepted) of the answered ones, seconds. */
    p50Seconds: number | null;
    p90Seconds: number | null;
    maxSeconds: number | null;
  };
  periods: string[];
  counts: number[];
}

export interface Deadlines {
  /** Tickets resolved in the range. */
  resolved: number;
  onTime: number;
  late: number;
  complianceRate: number | null;
  overdueOpen: number;
  byDepartment: { department: string; resolved: number; onTime: number; overdueOpen: number }[];
}

export interface SatisfactionCounts {
  satisfied: number;
  fair: number;
  dissatisfied: number;
  /** (satisfied + fair) / all; null without answers. */
  rate: number | null;
}

export interface Satisfaction {
  /** From ticket callbacks (回访) in the range. */
  callback: SatisfactionCounts;
  /** From the question after an agent handed a conversation back. */
  handback: SatisfactionCounts;
}

/** A citizen question with no good answer: no confident hit, or answered and marked 没解决. */
export interface UnansweredQuestion {
  /** As the citizen last wrote it. */
  text: string;
  /** Normalized (NFKC, lower case, no punctuation or spaces): what counts group by. */
  normalized: string;
  count: number;
  missed: number;
  unhelpful: number;
  lastAt: string;
}

/** A category and place whose tickets rose against the previous window of equal length. */
export interface Hotspot {
  categoryCode: string;
  categoryName: string;
  district: string;
  current: number;
  previous: number;
  /** current / max(previous, 1). */
  ratio: number;
}

/** Tickets of one category whose descriptions share their key words: one recurring problem. */
export interface ProblemCluster {
  /** The shared key words, joined: 油烟 · 烧烤 · 夜间 */
  label: string;
  keywords: string[];
  count: number;
  categoryCode: string;
  categoryName: string;
  districts: { district: string; count: number }[];
  /** The description of the most typical ticket. */
  sample: string;
  ticketNumbers: string[];
}

export interface Overview {
  filters: AnalyticsFilters;
  generatedAt: string;
  /** Conversation figures include everything up to this moment (the last roll-up). */
  freshAt: string | null;
  totals: Totals;
  volume: Volume;
  selfService: SelfService;
  handoffs: Handoffs;
  deadlines: Deadlines;
  satisfaction: Satisfaction;
  unanswered: UnansweredQuestion[];
  hotspots: Hotspot[];
  clusters: ProblemCluster[];
}

export const REPORT_KINDS = ['daily', 'weekly', 'monthly'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

/** A stored statistical report: the overview of one period, frozen when it was generated. */
export interface StoredReport {
  id: string;
  kind: ReportKind;
  /** First and last city day of the period. */
  periodStart: string;
  periodEnd: string;
  status: 'pending' | 'ready' | 'failed';
  createdAt: string;
  error: string | null;
  /** The formats it can be downloaded in: xlsx, csv and html always; pdf once rendered (monthly). */
  formats: string[];
}

/** Drill-down rows. */
export interface ConversationRow {
  id: string;
  channel: string;
  startedAt: string;
  citizenMessages: number;
  answered: number;
  missed: number;
  handoff: boolean;
  handoffReason: string | null;
  tickets: number;
  selfServed: boolean;
  emergency: string | null;
  categoryCode: string | null;
  categoryName: string | null;
  /** The citizen's first message (plain text; escape it when showing it). */
  firstText: string | null;
}

export interface TicketRow {
  number: string;
  demandType: string;
  categoryCode: string | null;
  categoryName: string | null;
  district: string | null;
  department: string | null;
  status: string;
  channel: string;
  registeredAt: string;
  deadlineAt: string;
  resolvedAt: string | null;
  /** Working or not, whole days past the deadline (open: until now; resolved: until resolved); 0 when not late. */
  overdueDays: number;
  satisfaction: 1 | 2 | 3 | null;
  description: string;
  /** Masked: 138****5678. */
  phone: string | null;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}
