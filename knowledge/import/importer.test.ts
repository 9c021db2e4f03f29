import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.js';
import type { ArticleRecord } from '../article.js';
import { importArticles, ImportStoppedError, writeRejectedReport, type ArticleSink } from './importer.js';
import type { ImportRow } from './rows.js';

const context = { categories: new Set(['civil-affairs', 'utilities']) };

const article = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  category: 'civil-affairs',
  title: '高龄津贴申领',
  question: '80岁以上老人的高龄津贴怎么申请？',
  variants: ['高龄补贴在哪里办'],
  answerShort: '到户籍所在街道便民服务中心申请，次月起按月发放。',
  answerFull: '本市户籍年满80周岁的老年人，可由本人或家属持身份证、户口簿到户籍所在街道便民服务中心申请高龄津贴。',
  department: '市民政局',
  tags: ['高龄津贴', '养老'],
  effectiveFrom: '2025-01-01',
  ...extra,
});

async function* rowsOf(...rows: ImportRow[]): AsyncGenerator<ImportRow> {
  yield* rows;
}

/** Remembers every batch; fails the way it is told to. */
function recordingSink(fail?: (records: ArticleRecord[]) => Error | undefined) {
  const batches: string[][] = [];
  const sink: ArticleSink = {
    async write(records) {
      const error = fail?.(records);
      if (error) throw error;
      batches.push(records.map((r) => r.id));
      return { created: records.length, updated: 0 };
    },
  };
  return { sink, batches };
}

describe('importArticles', () => {
  it('rejects the second row with an id already used, naming the line of the first', async () => {
    const { sink, batches } = recordingSink();
    const summary = await importArticles(
      rowsOf(
        { line: 2, raw: article('civil-affairs-101') },
        { line: 3, raw: article('civil-affairs-102') },
        { line: 7, raw: article('civil-affairs-101', { title: '高龄津贴（修订）' }) },
      ),
      { context, sink },
    );
    expect(summary).toMatchObject({ read: 3, accepted: 2, rejected: 1, created: 2, updated: 0 });
    expect(summary.rejectedRows).toEqual([
      { line: 7, id: 'civil-affairs-101', reasons: ['duplicate id civil-affairs-101: first used on line 2'] },
    ]);
    expect(batches).toEqual([['civil-affairs-101', 'civil-affairs-102']]);
  });

  it('names the file of the first use when rows come from several files', async () => {
    const summary = await importArticles(
      rowsOf(
        { line: 1, file: 'a.md', raw: article('civil-affairs-101') },
        { line: 1, file: 'b.md', raw: article('civil-affairs-101', { category: 'pets' }) },
      ),
      { context, sink: recordingSink().sink },
    );
    expect(summary.rejectedRows).toEqual([
      {
        line: 1,
        file: 'b.md',
        id: 'civil-affairs-101',
        reasons: [
          'duplicate id civil-affairs-101: first used on a.md line 1',
          expect.stringMatching(/^category "pets"/),
        ],
      },
    ]);
  });

  it('reports rows a reader could not read, and invalid rows with all their reasons', async () => {
    const summary = await importArticles(
      rowsOf(
        { line: 2, error: 'unterminated quoted value' },
        { line: 3, raw: article('civil-affairs-103', { answerFull: '', effectiveFrom: '2026-02-30' }) },
      ),
      { context, sink: recordingSink().sink },
    );
    expect(summary.rejectedRows).toEqual([
      { line: 2, id: null, reasons: ['unterminated quoted value'] },
      {
        line: 3,
        id: 'civil-affairs-103',
        reasons: ['answerFull is required', 'effectiveFrom "2026-02-30" is not a real date'],
      },
    ]);
  });

  it('writes in batches as it reads', async () => {
    const { sink, batches } = recordingSink();
    const rows = Array.from({ length: 5 }, (_, i) => ({ line: i + 2, raw: article(`civil-affairs-${i + 100}`) }));
    const summary = await importArticles(rowsOf(...rows), { context, sink, batchSize: 2 });
    expect(batches.map((b) => b.length)).toEqual([2, 2, 1]);
    expect(summary).toMatchObject({ accepted: 5, created: 5 });
  });

  it('rejects only the record a write refuses, and writes the rest of its batch', async () => {
    const { sink, batches } = recordingSink((records) =>
      records.some((r) => r.id === 'civil-affairs-102')
        ? new AppError('E_CONFLICT', 'article civil-affairs-102 is retired; create a new article instead')
        : undefined,
    );
    const rows = Array.from({ length: 3 }, (_, i) => ({ line: i + 2, raw: article(`civil-affairs-${i + 101}`) }));
    const summary = await importArticles(rowsOf(...rows), { context, sink });
    expect(summary).toMatchObject({ accepted: 2, rejected: 1, created: 2 });
    expect(summary.rejectedRows).toEqual([
      {
        line: 3,
        id: 'civil-affairs-102',
        reasons: ['article civil-affairs-102 is retired; create a new article instead'],
      },
    ]);
    expect(batches).toEqual([['civil-affairs-101'], ['civil-affairs-103']]);
  });

  it('stops on a failure that is not about one record, keeping count of what was written', async () => {
    let calls = 0;
    const { sink } = recordingSink(() => (++calls === 2 ? new Error('connection terminated') : undefined));
    const rows = Array.from({ length: 5 }, (_, i) => ({ line: i + 2, raw: article(`civil-affairs-${i + 100}`) }));
    const stopped = await importArticles(rowsOf(...rows), { context, sink, batchSize: 2 }).catch((e: unknown) => e);
    expect(stopped).toBeInstanceOf(ImportStoppedError);
    expect((stopped as ImportStoppedError).message).toBe('import stopped after 4 rows: connection terminated');
    expect((stopped as ImportStoppedError).summary).toMatchObject({ read: 4, accepted: 2, created: 2 });
  });

  it('writes the rejected rows as a CSV report', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'minsheng-kb-report-'));
    try {
      const file = path.join(dir, 'rejected.csv');
      await writeRejectedReport(
        [
          { line: 5, id: null, reasons: ['unterminated quoted value'] },
          { line: 1, file: '社保/a.md', id: 'x', reasons: ['id "x" is invalid', 'title is required'] },
        ],
        file,
      );
      expect(await readFile(file, 'utf8')).toBe(
        '\uFEFFline,file,id,reasons\n5,,,unterminated quoted value\n1,社保/a.md,x,"id ""x"" is invalid; title is required"\n',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
