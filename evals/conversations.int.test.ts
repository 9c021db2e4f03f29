import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../test/support/gateway.js';
import { loadConversationScripts, runConversationSuite, type ConversationReport } from './conversations.js';

/**
 * The conversation suite through a whole gateway (NLU, knowledge search, intake, tickets on PGlite).
 * The floors are the levels reached when this test was written, so a change that makes the assistant
 * worse fails here; the targets (slots 0.95, demand type 0.90, emergency recall 1.0) are not
 * reached yet and `npm run bench` reports the distance.
 */
describe('conversation suite (evals/suites/conversations-zh.yaml)', () => {
  let gw: TestGateway;
  let report: ConversationReport;

  beforeAll(async () => {
    gw = await startTestGateway();
    report = await runConversationSuite(gw.broker, gw.tickets);
  }, 120_000);
  afterAll(async () => gw?.cleanup());

  it('plays every script and stays above the measured floors', async () => {
    expect(report.scripts).toBe((await loadConversationScripts()).length);
    expect(report.scripts).toBeGreaterThanOrEqual(60);
    expect(report.turnAccuracy).toBeGreaterThanOrEqual(0.85);
    expect(report.slotAccuracy).toBeGreaterThanOrEqual(0.85);
    expect(report.demandTypeAccuracy).toBeGreaterThanOrEqual(0.75);
    expect(report.emergencyRecall).toBeGreaterThanOrEqual(0.8);
  });

  it('registers a complaint given over several turns, with a correction, exactly as the citizen said it', async () => {
    const script = report.results.find((r) => r.id === 'complaint-noise-01')!;
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
    const diverted = report.results
      .filter((r) => r.tags.includes('mid-intake') && r.tags.includes('emergency'))
      .flatMap((r) => r.turns)
      .filter((t) => t.expected.startsWith('emergency:'));
    expect(diverted.length).toBeGreaterThanOrEqual(4);
    expect(diverted.filter((t) => t.observed === t.expected).length / diverted.length).toBeGreaterThanOrEqual(0.8);
  });
});
