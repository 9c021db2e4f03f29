import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArticleRecord } from '../article.js';
import { openArticleSource } from './formats.js';
import { importArticles, type ArticleSink } from './importer.js';
import type { ImportRow } from './rows.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'minsheng-kb-md-'));
  await mkdir(path.join(dir, '户籍'));
  await writeFile(
    path.join(dir, '户籍', 'household-registration-101.md'),
    `---
id: household-registration-101
category: household-registration
title: 新生儿落户
question: 孩子出生后怎么上户口？
variants:
  - 新生儿报户口需要什么材料
  - 宝宝落户在哪里办
answerShort: 出生后一个月内，持出生医学证明和父母户口簿到派出所或网上申报。
department: 市公安局
tags: [新生儿, 落户]
effectiveFrom: 2025-01-01
source:
  title: 示例：《本市户口登记管理规定》
  url: https://gaj.example.gov.cn/hjgl.html
---

新生儿应在出生后一个月内申报出生登记。

需准备：出生医学证明、父母双方户口簿和身份证、结婚证。
`,
  );
  // The short answer and the variants as body sections instead of front matter fields.
  await writeFile(
    path.join(dir, 'environment-101.md'),
    `---
id: environment-101
category: environment
title: 夜间施工噪声投诉
question: 晚上工地施工太吵怎么办？
department: 市生态环境局
effectiveFrom: "2024-06-01"
expiresAt: "2027-06-01"
tags: 噪声、夜间施工
---

## 简短答复

可拨打12345投诉，夜间施工须持有夜间施工许可。

## 相似问法

- 工地半夜施工扰民
- 夜间施工噪音投诉电话

## 完整答复

22时至次日6时，除抢修、抢险作业和因生产工艺要求必须连续施工并取得证明的外，禁止在噪声敏感建筑物集中区域进行产生噪声的建筑施工作业。
`,
  );
  await writeFile(
    path.join(dir, 'broken.md'),
    '---\nid: environment-102\ntitle: 噪声: 投诉\ncategory: environment\n---\n正文\n',
  );
  await writeFile(path.join(dir, 'README.txt'), 'not an article');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('Markdown reader', () => {
  it('reads every .md file under a directory, one row per file named by its path', async () => {
    const source = await openArticleSource(dir);
    expect(source.format).toBe('md');
    const rows: ImportRow[] = [];
    for await (const row of source.rows) rows.push(row);
    expect(source.progress).toEqual({ done: 3, total: 3, unit: 'files' });
    expect(rows.map((r) => r.file)).toEqual([
      'broken.md',
      'environment-101.md',
      path.join('户籍', 'household-registration-101.md'),
    ]);
    // The YAML error is on the front matter's second line: the file's third.
    expect(rows[0]).toEqual({
      line: 3,
      file: 'broken.md',
      error: 'invalid front matter: Nested mappings are not allowed in compact mappings',
    });
  });

  it('takes fields from the front matter and the full answer from the body or its sections', async () => {
    const records: ArticleRecord[] = [];
    const sink: ArticleSink = {
      write: async (batch) => (records.push(...batch), { created: batch.length, updated: 0 }),
    };
    const summary = await importArticles((await openArticleSource(dir)).rows, {
      context: { categories: new Set(['household-registration', 'environment']) },
      sink,
    });
    expect(summary).toMatchObject({ read: 3, accepted: 2, rejected: 1 });
    expect(records).toEqual([
      {
        id: 'environment-101',
        category: 'environment',
        title: '夜间施工噪声投诉',
        question: '晚上工地施工太吵怎么办？',
        variants: ['工地半夜施工扰民', '夜间施工噪音投诉电话'],
        answerShort: '可拨打12345投诉，夜间施工须持有夜间施工许可。',
        answerFull:
          '22时至次日6时，除抢修、抢险作业和因生产工艺要求必须连续施工并取得证明的外，禁止在噪声敏感建筑物集中区域进行产生噪声的建筑施工作业。',
        department: '市生态环境局',
        tags: ['噪声', '夜间施工'],
        region: '全市',
        effectiveFrom: '2024-06-01',
        expiresAt: '2027-06-01',
        source: null,
      },
      expect.objectContaining({
        id: 'household-registration-101',
        variants: ['新生儿报户口需要什么材料', '宝宝落户在哪里办'],
        answerFull: '新生儿应在出生后一个月内申报出生登记。\n\n需准备：出生医学证明、父母双方户口簿和身份证、结婚证。',
        effectiveFrom: '2025-01-01',
        source: { title: '示例：《本市户口登记管理规定》', url: 'https://gaj.example.gov.cn/hjgl.html' },
      }),
    ]);
  });

  it('reads a single Markdown file', async () => {
    const source = await openArticleSource(path.join(dir, 'environment-101.md'));
    const rows: ImportRow[] = [];
    for await (const row of source.rows) rows.push(row);
    expect(rows).toEqual([
      expect.objectContaining({ line: 1, raw: expect.objectContaining({ id: 'environment-101' }) }),
    ]);
  });
});
