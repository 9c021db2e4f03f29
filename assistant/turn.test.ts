import { describe, expect, it } from 'vitest';
import type { StoredActivity } from '../core/activity.js';
import type { KnowledgeHit } from '../knowledge/search.js';
import type { Analysis } from './nlu/nlu.js';
import { DECISION, runTurn, satisfactionScore, type ConversationState } from './turn.js';

const hit = (articleId: string, confidence: number, extra: Partial<KnowledgeHit> = {}): KnowledgeHit => ({
  articleId,
  title: `${articleId} 标题`,
  question: `${articleId} 的标准问法？`,
  answerShort: `${articleId} 简答`,
  answerFull: `${articleId} 完整答复。`,
  department: '市人社局',
  source: { title: '示例：人社局', url: null },
  score: 0.03,
  similarity: 0.5,
  confidence,
  signals: { similarity: 0.5, margin: 0.1, lexicalShare: 0.6, lexicalFirst: true, vectorFirst: true },
  ranks: { lexical: 1, vector: 1 },
  matched: { kind: 'question', text: `${articleId} 的标准问法？` },
  highlights: [],
  ...extra,
});

const message = (text: string, extra: Partial<StoredActivity> = {}): StoredActivity => ({
  type: 'message',
  id: 'c|0000002',
  timestamp: '2026-11-23T00:00:00Z',
  channelId: 'webchat',
  conversation: { id: 'c' },
  from: { id: 'dl_u', name: '', role: 'user' },
  text,
  ...extra,
});

const confident = [hit('a', 0.95), hit('b', 0.3)];
const close = [hit('a', 0.6), hit('b', 0.5), hit('c', 0.4), hit('d', 0.3)];
const turn = (
  text: string,
  hits: KnowledgeHit[] = [],
  state: ConversationState = {},
  extra: Partial<StoredActivity> = {},
) => runTurn({ activity: message(text, extra), state, hits });

describe('runTurn', () => {
  it('answers a clear match with the approved wording and its source, then asks if it helped', () => {
    const { replies, state } = turn('我社保卡丢了，怎么补办', confident);
    expect(replies[0]!.text).toBe('a 完整答复。（来源：示例：人社局）');
    expect(replies[0]!.channelData).toMatchObject({ knowledge: { articleId: 'a', confidence: 0.95 } });
    expect(replies[1]!.text).toBe('以上答复是否解决了您的问题？');
    expect(replies[1]!.suggestedActions?.actions.map((a) => a.value)).toEqual(['已解决', '没有解决']);
    expect(state).toMatchObject({ misses: 0, lastArticleId: 'a', turns: 1, locale: 'zh-CN' });
  });

  it('answers SMS and voice in the short form', () => {
    expect(turn('社保卡补办', confident, {}, { channelId: 'sms' }).replies[0]!.text).toMatch(/^a 简答/);
  });

  it('asks which one is meant when several articles fit about equally, instead of guessing', () => {
    const { replies, state } = turn('社保的事', close);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toMatch(/以下哪个问题/);
    expect(replies[0]!.suggestedActions?.actions.map((a) => a.value)).toEqual([
      'a 的标准问法？',
      'b 的标准问法？',
      'c 的标准问法？',
    ]);
    expect(state.misses ?? 0).toBe(0);
  });

  it('answers only at the calibrated confidence, asks between the thresholds, misses below', () => {
    expect(turn('x', [hit('a', DECISION.answer)]).replies[0]!.text).toMatch(/^a 完整答复/);
    expect(turn('x', [hit('a', DECISION.answer - 0.01)]).replies[0]!.text).toMatch(/以下哪个问题/);
    expect(turn('x', [hit('a', DECISION.suggest)]).replies[0]!.text).toMatch(/以下哪个问题/);
    expect(turn('x', [hit('a', DECISION.suggest - 0.01)]).replies[0]!.text).toMatch(/换个说法/);
  });

  it('asks for a rephrase on the first miss and offers a person or a ticket on the second', () => {
    const first = turn('量子计算机多少钱', [hit('z', 0.05)]);
    expect(first.replies[0]!.text).toMatch(/换个说法/);
    const second = turn('量子计算机在哪里买', [], first.state);
    expect(second.replies[0]!.text).toMatch(/人工/);
    expect(second.state.misses).toBe(2);
  });

  it('closes the loop on "did this help?"', () => {
    const { state } = turn('社保卡丢了怎么补办', confident);
    expect(turn('已解决', [], state).replies[0]!.text).toMatch(/感谢/);
    const notHelped = turn('没有解决', [], state);
    expect(notHelped.replies[0]!.text).toMatch(/人工/);
    expect(notHelped.state.lastArticleId).toBeUndefined();
  });

  it('replies in English when the citizen writes from an English browser', () => {
    expect(turn('hello there', [], {}, { locale: 'en-US' }).replies[0]!.text).toMatch(/^Sorry/);
  });

  it('asks for text when a message is empty or only an attachment', () => {
    expect(turn('   ').replies[0]!.text).toMatch(/文字描述/);
    expect(turn('', [], {}, { attachments: [{ contentType: 'image/png' }] }).replies[0]!.text).toMatch(/只能处理文字/);
  });

  it('stays silent on non-message activities and keeps the state', () => {
    const state = { turns: 3 };
    expect(runTurn({ activity: message('', { type: 'event', name: 'webchat/join' }), state, hits: [] })).toEqual({
      replies: [],
      state,
    });
  });

  it('addresses the reply to the sender, from the bot', () => {
    const [reply] = turn('社保卡丢了怎么补办', confident).replies;
    expect(reply).toMatchObject({
      from: { role: 'bot' },
      recipient: { id: 'dl_u' },
      channelId: 'webchat',
      type: 'message',
    });
  });
});

describe('runTurn, registering what could not be answered', () => {
  const analysis = (over: Partial<Analysis> = {}): Analysis => ({
    wantsHuman: false,
    statusQuery: false,
    demandType: { label: 'consultation', confidence: 0.9, ranked: [{ label: 'consultation', probability: 0.9 }] },
    question: true,
    advice: true,
    vague: false,
    closing: false,
    register: false,
    extraction: { slots: {}, anonymous: false, correction: false },
    ...over,
  });
  const facts = () => ({ name: '其他事项', anonymous: true, place: false });

  it('turns "登记" after a miss into a consultation ticket of that question, asking only for contact details', () => {
    const question = '我们小区的二次供水水箱多久清洗一次，有没有规定';
    const missed = runTurn({
      activity: message(question),
      state: {},
      hits: [],
      analysis: analysis({ category: { label: '10.01.02', confidence: 0.3, ranked: [] } }),
      categoryFacts: facts,
    });
    expect(missed.replies[0]!.text).toMatch(/没有找到/);
    const registering = runTurn({
      activity: message('登记'),
      state: missed.state,
      hits: [],
      analysis: analysis({ register: true, vague: true }),
      categoryFacts: facts,
    });
    expect(registering.replies[0]!.channelData).toMatchObject({ intake: { asked: 'name' } });
    expect(registering.state.intake).toMatchObject({
      demandType: 'consultation',
      description: question,
      category: '10.01.02',
    });
  });

  it('asks what it is about when there is nothing to register yet', () => {
    const { replies } = runTurn({
      activity: message('登记'),
      state: {},
      hits: [],
      analysis: analysis({ register: true }),
    });
    expect(replies[0]!.channelData).toMatchObject({ clarify: 'details' });
  });
});

describe('the satisfaction question after an agent hands back', () => {
  it('reads 1, 2 or 3 and the words for them, and nothing else', () => {
    expect(['1', '满意', '非常满意', 'satisfied'].map(satisfactionScore)).toEqual([1, 1, 1, 1]);
    expect(['2', '基本满意', '一般吧'].map(satisfactionScore)).toEqual([2, 2, 2]);
    expect(['3', '不满意', '很不满意'].map(satisfactionScore)).toEqual([3, 3, 3]);
    expect(['12345-20261204-000001', '我还有个问题', '13912345678'].map(satisfactionScore)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});
