import { describe, expect, it } from 'vitest';
import { speakable, spokenParts } from './prompts.js';

describe('spoken text', () => {
  it('drops what is for the eye and reads long numbers digit by digit', () => {
    expect(speakable('详见 https://example.gov.cn/a?b=1 （来源：市人社局）**注意**')).toBe('详见 注意');
    expect(speakable('请拨打12345或119，工单号12345-20261123-000042')).toBe(
      '请拨打幺二三四五或幺幺九，工单号幺二三四五-二零二六幺幺二三-零零零零四二',
    );
    // Amounts, years and counts keep their units and are read as numbers.
    expect(speakable('补办费用20元，2026年起，每月10000元')).toBe('补办费用20元，2026年起，每月10000元');
  });

  it('cuts a reply into sentences, joining short ones and splitting very long ones', () => {
    expect(spokenParts('好的。正在为您转接人工坐席，请稍候。坐席接通后将看到您刚才的对话内容。')).toEqual([
      '好的。正在为您转接人工坐席，请稍候。',
      '坐席接通后将看到您刚才的对话内容。',
    ]);
    const long = '长'.repeat(200);
    expect(spokenParts(long).map((p) => p.length)).toEqual([80, 80, 40]);
    expect(spokenParts('   ')).toEqual([]);
  });
});
