import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { lastCompletePeriod, periodOf } from '../analytics/reports.js';
import { cityDay } from '../analytics/filters.js';
import { Citizen } from '../test/support/desk-client.js';
import { eventually, startTestGateway, type TestGateway } from '../test/support/gateway.js';
import { createStaff, signIn, STAFF_PASSWORD, type StaffClient } from '../test/support/staff.js';
import { chromiumMissing } from '../test/support/chromium.js';

describe('report periods', () => {
  it('are the day, the Monday-to-Sunday week and the month, and the last complete one ended before today', () => {
    expect(periodOf('weekly', '2026-12-03')).toEqual({ start: '2026-11-30', end: '2026-12-06' });
    expect(periodOf('monthly', '2026-02-10')).toEqual({ start: '2026-02-01', end: '2026-02-28' });
    expect(lastCompletePeriod('daily', '2026-12-01')).toEqual({ start: '2026-11-30', end: '2026-11-30' });
    expect(lastCompletePeriod('weekly', '2026-12-06')).toEqual({ start: '2026-11-23', end: '2026-11-29' });
    expect(lastCompletePeriod('monthly', '2027-01-01')).toEqual({ start: '2026-12-01', end: '2026-12-31' });
  });
});

describe('the analytics API', () => {
  let gw: TestGateway;
  let supervisor: StaffClient;
  let agent: StaffClient;
  let today: string;

  beforeAll(async () => {
    gw = await startTestGateway({ env: { CHROMIUM_PATH: '/usr/bin/chromium' } });
    await createStaff(gw, 'watcher', ['supervisor']);
    await createStaff(gw, 'agent-a', ['agent']);
    supervisor = await signIn(gw, 'watcher', '/api/analytics');
    agent = await signIn(gw, 'agent-a', '/api/analytics');
    today = cityDay(new Date(), gw.analytics.timeZone);

    // Through the real channel: one question answered and marked helpful, one the knowledge base cannot answer.
    const citizen = await Citizen.open(gw.url);
    await citizen.say('身份证丢了怎么补办');
    await eventually(async () =>
      (await citizen.activities()).some((a) => a.channelData?.knowledge) ? true : undefined,
    );
    await citizen.say('已解决');
    const other = await Citizen.open(gw.url);
    await other.say('<b>zzz</b>');
    await eventually(async () => ((await other.activities()).length >= 2 ? true : undefined));
    await eventually(async () => {
      await gw.analytics.rollup();
      const { body } = await supervisor('GET', '/overview');
      return body.totals.conversations === 2 && body.selfService.helpful === 1 ? true : undefined;
    });
  });
  afterAll(async () => gw?.cleanup());

  it('is for supervisors: 401 without a session, 403 for an agent', async () => {
    expect((await fetch(`${gw.url}/api/analytics/overview`)).status).toBe(401);
    expect((await agent('GET', '/overview')).status).toBe(403);
    expect((await agent('GET', '/drill/tickets')).status).toBe(403);
    expect((await agent('POST', '/reports', { kind: 'daily' })).status).toBe(403);
  });

  it('counts the conversations played through web chat', async () => {
    const { status, body } = await supervisor('GET', `/overview?from=${today}&to=${today}`);
    expect(status).toBe(200);
    expect(body.totals).toMatchObject({ conversations: 2, selfServed: 1, selfServiceRate: 0.5, tickets: 0 });
    expect(body.volume.byChannel).toEqual([{ key: 'webchat', name: '网页', counts: [2] }]);
    expect(body.unanswered).toEqual([expect.objectContaining({ text: '<b>zzz</b>', count: 1, missed: 1 })]);
    const part = await supervisor('GET', `/self-service?from=${today}&to=${today}`);
    expect(part.body).toMatchObject({ conversations: [2], selfServed: [1], answered: 1, missed: 1 });
  });

  it('rejects bad filters with a clear 400', async () => {
    const reversed = await supervisor('GET', '/overview?from=2026-12-01&to=2026-11-01');
    expect(reversed.status).toBe(400);
    expect(reversed.body.error.message).toMatch(/from: 2026-12-01 is after 2026-11-01/);
    expect((await supervisor('GET', '/overview?granularity=year')).status).toBe(400);
    expect((await supervisor('GET', '/overview?category=abc')).status).toBe(400);
    expect((await supervisor('GET', '/overview?from=2026-13-45')).status).toBe(400);
  });

  it('audits every look at the lists behind a number', async () => {
    const { status, body } = await supervisor('GET', `/drill/conversations?metric=missed&from=${today}&to=${today}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ total: 1, page: 1, pageSize: 50 });
    expect(body.items[0].firstText).toBe('<b>zzz</b>');
    const audit = await gw.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'analytics.drill')
      .where('actor', '=', 'watcher')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ target_type: 'conversations', target_id: 'missed' });
  });

  it('offers the filter dimensions', async () => {
    const { body } = await supervisor('GET', '/dimensions');
    expect(body.channels).toContainEqual({ key: 'sms', name: '短信' });
    expect(body.demandTypes).toContainEqual({ key: 'complaint', name: '投诉' });
    expect(body.categories).toContainEqual({ code: '02', name: '生态环境', level: 'major' });
    expect(body.districts).toContain('南湖区');
  });

  it.skipIf(chromiumMissing)('generates a monthly report through the queue, in XLSX, CSV, HTML and PDF', async () => {
    const month = `${today.slice(0, 7)}-01`;
    const requested = await supervisor('POST', '/reports', { kind: 'monthly', periodStart: month });
    expect(requested.status).toBe(202);
    const id = requested.body.id as string;
    expect(id).toBe(`monthly-${month}`);
    const report = await eventually(async () => {
      const { body } = await supervisor('GET', '/reports?kind=monthly');
      const found = body.items.find((r: { id: string; status: string }) => r.id === id && r.status === 'ready');
      return found;
    }, 60_000);
    expect(report.formats).toEqual(['xlsx', 'csv', 'html', 'pdf']);

    const cookie = await sessionCookie(gw, 'watcher');
    const download = (format: string) =>
      fetch(`${gw.url}/api/analytics/reports/${id}/report.${format}`, { headers: { cookie } });
    const xlsx = await download('xlsx');
    expect(xlsx.headers.get('content-type')).toContain('spreadsheetml');
    expect(xlsx.headers.get('content-disposition')).toContain("filename*=UTF-8''12345");
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Buffer.from(await xlsx.arrayBuffer()) as unknown as ExcelJS.Buffer);
    expect(workbook.worksheets.map((w) => w.name)).toContain('总体情况');

    const csv = await (await download('csv')).text();
    const rows = parse(csv.replace(/^\uFEFF/, ''), { relaxColumnCount: true }) as string[][];
    expect(rows.some((r) => r[0] === '来访会话' && r[1] === '2')).toBe(true);

    const html = await download('html');
    expect(html.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await html.text();
    expect(page).toContain('12345热线 月报');
    expect(page).not.toContain('<b>zzz</b>');
    expect(page).toContain('&lt;b&gt;zzz&lt;/b&gt;');

    const pdf = Buffer.from(await (await download('pdf')).arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const requests = await gw.database.db
      .selectFrom('audit_log')
      .select('target_id')
      .where('action', '=', 'analytics.report.request')
      .execute();
    expect(requests).toEqual([{ target_id: id }]);
  });

  it('refuses a period that has not begun and a report that does not exist', async () => {
    const future = await supervisor('POST', '/reports', { kind: 'daily', periodStart: '2999-01-01' });
    expect(future.status).toBe(400);
    expect((await supervisor('GET', '/reports/daily-2001-01-01/report.csv')).status).toBe(404);
  });

  it('queues the last complete period of each kind once', async () => {
    expect(await gw.reports.queueDue()).toBe(3);
    expect(await gw.reports.queueDue()).toBe(0);
    const { body } = await supervisor('GET', '/reports?kind=daily');
    expect(body.items.map((r: { periodStart: string }) => r.periodStart)).toContain(
      lastCompletePeriod('daily', today).start,
    );
  });
});

async function sessionCookie(gw: TestGateway, username: string): Promise<string> {
  const response = await fetch(`${gw.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: STAFF_PASSWORD }),
  });
  return response.headers.get('set-cookie')!.split(';')[0]!;
}
