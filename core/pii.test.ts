import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { maskPii, maskPiiDeep } from './pii.js';

describe('maskPii', () => {
  it.each([
    ['我的电话是13812345678', '我的电话是138****5678'],
    ['+86 138-1234-5678', '+86 138****5678'],
    ['身份证110105199003071234', '身份证1101**********1234'],
    ['身份证11010519900307123X号', '身份证1101**********123X号'],
    ['座机010-87654321', '座机010-******21'],
    ['工单号12345-20261123-000042', '工单号12345-20261123-000042'],
    ['订单金额 2000 元', '订单金额 2000 元'],
  ])('%s -> %s', (input, expected) => {
    expect(maskPii(input)).toBe(expected);
  });

  it('masks nested values and leaves other types alone', () => {
    expect(maskPiiDeep({ a: ['13812345678', 3], b: { c: '13912345678' }, d: null })).toEqual({
      a: ['138****5678', 3],
      b: { c: '139****5678' },
      d: null,
    });
  });
});

describe('logger', () => {
  it('never writes a phone or ID number in clear, in messages or fields', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: 'info', destination: sink });
    logger.info({ phone: '13812345678', detail: { text: '身份证110105199003071234' } }, '来电 13912345678');
    logger.error({ err: new Error('duplicate key (phone)=(13712345678)') }, 'insert failed');
    logger.error(new Error('bad id 110105199003071235'));
    const out = lines.join('');
    expect(out).not.toMatch(/13712345678|110105199003071235/);
    expect(out).toContain('"msg":"bad id 1101**********1235"');
    expect(out).not.toMatch(/13812345678|13912345678|110105199003071234/);
    expect(out).toContain('139****5678');
    expect(out).toContain('1101**********1234');
  });
});
