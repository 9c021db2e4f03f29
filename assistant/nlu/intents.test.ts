import { describe, expect, it } from 'vitest';
import { asksAdvice, asksToRegister, demandCue, isClosing, isQuestion, isStatusQuery, isVague } from './intents.js';

describe('conversation intents', () => {
  it("takes the citizen's own word for the demand type, the first one said", () => {
    expect(demandCue('那我要投诉我们公司，合同一直拖着不签')).toBe('complaint');
    expect(demandCue('我要匿名举报，临江区工业园有个厂往河里排污水')).toBe('report');
    expect(demandCue('举报村口有人天天烧垃圾')).toBe('report');
    expect(demandCue('我想表扬一下供水公司的抢修师傅')).toBe('praise');
    expect(demandCue('被投诉的商家怎么申诉')).toBeUndefined();
    expect(demandCue('建议开一条直达地铁的公交')).toBeUndefined();
  });

  it('tells an announcement from a matter, and a goodbye from a reply', () => {
    expect(isVague('我要反映个事')).toBe(true);
    expect(isVague('你好，有个问题想问一下')).toBe(true);
    expect(isVague('我要投诉')).toBe(true);
    expect(isVague('电梯坏了')).toBe(false);
    expect(isClosing('好的，明白了，谢谢')).toBe(true);
    expect(isClosing('好的')).toBe(false);
    expect(isClosing('谢谢，那还要带什么材料')).toBe(false);
  });

  it('hears a status question without a number, and advice from a request to act', () => {
    expect(isStatusQuery('我前几天投诉的那个事有人管了吗')).toBe(true);
    expect(isStatusQuery('帮我查一下工单进度')).toBe(true);
    expect(isStatusQuery('我要投诉楼下的饭店')).toBe(false);
    expect(isQuestion('公积金能取出来交房租吗')).toBe(true);
    expect(asksAdvice('入职半年了单位一直不签劳动合同怎么办')).toBe(true);
    expect(asksAdvice('停电三个小时了，什么时候能来电')).toBe(false);
  });

  it('hears the offer to register taken up, and only that', () => {
    for (const text of ['登记', '帮我登记一下', '立个工单吧', 'ticket']) expect(asksToRegister(text), text).toBe(true);
    expect(asksToRegister('登记结婚要带什么')).toBe(false);
  });
});
