import { describe, expect, it } from 'vitest';
import { validateArticle, type ValidationContext } from './validate.js';

const ctx: ValidationContext = {
  categories: new Set([
    'social-insurance',
    'housing-fund',
    'household-registration',
    'medical-insurance',
    'tax',
    'transport',
  ]),
  categoryByName: new Map([
    ['社会保险', 'social-insurance'],
    ['税务', 'tax'],
  ]),
};

/** A row as an editor's spreadsheet gives it: every value text, lists separated. */
const flatRow = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 'social-insurance-101',
  category: 'social-insurance',
  title: ' 灵活就业人员参保登记 ',
  question: '灵活就业人员怎么交社保？',
  variants: '自由职业怎么交社保\n个体户怎么参加养老保险｜灵活就业社保在哪里办|\n自由职业怎么交社保',
  answerShort: '持身份证到户籍地或居住地社保经办机构登记，也可通过“我的城市”App办理。',
  answerFull:
    '灵活就业人员可按规定参加职工基本养老保险和职工基本医疗保险。\r\n办理渠道：区社保经办机构窗口、“我的城市”App。',
  department: '市人力资源和社会保障局',
  tags: '灵活就业、养老保险，参保登记;社保；',
  region: '',
  effectiveFrom: '2025/1/1',
  expiresAt: '',
  sourceTitle: '示例：《本市灵活就业人员参加社会保险办法》',
  sourceUrl: 'https://rsj.example.gov.cn/zcwj/2025-01.html',
  ...extra,
});

function errorsOf(raw: Record<string, unknown>): string[] {
  const result = validateArticle(raw, ctx);
  if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.record)}`);
  return result.errors;
}

describe('validateArticle', () => {
  it('normalises a flat spreadsheet row: trims, splits and de-duplicates lists, defaults the region', () => {
    const result = validateArticle(flatRow(), ctx);
    expect(result).toEqual({
      ok: true,
      record: {
        id: 'social-insurance-101',
        category: 'social-insurance',
        title: '灵活就业人员参保登记',
        question: '灵活就业人员怎么交社保？',
        variants: ['自由职业怎么交社保', '个体户怎么参加养老保险', '灵活就业社保在哪里办'],
        answerShort: '持身份证到户籍地或居住地社保经办机构登记，也可通过“我的城市”App办理。',
        answerFull:
          '灵活就业人员可按规定参加职工基本养老保险和职工基本医疗保险。\n办理渠道：区社保经办机构窗口、“我的城市”App。',
        department: '市人力资源和社会保障局',
        tags: ['灵活就业', '养老保险', '参保登记', '社保'],
        region: '全市',
        effectiveFrom: '2025-01-01',
        expiresAt: null,
        source: {
          title: '示例：《本市灵活就业人员参加社会保险办法》',
          url: 'https://rsj.example.gov.cn/zcwj/2025-01.html',
        },
      },
    });
  });

  it('accepts the structured shape: arrays, a source object and date values', () => {
    const result = validateArticle(
      {
        ...flatRow({ sourceTitle: undefined, sourceUrl: undefined }),
        variants: ['公积金提取', ' 公积金提取 ', ''],
        tags: ['公积金'],
        source: { title: '《住房公积金提取办法》', url: null },
        effectiveFrom: new Date(Date.UTC(2024, 6, 1)),
        expiresAt: '2027-01-01',
        region: '高新区',
      },
      ctx,
    );
    expect(result.ok && result.record).toMatchObject({
      variants: ['公积金提取'],
      tags: ['公积金'],
      source: { title: '《住房公积金提取办法》', url: null },
      effectiveFrom: '2024-07-01',
      expiresAt: '2027-01-01',
      region: '高新区',
    });
  });

  it('takes a category name (社会保险) for its code', () => {
    const result = validateArticle(flatRow({ category: '税务' }), ctx);
    expect(result.ok && result.record.category).toBe('tax');
  });

  it('rejects a missing answer, naming each missing field', () => {
    expect(errorsOf(flatRow({ answerFull: '   ', answerShort: undefined }))).toEqual([
      'answerShort is required',
      'answerFull is required',
    ]);
  });

  it('rejects an unknown category, naming it and a few known ones', () => {
    const [error] = errorsOf(flatRow({ category: 'pets' }));
    expect(error).toBe(
      'category "pets" is unknown (known: social-insurance, housing-fund, household-registration, medical-insurance, tax and 1 more)',
    );
  });

  it.each([
    ['2026-02-30', 'effectiveFrom "2026-02-30" is not a real date'],
    ['2025-13-01', 'effectiveFrom "2025-13-01" is not a real date'],
    ['下个月', 'effectiveFrom "下个月" is not a date (use YYYY-MM-DD)'],
    ['01/02/2025', 'effectiveFrom "01/02/2025" is not a date (use YYYY-MM-DD)'],
  ])('rejects the effective date %s', (value, reason) => {
    expect(errorsOf(flatRow({ effectiveFrom: value }))).toEqual([reason]);
  });

  it('accepts 2028-02-29 and the spellings spreadsheets produce', () => {
    for (const [value, iso] of [
      ['2028-02-29', '2028-02-29'],
      ['2025.3.1', '2025-03-01'],
      ['2025年3月1日', '2025-03-01'],
    ]) {
      const result = validateArticle(flatRow({ effectiveFrom: value }), ctx);
      expect(result.ok && result.record.effectiveFrom).toBe(iso);
    }
  });

  it('rejects an expiry on or before the effective date', () => {
    expect(errorsOf(flatRow({ effectiveFrom: '2025-06-01', expiresAt: '2025-06-01' }))).toEqual([
      'expiresAt 2025-06-01 must be after effectiveFrom 2025-06-01',
    ]);
  });

  it('rejects an id outside the pattern', () => {
    expect(errorsOf(flatRow({ id: '社保-1' }))[0]).toMatch(/^id "社保-1" is invalid/);
    expect(errorsOf(flatRow({ id: 'Social_Insurance' }))[0]).toMatch(/^id "Social_Insurance" is invalid/);
  });

  it('rejects values over the limits, counting characters, not bytes', () => {
    expect(validateArticle(flatRow({ title: '长'.repeat(200) }), ctx).ok).toBe(true);
    const errors = errorsOf(
      flatRow({
        title: '长'.repeat(201),
        answerShort: '短'.repeat(301),
        variants: Array.from({ length: 51 }, (_, i) => `问法${i}`),
      }),
    );
    expect(errors).toEqual([
      'title is too long: 201 characters (at most 200)',
      'answerShort is too long: 301 characters (at most 300)',
      'variants: too many (51, at most 50)',
    ]);
    expect(errorsOf(flatRow({ variants: ['问'.repeat(501)] }))).toEqual([
      'variant 1 is too long: 501 characters (at most 500)',
    ]);
  });

  it('rejects a source link that is not http(s), or has no title', () => {
    expect(errorsOf(flatRow({ sourceUrl: 'ftp://files.example.gov.cn/a.pdf' }))).toEqual([
      'sourceUrl "ftp://files.example.gov.cn/a.pdf" must be an http(s) URL',
    ]);
    expect(errorsOf(flatRow({ sourceTitle: '' }))).toEqual(['sourceUrl is given without sourceTitle']);
  });

  it('reports every problem of a row at once', () => {
    const errors = errorsOf({ id: 'x', category: 'pets', effectiveFrom: '2026-02-30', variants: { a: 1 } });
    expect(errors).toEqual(
      expect.arrayContaining([
        'title is required',
        'question is required',
        'answerShort is required',
        'answerFull is required',
        'department is required',
        'variants must be a list or text, not an object',
        'effectiveFrom "2026-02-30" is not a real date',
      ]),
    );
    expect(errors.some((e) => e.startsWith('id "x" is invalid'))).toBe(true);
    expect(errors.some((e) => e.startsWith('category "pets" is unknown'))).toBe(true);
  });
});
