import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../core/db/database.js';
import { createLogger } from '../../core/logger.js';
import type { ArticleRecord } from '../article.js';
import { runKb } from '../cli.js';
import { embeddingsServer } from '../../test/support/embeddings-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HEADER = '编号,分类,标题,标准问,相似问法,简短答复,完整答复,主管部门,标签,生效日期,失效日期';

const row = (n: number, title: string, extra = '') =>
  `labour-${n},劳动关系与欠薪,${title},${title}怎么办？,"${title}找谁
${title}投诉",拨打12345或到区劳动保障监察大队投诉。,"持劳动合同、工资条等证据到用工所在地区劳动保障监察大队投诉。
也可申请劳动争议仲裁。",市人力资源和社会保障局,欠薪、劳动维权,2025-01-01,${extra}`;

/** Editors' first file: four good rows, a quote left open, an unknown category, a repeated id. */
const FIRST = [
  HEADER,
  row(101, '工资被拖欠'),
  row(102, '加班费不发'),
  'labour-103,labour,"未闭合的引号,问题,,短,长,部门,,2025-01-01,',
  row(104, '被辞退没有补偿'),
  row(105, '不签劳动合同').replace('劳动关系与欠薪', '劳动'),
  row(101, '工资被拖欠（重复）'),
  row(106, '试用期工资过低'),
].join('\r\n');

/** The corrected file: the same four, fixed, plus the two that failed. */
const SECOND = [
  HEADER,
  ...[101, 102, 104, 106].map((n) => row(n, `第${n}号问题（修订）`)),
  row(103, '工伤认定'),
  row(105, '不签劳动合同'),
].join('\n');

describe('npm run kb on embedded PGlite', () => {
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'minsheng-kb-cli-'));
    env = { MINSHENG_DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'warn' };
    await writeFile(path.join(dir, 'first.csv'), `\uFEFF${FIRST}`);
    await writeFile(path.join(dir, 'second.csv'), SECOND);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function kb(...argv: string[]) {
    let stdout = '';
    let stderr = '';
    const errors = new PassThrough().on('data', (d) => (stderr += d));
    const code = await runKb(argv, { stdout: { write: (text: string) => (stdout += text) }, stderr: errors, env });
    return { code, stdout, stderr };
  }

  it('a dry run validates and counts, and writes nothing', async () => {
    const { code, stdout } = await kb('import', path.join(dir, 'first.csv'), '--dry-run');
    expect(code).toBe(2);
    expect(stdout).toContain('accepted  4  (dry run, nothing written: would create 4, update 0)');
    const exported = await kb('export', path.join(dir, 'none.json'), '--status', 'all');
    expect(JSON.parse(await readFile(path.join(dir, 'none.json'), 'utf8'))).toEqual([]);
    expect(exported.code).toBe(0);
  });

  it('saves the good rows as drafts and reports the rejected ones (exit 2)', async () => {
    const report = path.join(dir, 'rejected.csv');
    const { code, stdout } = await kb('import', path.join(dir, 'first.csv'), '--report', report);
    expect(code).toBe(2);
    expect(stdout).toContain('accepted  4  (saved as drafts: created 4, updated 0)');
    expect(stdout).toContain('rejected  3');
    // Each good row spans three lines (two cells hold line breaks).
    expect(stdout).toMatch(/^8 +- +malformed quoted value/m);
    const lines = (await readFile(report, 'utf8'))
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\n');
    expect(lines[0]).toBe('line,file,id,reasons');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual([
      '8,,',
      '12,,labour-105',
      '15,,labour-101',
    ]);
    expect(lines[2]).toContain('category ""劳动"" is unknown');
    expect(lines[3]).toContain('duplicate id labour-101: first used on line 2');

    // Drafts wait for review: nothing is published yet.
    await kb('export', path.join(dir, 'published.json'));
    expect(JSON.parse(await readFile(path.join(dir, 'published.json'), 'utf8'))).toEqual([]);
  });

  it('publishes the corrected file: updates the four, creates the two (exit 0), audited as the CLI user', async () => {
    const { code, stdout } = await kb('import', path.join(dir, 'second.csv'), '--publish');
    expect(code).toBe(0);
    expect(stdout).toContain('accepted  6  (published: created 2, updated 4)');
    expect(stdout).toContain('rejected  0');

    await kb('export', path.join(dir, 'published.json'));
    const published = JSON.parse(await readFile(path.join(dir, 'published.json'), 'utf8')) as ArticleRecord[];
    expect(published.map((r) => [r.id, r.title])).toEqual([
      ['labour-101', '第101号问题（修订）'],
      ['labour-102', '第102号问题（修订）'],
      ['labour-103', '工伤认定'],
      ['labour-104', '第104号问题（修订）'],
      ['labour-105', '不签劳动合同'],
      ['labour-106', '第106号问题（修订）'],
    ]);
    expect(published[0]).toMatchObject({
      category: 'labour',
      variants: ['第101号问题（修订）找谁', '第101号问题（修订）投诉'],
      tags: ['欠薪', '劳动维权'],
      answerFull: '持劳动合同、工资条等证据到用工所在地区劳动保障监察大队投诉。\n也可申请劳动争议仲裁。',
      region: '全市',
    });

    const database = await openDatabase({ dataDir: env.MINSHENG_DATA_DIR!, logger: createLogger({ level: 'silent' }) });
    try {
      const actors = await database.db.selectFrom('audit_log').select('actor').distinct().execute();
      expect(actors.map((a) => a.actor)).toEqual([`cli:${userInfo().username}`]);
    } finally {
      await database.close();
    }
  });

  it('exits 1 with a clear message when the file cannot be read (as a process, through npm run kb)', async () => {
    const child = spawn('npm', ['run', '--silent', 'kb', '--', 'import', path.join(dir, 'missing.csv')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain(`kb import: ${path.join(dir, 'missing.csv')}: cannot read: ENOENT`);
  });

  it('re-embeds the base with the configured embedder, with progress, once', async () => {
    expect(await kb('reembed', 'extra')).toMatchObject({ code: 1, stderr: expect.stringContaining('no arguments') });
    const same = await kb('reembed');
    expect(same).toMatchObject({ code: 0, stdout: expect.stringMatching(/already built with builtin-/) });

    const endpoint = await embeddingsServer();
    try {
      const model = { EMBEDDER: 'openai', EMBEDDING_BASE_URL: endpoint.url, EMBEDDING_MODEL: 'bge-m3' };
      const saved = env;
      env = { ...saved, ...model, EMBEDDING_DIMENSIONS: '256' };
      try {
        const { code, stdout, stderr } = await kb('reembed');
        expect(code).toBe(0);
        const [, total] = /Re-embedded (\d+) phrasings with openai:bge-m3:d256@/.exec(stdout) ?? [];
        expect(Number(total)).toBeGreaterThan(0);
        expect(endpoint.texts()).toBe(Number(total));
        expect(stderr).toContain(`kb reembed: ${total}/${total} phrasings`);
        expect((await kb('reembed')).stdout).toMatch(/already built with openai:bge-m3:d256@/);
      } finally {
        env = saved;
      }
    } finally {
      endpoint.server.close();
    }
  });
});
