import { sql, type Kysely, type Selectable } from 'kysely';
import type { AnalyticsReportsTable, Database } from '../core/db/schema.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { JobQueue } from '../core/queue/job-queue.js';
import type { AnalyticsService } from './analytics-service.js';
import { addDays, cityDay, nextPeriod, periodStart } from './filters.js';
import { htmlToPdf } from './pdf.js';
import { reportHtml, type ReportDocument } from './report-render.js';
import type { Overview, Page, ReportKind, StoredReport } from './types.js';

export const REPORT_QUEUE = 'analytics.report';
export const ROLLUP_QUEUE = 'analytics.rollup';

/** The first check for due reports waits until start-up is over; later ones follow at this interval. */
const SCHEDULE_FIRST_MS = 30_000;
const SCHEDULE_EVERY_MS = 10 * 60_000;

const GRANULARITY_OF = { daily: 'day', weekly: 'week', monthly: 'month' } as const;

/** The period of a kind that a day falls in: that day, its week (Monday to Sunday), or its month. */
export function periodOf(kind: ReportKind, day: string): { start: string; end: string } {
  const granularity = GRANULARITY_OF[kind];
  const start = periodStart(day, granularity);
  return { start, end: addDays(nextPeriod(start, granularity), -1) };
}

/** The latest period of a kind that has ended by `today` (yesterday, last week, last month). */
export const lastCompletePeriod = (kind: ReportKind, today: string) =>
  periodOf(kind, addDays(periodOf(kind, today).start, -1));

export interface AnalyticsReportsOptions {
  db: Kysely<Database>;
  analytics: AnalyticsService;
  queue: JobQueue;
  chromiumPath: string;
  logger: Logger;
  now?: () => Date;
}

/**
 * The statistical reports: daily, weekly and monthly, generated on schedule through the job queue (and on
 * request). A report freezes the period's overview when generated; XLSX, CSV and HTML are rendered from
 * it on download, the monthly report's PDF once, by Chromium, when generated.
 */
export class AnalyticsReports {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly now: () => Date;

  constructor(private readonly o: AnalyticsReportsOptions) {
    this.now = o.now ?? (() => new Date());
  }

  /** Handles report and roll-up jobs; with `schedule`, also queues due reports and the periodic roll-up. */
  async start(options: { schedule: boolean; rollupIntervalMs: number }): Promise<this> {
    await this.o.queue.work<{ id: string }>(REPORT_QUEUE, (job) => this.generate(job.data.id));
    await this.o.queue.work(ROLLUP_QUEUE, async () => {
      await this.o.analytics.rollup();
    });
    const every = (ms: number, task: () => Promise<unknown>, first = ms) => {
      const run = () =>
        void task().catch((error: unknown) => this.o.logger.warn({ err: error }, 'analytics task failed'));
      this.timers.push(setTimeout(run, first).unref(), setInterval(run, ms).unref());
    };
    // The roll-up is one job at a time across instances: a pending one makes another send a no-op.
    every(options.rollupIntervalMs, () => this.o.queue.send(ROLLUP_QUEUE, {}, { dedupeKey: 'analytics-rollup' }));
    if (options.schedule) every(SCHEDULE_EVERY_MS, () => this.queueDue(), SCHEDULE_FIRST_MS);
    return this;
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
  }

  /** Queues the last complete period of every kind that has no report yet; returns how many. */
  async queueDue(): Promise<number> {
    const today = cityDay(this.now(), this.o.analytics.timeZone);
    let queued = 0;
    for (const kind of ['daily', 'weekly', 'monthly'] as const) {
      const { start } = lastCompletePeriod(kind, today);
      const exists = await this.o.db
        .selectFrom('analytics_reports')
        .select('id')
        .where('kind', '=', kind)
        .where('period_start', '=', start)
        .executeTakeFirst();
      if (exists) continue;
      await this.request(kind, start);
      queued++;
    }
    return queued;
  }

  /**
   * Asks for a report of the period `periodStart` falls in (default: the last complete one); one that exists
   * is generated again. Returns its id at once; the queue does the work.
   */
  async request(kind: ReportKind, periodStartDay?: string): Promise<{ id: string }> {
    const today = cityDay(this.now(), this.o.analytics.timeZone);
    const period = periodStartDay ? periodOf(kind, periodStartDay) : lastCompletePeriod(kind, today);
    if (period.start > today) throw new AppError('E_VALIDATION', `the ${kind} period of ${period.start} has not begun`);
    const id = `${kind}-${period.start}`;
    await this.o.db
      .insertInto('analytics_reports')
      .values({ id, kind, period_start: period.start, period_end: period.end, overview: 'null' })
      .onConflict((oc) => oc.column('id').doUpdateSet({ status: 'pending', error: null }))
      .execute();
    await this.o.queue.send(REPORT_QUEUE, { id }, { dedupeKey: `report:${id}` });
    return { id };
  }

  /** The job: brings the figures up to date, freezes the period's overview, renders the monthly PDF. */
  async generate(id: string): Promise<void> {
    const row = await this.row(id);
    if (!row) return; // Deleted meanwhile: nothing to do.
    await this.o.analytics.rollup();
    const overview = await this.o.analytics.overview({
      from: row.period_start,
      to: row.period_end,
      granularity: 'day',
    });
    let pdf: Buffer | null = null;
    let error: string | null = null;
    if (row.kind === 'monthly') {
      try {
        pdf = await htmlToPdf(reportHtml(documentOf(row, overview)), { chromiumPath: this.o.chromiumPath });
      } catch (cause) {
        // The figures stand without their PDF: the report is ready in the other formats, and says why.
        error = `PDF: ${cause instanceof Error ? cause.message : String(cause)}`;
        this.o.logger.warn({ err: cause, report: id }, 'the monthly report PDF could not be rendered');
      }
    }
    await this.o.db
      .updateTable('analytics_reports')
      .set({ status: 'ready', overview: JSON.stringify(overview), pdf, error, created_at: sql`now()` })
      .where('id', '=', id)
      .execute();
    this.o.logger.info({ report: id }, 'analytics report generated');
  }

  async list(kind: ReportKind | undefined, page: number, pageSize: number): Promise<Page<StoredReport>> {
    let query = this.o.db.selectFrom('analytics_reports');
    if (kind) query = query.where('kind', '=', kind);
    const [rows, total] = await Promise.all([
      query
        .select(['id', 'kind', 'status', 'created_at', 'error', sql<boolean>`pdf is not null`.as('has_pdf')])
        .select([sql<string>`period_start::text`.as('period_start'), sql<string>`period_end::text`.as('period_end')])
        .orderBy('period_start', 'desc')
        .orderBy('kind')
        .limit(pageSize)
        .offset((page - 1) * pageSize)
        .execute(),
      query.select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map(storedReport), total: Number(total.count), page, pageSize };
  }

  /** A ready report as a document to render, or a clear error. */
  async document(id: string): Promise<ReportDocument> {
    const row = await this.ready(id);
    return documentOf(row, row.overview as unknown as Overview);
  }

  async pdf(id: string): Promise<{ document: ReportDocument; pdf: Buffer }> {
    const row = await this.ready(id);
    if (!row.pdf) {
      throw new AppError('E_NOT_FOUND', row.error ?? `report ${id} has no PDF (only monthly reports are printed)`);
    }
    return { document: documentOf(row, row.overview as unknown as Overview), pdf: row.pdf };
  }

  private async ready(id: string): Promise<ReportRow> {
    const row = await this.row(id);
    if (!row) throw new AppError('E_NOT_FOUND', `no report ${id}`);
    if (row.status !== 'ready' || !row.overview) {
      throw new AppError('E_CONFLICT', `report ${id} is ${row.status}; try again when it is ready`);
    }
    return row;
  }

  private async row(id: string): Promise<ReportRow | undefined> {
    return this.o.db
      .selectFrom('analytics_reports')
      .select(['id', 'kind', 'status', 'created_at', 'overview', 'pdf', 'error'])
      .select([sql<string>`period_start::text`.as('period_start'), sql<string>`period_end::text`.as('period_end')])
      .where('id', '=', id)
      .executeTakeFirst();
  }
}

type ReportRow = Pick<
  Selectable<AnalyticsReportsTable>,
  'id' | 'kind' | 'status' | 'created_at' | 'overview' | 'pdf' | 'error' | 'period_start' | 'period_end'
>;

function documentOf(row: ReportRow, overview: Overview): ReportDocument {
  return {
    kind: row.kind,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    generatedAt: overview.generatedAt,
    overview,
  };
}

function storedReport(row: {
  id: string;
  kind: ReportKind;
  status: StoredReport['status'];
  created_at: Date;
  error: string | null;
  has_pdf: boolean;
  period_start: string;
  period_end: string;
}): StoredReport {
  return {
    id: row.id,
    kind: row.kind,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    status: row.status,
    createdAt: new Date(row.created_at).toISOString(),
    error: row.error,
    formats: row.status === 'ready' ? ['xlsx', 'csv', 'html', ...(row.has_pdf ? ['pdf'] : [])] : [],
  };
}
