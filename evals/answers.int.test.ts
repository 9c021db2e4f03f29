/**
 * Answer evals against a whole gateway's knowledge base: the reply must come from the expected article and
 * state the required facts; with a language model configured (its endpoint faked by nock, the one outbound
 * call a test may fake) each reply is also judged for faithfulness, and without one nothing calls out.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LlmAssistant } from '../assistant/llm.js';
import { createLogger } from '../core/logger.js';
import { KnowledgeSearch } from '../knowledge/search.js';
import { loadSynonyms } from '../knowledge/synonyms.js';
import { startTestGateway, type TestGateway } from '../test/support/gateway.js';
import nock, { onlyLocalNetwork } from '../test/support/nock.js';
import { loadSuiteText } from './load-suite.js';
import { measureAnswers } from './measure.js';
import type { AnswerEvalSuite } from './suite-schema.js';

const ORIGIN = 'https://judge.example.test';

describe('answer evals', () => {
  let gw: TestGateway;
  let search: KnowledgeSearch;
  let suite: AnswerEvalSuite;
  onlyLocalNetwork();

  beforeAll(async () => {
    gw = await startTestGateway();
    search = await new KnowledgeSearch(gw.database.db, gw.index, await loadSynonyms(gw.database.db)).start();
    const card = await gw.editorial.get('social-insurance-001');
    // Facts taken from the approved answer itself, and one the answer does not state.
    const fact = card.record.answerFull.slice(0, 6);
    suite = loadSuiteText(
      `suite: mini-answers
kind: answer
description: two questions
cases:
  - { q: 我社保卡前两天坐地铁弄丢了，里面还有钱，现在咋办啊, expect: social-insurance-001, facts: ['${fact}'], category: social-insurance }
  - { q: 社保卡丢了补办要带什么, expect: social-insurance-001, facts: ['${fact}', '火星办事处'], category: social-insurance }
`,
      'mini-answers.yaml',
    ) as AnswerEvalSuite;
  });
  afterEach(() => nock.cleanAll());
  afterAll(async () => {
    search?.stop();
    await gw?.cleanup();
  });

  it('counts a reply right only from the expected article with every required fact', async () => {
    const { summary, outcomes } = await measureAnswers(suite, (q) => search.search(q));
    expect(outcomes.map((o) => o.got)).toEqual(['social-insurance-001', 'social-insurance-001']);
    expect(outcomes.map((o) => o.passed)).toEqual([true, false]);
    expect(outcomes[1]!.detail).toMatchObject({ missing: ['火星办事处'] });
    expect(summary.metrics).toEqual({
      answerCorrectness: 0.5,
      articleAccuracy: 1,
      factRecall: 0.6667,
      answeredRate: 1,
    });
  });

  it('has a configured model judge each reply for faithfulness', async () => {
    const judged: string[] = [];
    nock(ORIGIN)
      .post('/v1/chat/completions')
      .times(2)
      .reply(async (request: Request) => {
        const body = (await request.json()) as { messages: { role: string; content: string }[] };
        judged.push(body.messages.find((m) => m.role === 'system')!.content);
        const content = JSON.stringify({ faithful: 0.75, unsupported: [] });
        return [
          200,
          {
            id: 'x',
            object: 'chat.completion',
            created: 0,
            model: 'judge',
            choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          },
        ];
      });
    const llm = new LlmAssistant(
      { baseUrl: `${ORIGIN}/v1`, model: 'judge', timeoutMs: 5000 },
      createLogger({ level: 'silent' }),
    );
    const { summary } = await measureAnswers(suite, (q) => search.search(q), {
      judge: (question, reply, article) => llm.judgeFaithfulness(question, reply, article),
    });
    expect(judged).toHaveLength(2);
    expect(judged[0]).toContain('忠实');
    expect(summary.metrics.faithfulness).toBe(0.75);
  });
});
