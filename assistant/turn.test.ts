import { describe, expect, it } from 'vitest';
import type { StoredActivity } from '../core/activity.js';
import { FaqIndex } from '../knowledge/faq-index.js';
import { runTurn, type ConversationState } from './turn.js';

const knowledge = new FaqIndex([
  {
    id: 7,
    question: '社保卡丢了怎么补办？',
    variants: ['社保卡遗失如何补卡'],
    answer: '携带身份证到服务网点补卡。',
    source: '示例：人社局',
  },
]);

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

const turn = (text: string, state: ConversationState = {}, extra: Partial<StoredActivity> = {}) =>
  runTurn({ activity: message(text, extra), state }, knowledge);

describe('runTurn', () => {
  it('answers a known question with the approved wording and its source, then asks if it helped', () => {
    const { replies, state } = turn('我社保卡丢了，怎么补办');
    expect(replies[0]!.text).toBe('携带身份证到服务网点补卡。（来源：示例：人社局）');
    expect(replies[0]!.channelData).toMatchObject({ knowledge: { faqId: 7 } });
    expect(replies[1]!.text).toBe('以上答复是否解决了您的问题？');
    expect(replies[1]!.suggestedActions?.actions.map((a) => a.value)).toEqual(['已解决', '没有解决']);
    expect(state).toMatchObject({ misses: 0, lastFaqId: 7, turns: 1, locale: 'zh-CN' });
  });

  it('asks for a rephrase on the first miss and offers a person or a ticket on the second', () => {
    const first = turn('量子计算机多少钱');
    expect(first.replies[0]!.text).toMatch(/换个说法/);
    const second = turn('量子计算机在哪里买', first.state);
    expect(second.replies[0]!.text).toMatch(/人工/);
    expect(second.state.misses).toBe(2);
  });

  it('closes the loop on "did this help?"', () => {
    const { state } = turn('社保卡丢了怎么补办');
    expect(turn('已解决', state).replies[0]!.text).toMatch(/感谢/);
    const notHelped = turn('没有解决', state);
    expect(notHelped.replies[0]!.text).toMatch(/人工/);
    expect(notHelped.state.lastFaqId).toBeUndefined();
  });

  it('replies in English when the citizen writes from an English browser', () => {
    expect(turn('hello there', {}, { locale: 'en-US' }).replies[0]!.text).toMatch(/^Sorry/);
  });

  it('asks for text when a message is empty or only an attachment', () => {
    expect(turn('   ').replies[0]!.text).toMatch(/文字描述/);
    expect(turn('', {}, { attachments: [{ contentType: 'image/png' }] }).replies[0]!.text).toMatch(/只能处理文字/);
  });

  it('stays silent on non-message activities and keeps the state', () => {
    const state = { turns: 3 };
    expect(runTurn({ activity: message('', { type: 'event', name: 'webchat/join' }), state }, knowledge)).toEqual({
      replies: [],
      state,
    });
  });

  it('addresses the reply to the sender, from the bot', () => {
    const [reply] = turn('社保卡丢了怎么补办').replies;
    expect(reply).toMatchObject({
      from: { role: 'bot' },
      recipient: { id: 'dl_u' },
      channelId: 'webchat',
      type: 'message',
    });
  });
});
