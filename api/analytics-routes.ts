import { REPORT_CSP } from '../core/html.js';
import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import { CONVERSATION_METRICS, TICKET_STATES, type AnalyticsService } from '../analytics/analytics-service.js';
import { CHANNEL_NAMES, DEMAND_TYPE_NAMES, cityDay, resolveFilters } from '../analytics/filters.js';
import type { AnalyticsReports } from '../analytics/reports.js';
import { reportCsv, reportFileName, reportHtml, reportXlsx, type ReportDocument } from '../analytics/report-render.js';
import { GRANULARITIES, REPORT_KINDS, type AnalyticsFilters } from '../analytics/types.js';
import type { StaffAccounts } from '../core/accounts.js';
import { audit, type Actor } from '../core/audit.js';
import type { Database } from '../core/db/schema.js';
import { requireStaff } from './staff-auth.js';

export interface AnalyticsRoutesOptions {
  db: Kysely<Database>;
  accounts: StaffAccounts;
  analytics: AnalyticsService;
  reports: AnalyticsReports;
}

/** Who reads the figures and the lists behind them. */
export const ANALYTICS_ROLES = ['supervisor', 'admin'] as const;

const tags = ['analytics'];
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const filterProperties = {
  from: Type.Optional(Day),
  to: Type.Optional(Day),
  granularity: Type.Optional(Type.Union(GRANULARITIES.map((g) => Type.Literal(g)))),
  channel: Type.Optional(Type.String({ maxLength: 64 })),
  demandType: Type.Optional(Type.String({ maxLength: 64 })),
  category: Type.Optional(Type.String({ maxLength: 16 })),
  district: Type.Optional(Type.String({ maxLength: 64 })),
};
const Filters = Type.Object(filterProperties);
const Paging = {
  page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
  pageSize: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
};
const Kind = Type.Union(REPORT_KINDS.map((k) => Type.Literal(k)));
const ReportId = Type.Object({ id: Type.String({ pattern: '^(daily|weekly|monthly)-\\d{4}-\\d{2}-\\d{2}$' }) });

const FORMATS = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
} as const;

/**
 * The supervisors' numbers as JSON (the dashboard reads them, and so can a city's own BI), the lists
 * behind a number (each look is audited: they show citizens' words), and the statistical reports.
 */
export const analyticsRoutes: FastifyPluginAsyncTypebox<AnalyticsRoutesOptions> = async (app, options) => {
  const { analytics, reports } = options;
  const read = requireStaff(options.accounts, ANALYTICS_ROLES);
  const filtersOf = (query: Static<typeof Filters>): AnalyticsFilters =>
    resolveFilters(query, cityDay(new Date(), analytics.timeZone));

  app.get(
    '/dimensions',
    { schema: { tags, summary: 'What the figures can be filtered by' }, preValidation: read },
    async () => ({
      channels: Object.entries(CHANNEL_NAMES).map(([key, name]) => ({ key, name })),
      demandTypes: Object.entries(DEMAND_TYPE_NAMES).map(([key, name]) => ({ key, name })),
      categories: analytics.categories(),
      districts: await analytics.districts(),
    }),
  );

  /** A list behind a number shows citizens' words: every look at one is audited. */
  const auditLook = (actor: Actor, list: string, which: string, detail: Record<string, unknown>) =>
    audit(options.db, actor, { action: 'analytics.drill', targetType: list, targetId: which, detail });

  const part = <T>(url: string, summary: string, figure: (f: AnalyticsFilters) => Promise<T>) =>
    app.get(url, { schema: { tags, summary, querystring: Filters }, preValidation: read }, (request) =>
      figure(filtersOf(request.query)),
    );
  part('/overview', 'Every figure of the dashboard at once', (f) => analytics.overview(f));
  part('/volume', 'Conversations by channel, tickets by demand type, category and district', (f) =>
    analytics.volume(f),
  );
  part('/self-service', 'Conversations the assistant resolved alone, by period', (f) => analytics.selfService(f));
  part('/handoffs', 'Handoffs to agents: rate, reasons, queue waits', (f) => analytics.handoffs(f));
  part('/deadlines', 'Ticket deadline compliance and overdue tickets, by department', (f) => analytics.deadlines(f));
  part('/satisfaction', 'Satisfaction from ticket callbacks and after agents', (f) => analytics.satisfaction(f));
  part('/unanswered', 'Questions the knowledge base had no good answer to, most asked first', (f) =>
    analytics.unanswered(f),
  );
  part('/hotspots', 'Category and district pairs rising against the previous period', (f) => analytics.hotspots(f));
  part('/clusters', 'Recurring problems found in ticket descriptions', (f) => analytics.clusters(f));

  app.get(
    '/drill/conversations',
    {
      schema: {
        tags,
        summary: 'The conversations behind a number',
        querystring: Type.Object({
          ...filterProperties,
          metric: Type.Union(
            CONVERSATION_METRICS.map((m) => Type.Literal(m)),
            { default: 'all' },
          ),
          period: Type.Optional(Day),
          ...Paging,
        }),
      },
      preValidation: read,
    },
    async (request) => {
      const { metric, period, page, pageSize, ...query } = request.query;
      const filters = filtersOf(query);
      await auditLook(request.staff!.actor, 'conversations', metric, { filters, period, page });
      return analytics.drillConversations(filters, metric, { period, page, pageSize });
    },
  );

  app.get(
    '/drill/tickets',
    {
      schema: {
        tags,
        summary: 'The tickets behind a number (overdue: open and past the deadline now, whenever registered)',
        querystring: Type.Object({
          ...filterProperties,
          state: Type.Union(
            TICKET_STATES.map((s) => Type.Literal(s)),
            { default: 'all' },
          ),
          period: Type.Optional(Day),
          ...Paging,
        }),
      },
      preValidation: read,
    },
    async (request) => {
      const { state, period, page, pageSize, ...query } = request.query;
      const filters = filtersOf(query);
      await auditLook(request.staff!.actor, 'tickets', state, { filters, period, page });
      return analytics.drillTickets(filters, state, { period, page, pageSize });
    },
  );

  app.get(
    '/reports',
    {
      schema: {
        tags,
        summary: 'Stored statistical reports, newest period first',
        querystring: Type.Object({ kind: Type.Optional(Kind), ...Paging }),
      },
      preValidation: read,
    },
    (request) => reports.list(request.query.kind, request.query.page, request.query.pageSize),
  );

  app.post(
    '/reports',
    {
      schema: {
        tags,
        summary: 'Generate a report now (default: the last complete period); an existing one is regenerated',
        body: Type.Object({ kind: Kind, periodStart: Type.Optional(Day) }),
      },
      preValidation: read,
    },
    async (request, reply) => {
      const { kind, periodStart } = request.body;
      const requested = await reports.request(kind, periodStart);
      await audit(options.db, request.staff!.actor, {
        action: 'analytics.report.request',
        targetType: 'analytics_report',
        targetId: requested.id,
      });
      return reply.code(202).send(requested);
    },
  );

  const send = (reply: FastifyReply, document: ReportDocument, format: keyof typeof FORMATS, body: unknown) => {
    const name = reportFileName(document, format);
    return reply
      .type(FORMATS[format])
      .header(
        'content-disposition',
        `${format === 'html' ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(name)}`,
      )
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', REPORT_CSP)
      .send(body);
  };
  const download = (format: keyof typeof FORMATS, summary: string) =>
    app.get(
      `/reports/:id/report.${format}`,
      { schema: { tags, summary, params: ReportId }, preValidation: read },
      async (request, reply) => {
        const { id } = request.params;
        if (format === 'pdf') {
          const { document, pdf } = await reports.pdf(id);
          return send(reply, document, format, pdf);
        }
        const document = await reports.document(id);
        const body =
          format === 'xlsx'
            ? await reportXlsx(document)
            : format === 'csv'
              ? reportCsv(document)
              : reportHtml(document);
        return send(reply, document, format, body);
      },
    );
  download('xlsx', 'A report as an Excel workbook');
  download('csv', 'A report as CSV (UTF-8 with BOM)');
  download('html', 'A report as a printable page');
  download('pdf', 'The monthly report as PDF');
};
