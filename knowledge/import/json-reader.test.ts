import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoDomains } from '../article-store.js';
import { openArticleSource } from './formats.js';
import type { ImportRow } from './rows.js';
import { validateArticle } from './validate.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'minsheng-kb-json-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function rowsOf(file: string): Promise<ImportRow[]> {
  const rows: ImportRow[] = [];
  for await (const row of (await openArticleSource(file)).rows) rows.push(row);
  return rows;
}

const electricity = {
  id: 'utilities-101',
  category: 'utilities',
  title: '居民阶梯电价',
  question: '阶梯电价怎么计算？',
  variants: ['电费为什么越用越贵'],
  answerShort: '按年度累计用电量分三档计价。',
  answerFull: '居民生活用电按年度累计用电量分三档，第一档每千瓦时0.49元，超出部分按档加价。',
  department: '市发展和改革委员会',
  tags: ['电价'],
  region: '全市',
  effectiveFrom: '2025-01-01',
  expiresAt: null,
  source: null,
};

describe('JSON readers', () => {
  it('reads a demo file: the domain is every article’s category, line is the position in the array', async () => {
    const [domain] = await loadDemoDomains();
    const rows = await rowsOf(new URL(`../demo/articles/${domain!.domain}.json`, import.meta.url).pathname);
    expect(rows).toHaveLength(domain!.articles.length);
    rows.forEach((row, i) => {
      expect(row).toMatchObject({ line: i + 1, raw: { id: domain!.articles[i]!.id, category: domain!.domain } });
      const result = validateArticle((row as { raw: Record<string, unknown> }).raw, {
        categories: new Set([domain!.domain]),
      });
      expect(result.ok).toBe(true);
    });
  });

  it('reads an array of records, rejecting items that are not objects', async () => {
    const file = path.join(dir, 'articles.json');
    await writeFile(file, JSON.stringify([electricity, 'utilities-102', { ...electricity, id: 'utilities-103' }]));
    expect(await rowsOf(file)).toEqual([
      { line: 1, raw: electricity },
      { line: 2, error: 'record 2 is not an object' },
      { line: 3, raw: { ...electricity, id: 'utilities-103' } },
    ]);
  });

  it('reads JSON Lines with the line numbers of the file, rejecting a line that is not JSON', async () => {
    const file = path.join(dir, 'articles.jsonl');
    await writeFile(
      file,
      [JSON.stringify(electricity), '', '{"id": "utilities-102", "title": 燃气}', JSON.stringify({ id: 'x' })].join(
        '\n',
      ),
    );
    const rows = await rowsOf(file);
    expect(rows.map((r) => [r.line, 'error' in r])).toEqual([
      [1, false],
      [3, true],
      [4, false],
    ]);
    expect((rows[1] as { error: string }).error).toMatch(/^not valid JSON: /);
  });

  it('fails the whole file when it is not JSON or not a list of articles', async () => {
    const broken = path.join(dir, 'broken.json');
    await writeFile(broken, '[{"id": "utilities-101",');
    await expect(rowsOf(broken)).rejects.toThrow(/not valid JSON/);
    const other = path.join(dir, 'other.json');
    await writeFile(other, '{"items": []}');
    await expect(rowsOf(other)).rejects.toThrow(/expected an array of articles/);
  });
});
