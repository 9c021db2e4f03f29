import type { ColumnType, Generated } from 'kysely';

/** A timestamptz with a database default: optional on insert. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** jsonb columns: read as parsed values, written as JSON text (pg would send arrays as SQL arrays). */
type Json<T> = ColumnType<T, string, string>;

export interface ConversationsTable {
  id: string;
  channel_id: string;
  /** Highest activity sequence number so far; the Direct Line watermark is this number. */
  last_seq: Generated<number>;
  /** `bot` while the assistant answers, `agent` while a human owns the conversation. */
  mode: Generated<'bot' | 'agent'>;
  locale: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Set when the retention job purged its messages (core/retention.ts); the row stays for the figures. */
  purged_at: NullableTimestamp;
}

export interface ParticipantsTable {
  conversation_id: string;
  id: string;
  role: 'user' | 'bot' | 'agent';
  name: string | null;
  joined_at: Timestamp;
}

export interface ActivitiesTable {
  id: string;
  conversation_id: string;
  seq: number;
  direction: 'inbound' | 'outbound';
  channel_id: string;
  /** The channel's own id for an inbound message (WeChat MsgId, Twilio MessageSid, Direct Line client id). */
  channel_message_id: string | null;
  type: string;
  from_id: string;
  from_role: string;
  text: string | null;
  reply_to_id: string | null;
  body: Json<Record<string, unknown>>;
  created_at: Timestamp;
  /** Inbound only: set in the transaction that stored the turn's replies. */
  processed_at: NullableTimestamp;
  /** Outbound on push channels only (SMS, WeChat customer-service messages); null elsewhere. */
  delivery_status: Generated<DeliveryStatus | null>;
  delivery_attempts: Generated<number>;
  /** The provider's id of the sent message (Twilio MessageSid), for its status callbacks. */
  provider_message_id: Generated<string | null>;
  delivery_error: Generated<string | null>;
  delivery_updated_at: Generated<Date | null>;
}

export type DeliveryStatus = 'pending' | 'sent' | 'delivered' | 'failed' | 'dead' | 'suppressed';

export interface MediaTable {
  id: string;
  conversation_id: string;
  content_type: string;
  size: number;
  bytes: Buffer;
  source: string;
  created_at: Generated<Date>;
}

export interface VoiceCallsTable {
  id: string;
  conversation_id: string | null;
  transport: string;
  caller: string | null;
  started_at: Timestamp;
  ended_at: NullableTimestamp;
  end_reason: string | null;
  audio_ms: Generated<number>;
  utterances: Generated<number>;
  barge_ins: Generated<number>;
  outcome: string | null;
}

export interface OptOutsTable {
  channel_id: string;
  /** The channel's address of the citizen (a phone number). */
  address: string;
  created_at: Generated<Date>;
}

export interface ConversationStateTable {
  conversation_id: string;
  state: Json<Record<string, unknown>>;
  version: Generated<number>;
  updated_at: Timestamp;
}

export interface DeadLetterJobsTable {
  id: Generated<string>;
  queue: string;
  job_id: string;
  data: Json<unknown>;
  error: string;
  attempts: number;
  failed_at: Timestamp;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface KnowledgeCategoriesTable {
  code: string;
  name: string;
  sort: Generated<number>;
}

export interface KnowledgeArticlesTable {
  id: string;
  /** A knowledge_categories code. */
  category: string;
  title: string;
  question: string;
  variants: Json<string[]>;
  answer_short: string;
  answer_full: string;
  department: string;
  tags: Json<string[]>;
  region: string;
  status: 'draft' | 'in_review' | 'published' | 'retired';
  effective_from: ColumnType<Date, string, string>;
  expires_at: ColumnType<Date | null, string | null, string | null>;
  source: Json<{ title: string; url: string | null } | null>;
  /** The published revision's number (0 while the article has never been published). */
  version: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
  published_at: NullableTimestamp;
  updated_by: string | null;
}

export type RevisionStatus = 'draft' | 'in_review' | 'published' | 'superseded' | 'withdrawn';

export interface KnowledgeRevisionsTable {
  article_id: string;
  revision: number;
  status: RevisionStatus;
  /** The article's editable fields as the editor left them (knowledge/article.ts `ArticleContent`). */
  content: Json<Record<string, unknown>>;
  author: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  submitted_by: string | null;
  submitted_at: NullableTimestamp;
  reviewed_by: string | null;
  reviewed_at: NullableTimestamp;
  review_note: string | null;
}

export interface StaffAccountsTable {
  id: string;
  username: string;
  display_name: string;
  /** scrypt$N$r$p$salt$hash (core/accounts.ts). */
  password_hash: string;
  roles: Json<string[]>;
  disabled: Generated<boolean>;
  /** Failed sign-ins since the last good one; at the limit the account locks until `locked_until`. */
  failed_logins: Generated<number>;
  locked_until: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface StaffSessionsTable {
  token_hash: string;
  account_id: string;
  created_at: Timestamp;
  expires_at: ColumnType<Date, Date | string, Date | string>;
}

export interface AuditLogTable {
  id: Generated<string>;
  at: Timestamp;
  actor: string;
  action: string;
  target_type: string;
  target_id: string;
  detail: Json<Record<string, unknown>>;
}

export interface KnowledgeChunksTable {
  id: Generated<number>;
  article_id: string;
  kind: 'title' | 'question' | 'variant' | 'answer' | 'passage';
  text: string;
  /** tsvector of the jieba tokens; written with to_tsvector('simple', …). */
  tokens: string;
  /** pgvector; written as its text form '[…]'. */
  embedding: ColumnType<number[], string, string>;
  embedder: string;
}

export interface KnowledgeSynonymsTable {
  group_id: number;
  term: string;
}

export type DemandType = 'consultation' | 'help' | 'complaint' | 'report' | 'suggestion' | 'praise';
export type TicketStatus =
  'draft' | 'registered' | 'dispatched' | 'in_progress' | 'extension_requested' | 'resolved' | 'callback' | 'closed';

export interface TicketsTable {
  id: Generated<number>;
  number: string;
  demand_type: DemandType;
  /** A minor class code of the taxonomy (tickets/taxonomy/taxonomy.yaml). */
  category_code: string | null;
  department: string | null;
  status: TicketStatus;
  priority: Generated<'normal' | 'urgent'>;
  description: string;
  reporter_name: string | null;
  phone: string | null;
  id_number: string | null;
  anonymous: Generated<boolean>;
  district: string | null;
  address: string | null;
  /** When it happened, as the citizen said it (昨晚十点, 每天半夜). */
  occurred: string | null;
  organisation: string | null;
  channel_id: string;
  conversation_id: string | null;
  source_activity_id: string | null;
  /** The number of the open ticket this one repeats (same category and place, recently). */
  duplicate_of: string | null;
  registered_at: Timestamp;
  deadline_at: Date | string;
  updated_at: Timestamp;
  /** When it was last resolved (a reopened ticket keeps its earlier time until resolved again). */
  resolved_at: NullableTimestamp;
  /** The citizen's answer at the callback (回访): 1 satisfied, 2 fairly satisfied, 3 dissatisfied. */
  callback_satisfaction: Generated<1 | 2 | 3 | null>;
  callback_at: NullableTimestamp;
  /** Set when the retention job cleared its personal fields (core/retention.ts). */
  anonymised_at: NullableTimestamp;
}

export interface TicketCountersTable {
  day: string;
  last: number;
}

export interface TicketEventsTable {
  id: Generated<number>;
  ticket_id: number;
  at: Timestamp;
  actor: string;
  from_status: TicketStatus | null;
  to_status: TicketStatus;
  note: string | null;
}

export type Presence = 'available' | 'busy' | 'away';
export type HandoffStatus = 'waiting' | 'offered' | 'active' | 'closed';

export interface AgentProfilesTable {
  account_id: string;
  presence: Generated<Presence>;
  queues: Json<string[]>;
  skills: Json<string[]>;
  languages: Json<string[]>;
  capacity: Generated<number>;
  idle_since: Timestamp;
  desk_seen_at: NullableTimestamp;
  updated_at: Timestamp;
}

export interface HandoffNote {
  author: string;
  text: string;
  at: string;
}

export interface HandoffsTable {
  id: string;
  conversation_id: string;
  queue: string;
  priority: 'emergency' | 'complaint' | 'normal';
  reason: string;
  skills: Json<string[]>;
  language: Generated<string>;
  status: Generated<HandoffStatus>;
  agent_id: string | null;
  consultant_id: string | null;
  queued_at: Timestamp;
  offered_at: NullableTimestamp;
  accepted_at: NullableTimestamp;
  closed_at: NullableTimestamp;
  disposition: string | null;
  context: Json<Record<string, unknown>>;
  notes: Json<HandoffNote[]>;
  declined_by: Json<string[]>;
}

export interface HandoffInvitesTable {
  id: string;
  token_hash: string;
  handoff_id: string;
  department: string;
  private: Generated<boolean>;
  created_by: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  opened_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface EvalRunsTable {
  id: string;
  started_at: ColumnType<Date, string, string>;
  finished_at: ColumnType<Date, string, string>;
  knowledge_version: string;
  embedder: string;
  suites: Json<string[]>;
  passed: boolean;
  summary: Json<Record<string, unknown>>;
}

export interface EvalResultsTable {
  run_id: string;
  suite: string;
  case_id: string;
  category: string;
  question: string;
  expected: string;
  got: string;
  passed: boolean;
  score: number | null;
  detail: Json<Record<string, unknown>>;
  verdict: 'correct' | 'wrong' | 'expected_wrong' | null;
  verdict_by: string | null;
  verdict_at: NullableTimestamp;
}

export interface EvalCasesTable {
  id: string;
  kind: 'retrieval';
  question: string;
  expect: string;
  conversation_id: string | null;
  activity_id: string | null;
  created_by: string;
  created_at: Timestamp;
}

export interface Database {
  conversations: ConversationsTable;
  participants: ParticipantsTable;
  activities: ActivitiesTable;
  conversation_state: ConversationStateTable;
  dead_letter_jobs: DeadLetterJobsTable;
  settings: SettingsTable;
  knowledge_articles: KnowledgeArticlesTable;
  knowledge_chunks: KnowledgeChunksTable;
  knowledge_synonyms: KnowledgeSynonymsTable;
  knowledge_categories: KnowledgeCategoriesTable;
  knowledge_revisions: KnowledgeRevisionsTable;
  staff_accounts: StaffAccountsTable;
  staff_sessions: StaffSessionsTable;
  audit_log: AuditLogTable;
  tickets: TicketsTable;
  ticket_counters: TicketCountersTable;
  ticket_events: TicketEventsTable;
  opt_outs: OptOutsTable;
  media: MediaTable;
  voice_calls: VoiceCallsTable;
  agent_profiles: AgentProfilesTable;
  handoffs: HandoffsTable;
  handoff_invites: HandoffInvitesTable;
  eval_runs: EvalRunsTable;
  eval_results: EvalResultsTable;
  eval_cases: EvalCasesTable;
  conversation_facts: ConversationFactsTable;
  unanswered_questions: UnansweredQuestionsTable;
  ticket_facts: TicketFactsTable;
  analytics_reports: AnalyticsReportsTable;
}

/** One conversation's figures (analytics/rollup.ts keeps them current). */
export interface ConversationFactsTable {
  conversation_id: string;
  channel_id: string;
  started_at: ColumnType<Date, Date | string, Date | string>;
  /** The city's calendar day it started on (YYYY-MM-DD when read as text). */
  day: ColumnType<Date, string, string>;
  last_at: ColumnType<Date, Date | string, Date | string>;
  citizen_messages: number;
  answered: number;
  suggested: number;
  missed: number;
  helpful: number;
  unhelpful: number;
  handoff_reason: string | null;
  tickets: number;
  emergency: string | null;
  refused: string | null;
  category_code: string | null;
  demand_type: string | null;
  district: string | null;
  satisfaction: number | null;
  self_served: boolean;
  first_text: string | null;
}

export interface UnansweredQuestionsTable {
  activity_id: string;
  conversation_id: string;
  channel_id: string;
  at: ColumnType<Date, Date | string, Date | string>;
  day: ColumnType<Date, string, string>;
  kind: 'miss' | 'unhelpful';
  text: string;
  normalized: string;
}

/** A narrow copy of a ticket with the city days of its events (analytics/rollup.ts keeps it current). */
export interface TicketFactsTable {
  id: number;
  demand_type: DemandType;
  category_code: string | null;
  department: string | null;
  district: string | null;
  channel_id: string;
  status: TicketStatus;
  registered_at: ColumnType<Date, Date | string, Date | string>;
  registered_day: ColumnType<Date, string, string>;
  deadline_at: ColumnType<Date, Date | string, Date | string>;
  resolved_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  resolved_day: ColumnType<Date | null, string | null, string | null>;
  callback_day: ColumnType<Date | null, string | null, string | null>;
  callback_satisfaction: 1 | 2 | 3 | null;
  /** Key words of the description, for clustering (null until the roll-up took them). */
  keywords: Json<string[] | null>;
}

export interface AnalyticsReportsTable {
  id: string;
  kind: 'daily' | 'weekly' | 'monthly';
  period_start: ColumnType<string, string, string>;
  period_end: ColumnType<string, string, string>;
  status: Generated<'pending' | 'ready' | 'failed'>;
  created_at: Timestamp;
  overview: Json<Record<string, unknown> | null>;
  pdf: Buffer | null;
  error: string | null;
}
