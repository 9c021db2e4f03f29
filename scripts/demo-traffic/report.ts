/** The summary printed at the end of a run. */
import { CHANNELS } from './channels.js';
import type { DemoTrafficOptions, DemoTrafficResult } from './run.js';

const seconds = (ms: number) =>
  ms >= 60_000 ? `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;

function table(rows: [string, string | number][]): string {
  const width = Math.max(...rows.map(([label]) => [...label].length));
  return rows.map(([label, value]) => `  ${label.padEnd(width + 2)}${value}`).join('\n');
}

export function formatSummary(result: DemoTrafficResult, options: DemoTrafficOptions): string {
  const { played, tickets } = result;
  const ok = played.filter((p) => !p.error);
  const count = (f: (p: (typeof played)[number]) => boolean) => played.filter(f).length;
  const handoffs = count((p) => p.handoff !== undefined);
  const byKind = (kind: string) => count((p) => p.handoff === kind);
  const agentStats = result.agents.flatMap((a) => (a.stats ? [a.stats] : []));
  const sum = (key: 'accepted' | 'declined' | 'transferred' | 'handedBack' | 'tickets') =>
    agentStats.reduce((n, s) => n + s[key], 0);
  const status = (name: string) => tickets.byStatus[name] ?? 0;
  const lines = [
    '',
    `民声 demo traffic: ${played.length} conversations played through the channels in ${seconds(result.timings.playMs)}; ` +
      `${seconds(result.totalMs)} in all (start ${seconds(result.timings.startMs)}, last deliveries ` +
      `${seconds(result.timings.settleMs)}, lifecycle, time spread and roll-up ${seconds(result.timings.afterMs)}).`,
    `Database: ${result.database}.`,
    `Timestamps were spread AFTER playing: every conversation ran just now and was then moved back to a day of the`,
    `last ${options.days} days (weekday and office-hour pattern; the hot spot mostly in the last 7 days), with its`,
    `tickets' deadlines recomputed on the working calendar and their numbers following the new registration day.`,
    '',
    'Conversations by channel',
    table(CHANNELS.map((c) => [c, count((p) => p.spec.channel === c)])),
    '',
    'Tickets',
    table([
      ['registered', tickets.registered],
      [
        'open (registered / dispatched / in progress)',
        `${status('registered')} / ${status('dispatched')} / ${status('in_progress')}`,
      ],
      ['  of them past their deadline', tickets.overdueOpen],
      ['resolved, awaiting callback', status('resolved')],
      ['closed', status('closed')],
      ['resolved after the deadline', tickets.resolvedLate],
      [
        'callbacks: satisfied / fairly / dissatisfied',
        `${tickets.callbacks[1]} / ${tickets.callbacks[2]} / ${tickets.callbacks[3]}`,
      ],
      ['renumbered to their registration day', tickets.renumbered],
    ]),
    '',
    'Handoffs and emergencies',
    table([
      ['conversations handed to agents', handoffs],
      ['accepted by demo agents', sum('accepted')],
      ['transferred between agents', sum('transferred')],
      ['handed back (satisfaction asked)', sum('handedBack')],
      ['tickets registered from the desk', sum('tickets')],
      ['abandoned for a ticket (登记) / citizen left', `${byKind('abandoned')} / ${byKind('left')}`],
      ['emergencies diverted (119/110/120/122)', count((p) => p.emergency)],
      ['satisfaction answers after a hand-back', count((p) => p.satisfaction !== undefined)],
    ]),
    '',
    `Analytics: ${result.rolledUp} conversations rolled up. Voice calls are not played (the voice bot needs a speech model).`,
  ];
  const failed = played.filter((p) => p.error);
  const problems = [
    ...failed.map((p) => `#${p.spec.index} ${p.spec.kind} on ${p.spec.channel}: ${p.error}`),
    ...tickets.errors,
  ];
  for (const a of agentStats) problems.push(...a.errors);
  if (problems.length) {
    lines.push('', `Problems (${problems.length}):`, ...problems.slice(0, 12).map((p) => `  - ${p}`));
    if (problems.length > 12) lines.push(`  … and ${problems.length - 12} more`);
  }
  lines.push(
    '',
    `Demo accounts (password: ${options.password}${result.createdAccounts.length ? '' : ', created by an earlier run'}):`,
    ...result.agents.map((a) => `  ${a.username.padEnd(12)} ${a.displayName}  ${a.roles}`),
  );
  if (result.adminPassword) {
    lines.push(
      `  admin        系统管理员  admin, first start of this database: password ${result.adminPassword} (shown once)`,
    );
  }
  lines.push(
    '',
    'See it on the dashboard: npm start, then open http://127.0.0.1:3000/dashboard and sign in as demo.zhao',
    `(${ok.length} of ${played.length} conversations played without a problem).`,
    '',
  );
  return lines.join('\n');
}
