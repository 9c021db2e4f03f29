import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../test/support/gateway.js';
import {
  CONVERSATION_SUITES,
  loadConversationScripts,
  runConversationSuite,
  type ConversationReport,
  type ConversationSuite,
} from './conversations.js';

/**
 * The conversation suites through a whole gateway (NLU, knowledge search, intake, tickets on PGlite).
 * conversations-zh must meet the targets (slots 0.95, demand type 0.90, emergency recall 1.0 with
 * false alarms at most 2%); conversations-fresh-zh, written blind to the rules and examples, stays above
 * the level it was first measured at (see evals/README.md).
 */
describe('conversation suites', () => {
  let gw: TestGateway;
  const reports = {} as Record<ConversationSuite, ConversationReport>;

  beforeAll(async () => {
    gw = await startTestGateway();
    for (const suite of CONVERSATION_SUITES) {
      reports[suite] = await runConversationSuite(gw.broker, gw.tickets, await loadConversationScripts(suite));
    }
  }, 180_000);
  afterAll(async () => gw?.cleanup());

  /**
   * The targets on conversations-zh; on conversations-fresh-zh, the levels of its first (blind) run.
   * Emergency recall and false alarms are held to the targets on both.
   */
  const FLOORS: Record<ConversationSuite, { scripts: number; turn: number; slot: number; demandType: number }> = {
    'conversations-zh': { scripts: 60, turn: 0.95, slot: 0.95, demandType: 0.9 },
    'conversations-fresh-zh': { scripts: 40, turn: 0.94, slot: 0.9, demandType: 0.9 },
  };

  it.each(CONVERSATION_SUITES)('%s stays at or above its floors', async (suite) => {
    const report = reports[suite];
    const floor = FLOORS[suite];
    expect(report.scripts).toBe((await loadConversationScripts(suite)).length);
    expect(report.scripts).toBeGreaterThanOrEqual(floor.scripts);
    expect(report.turnAccuracy).toBeGreaterThanOrEqual(floor.turn);
    expect(report.slotAccuracy).toBeGreaterThanOrEqual(floor.slot);
    expect(report.demandTypeAccuracy).toBeGreaterThanOrEqual(floor.demandType);
    expect(report.emergencyRecall).toBe(1);
    expect(report.falseAlarmRate).toBeLessThanOrEqual(0.02);
  });

  it('registers a complaint given over several turns, with a correction, exactly as the citizen said it', async () => {
    const script = reports['conversations-zh'].results.find((r) => r.id === 'complaint-noise-01')!;
    expect(script.turns.map((t) => t.observed)).toEqual(['intake', 'confirm', 'confirm', 'registered']);
    const ticket = await gw.tickets.get(script.ticketNumber!);
    expect(ticket).toMatchObject({
      demandType: 'complaint',
      district: '南湖区',
      address: '南湖区翠湖路28号',
      name: '王先生',
      phone: '13912345678',
      status: 'registered',
    });
    expect(ticket!.number).toMatch(/^12345-\d{8}-\d{6}$/);
    expect(ticket!.department).toBeTruthy();
  });

  it('diverts an emergency that comes up in the middle of a case record', () => {
    const diverted = Object.values(reports)
      .flatMap((report) => report.results)
      .filter((r) => (r.tags.includes('mid-intake') || r.tags.includes('mid-case')) && r.tags.includes('emergency'))
      .flatMap((r) => r.turns)
      .filter((t) => t.expected.startsWith('emergency:'));
    expect(diverted.length).toBeGreaterThanOrEqual(4);
    expect(diverted.every((t) => t.observed === t.expected)).toBe(true);
  });
});
