import { describe, expect, it } from 'vitest';
import { detectEmergency, detectNonAcceptance, wantsHuman } from './safety.js';

describe('safety checks', () => {
  it('diverts emergencies to the right number', () => {
    expect(detectEmergency('着火了着火了，我们楼下的店铺烧起来了')).toMatchObject({ kind: 'fire', number: '119' });
    expect(detectEmergency('家里燃气泄漏了，味道很大')).toMatchObject({ kind: 'gas', number: '119' });
    expect(detectEmergency('我爸突然晕倒了，叫不醒')).toMatchObject({ number: '120' });
    expect(detectEmergency('有人拿刀在街上砍人')).toMatchObject({ number: '110' });
    expect(detectEmergency('我不想活了，今晚就从楼上跳下去')).toMatchObject({ kind: 'suicide', number: '110' });
    expect(detectEmergency('两车相撞，有人倒在地上流血')).toMatchObject({ number: '122' });
  });

  it('reads an emergency said in everyday words', () => {
    expect(detectEmergency('两辆车撞了，有个骑电动车的人倒在地上流了好多血')).toMatchObject({ number: '122' });
    expect(detectEmergency('有人在撬我家的门，现在还在外面，我一个人在家好害怕')).toMatchObject({ number: '110' });
    expect(detectEmergency('我孩子刚刚在商场里不见了，五岁，穿红衣服')).toMatchObject({ number: '110' });
    expect(detectEmergency('我爸正在往一个自称警察的人账户里转钱')).toMatchObject({ number: '110' });
    expect(detectEmergency('有人掉进河里了，被水冲走了')).toMatchObject({ number: '119' });
    expect(detectEmergency('我朋友割腕了，流了好多血')).toMatchObject({ number: '120' });
    expect(detectEmergency('我妈说她不想活了，把自己关在房间里')).toMatchObject({ kind: 'suicide' });
    // A worry in another clause does not cancel what is happening now; a rescue already done calls 120.
    expect(detectEmergency('楼道里一股很重的煤气味，敲门没人开，怕里面的老人出事了')).toMatchObject({ number: '119' });
    expect(detectEmergency('孩子掉进池塘，刚被拉上来，没有呼吸了')).toMatchObject({ number: '120' });
    expect(detectEmergency('路边变压器炸了，一直在冒火花')).toMatchObject({ number: '119' });
  });

  it('does not raise an alarm for ordinary matters that use the same words', () => {
    for (const text of [
      '楼下烧烤店油烟太大了，每天熏得家里都是味道',
      '小区的消防通道被私家车堵了，物业也不管',
      '我家的燃气灶打不着火，是不是燃气表没电了',
      '两年前我家着火烧掉了房产证，现在想补办',
      '车祸受伤住院的费用，医保能不能先报',
      '燃气费怎么这么贵，涨价了吗',
      '路边的消防栓被车撞了在漏水，水流了一地',
      '燃气表不走了，是不是没电了',
      '旁边那个工地每天晚上十二点了还在打桩，根本睡不了觉',
      '车祸受伤住院的费用，医保能不能先报，当时流了好多血',
    ])
      expect(detectEmergency(text), text).toBeUndefined();
  });

  it('refuses matters already before another body, but not questions about going there', () => {
    expect(detectNonAcceptance('我已经起诉前公司了，下个月开庭')).toMatchObject({ reason: 'litigation' });
    expect(detectNonAcceptance('我跟公司的劳动仲裁正在审理，仲裁委一直拖着')).toMatchObject({ reason: 'arbitration' });
    expect(detectNonAcceptance('我申请政府信息公开')).toMatchObject({ reason: 'disclosure' });
    expect(detectNonAcceptance('公司拖欠工资，怎么申请劳动仲裁')).toBeUndefined();
    expect(detectNonAcceptance('想起诉开发商，需要准备什么')).toBeUndefined();
    expect(detectNonAcceptance('我要举报我们街道办的一个副主任，收了开发商的好处费，利用职权违规批地')).toMatchObject({
      reason: 'discipline',
    });
    expect(detectNonAcceptance('纪委的举报电话是多少')).toBeUndefined();
    expect(detectNonAcceptance('上次反映的问题已经解决了，不用去信访了，谢谢')).toBeUndefined();
    expect(detectNonAcceptance('我想知道信息公开申请一般要多久能答复')).toBeUndefined();
  });

  it('hears a request for a person', () => {
    for (const text of ['转人工', '人工', '我要找人工客服', '能不能让真人来跟我说', 'agent'])
      expect(wantsHuman(text)).toBe(true);
    expect(wantsHuman('人工湖边的路灯坏了')).toBe(false);
  });
});
