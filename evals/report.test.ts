import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mainMetrics, renderReport, summaryJson, type RunSummary, type TrendPoint } from './report.js';
import { fmtMetric, fmtPercent } from './report-charts.js';

/** The sample run: a RunSummary plus the trend of the last four runs (the current one last). */
function fixture(): { run: RunSummary; trend: TrendPoint[] } {
  const { trend, ...run } = JSON.parse(
    readFileSync(new URL('./fixtures/run-summary.json', import.meta.url), 'utf8'),
  ) as RunSummary & { trend: TrendPoint[] };
  return { run, trend };
}

describe('eval report', () => {
  const { run, trend } = fixture();
  const html = renderReport(run, trend);

  it('is one self-contained UTF-8 document in Chinese', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toMatch(/<style>[^]+<\/style>/);
    for (const label of ['评测报告', '套件', '用例数', '失败', '指标', '趋势', '分类', '混淆矩阵', '阈值']) {
      expect(html).toContain(label);
    }
    expect(html).toContain('知识库版本');
    expect(html).toContain('向量模型');
    expect(html).toContain('kb-7f3a9c2e41b0');
    expect(html).toContain('builtin-v3');
  });

  it('names every suite and shows the overall state and each threshold', () => {
    for (const suite of run.suites) expect(html).toContain(`<h3>${suite.suite}</h3>`);
    expect(run.passed).toBe(false);
    expect(html).toMatch(/<h1>评测报告<\/h1><span class="badge fail" data-result="FAIL">未通过<\/span>/);
    expect(html.match(/<tr class="miss">/g)).toHaveLength(2);
    expect(html.match(/<tr class="ok">/g)).toHaveLength(6);
    expect(html).toContain('6/8 项阈值通过');
    const passing = renderReport({ ...run, passed: true, thresholds: run.thresholds.filter((t) => t.passed) }, trend);
    expect(passing).toContain('data-result="PASS">通过</span>');
    expect(passing).not.toContain('<tr class="miss">');
  });

  it('escapes every string from the data, in HTML, SVG titles and attributes', () => {
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>急</b>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;社保卡丢了怎么补办');
    expect(html).not.toContain('"onerror=');
    expect(html).toContain('公积金贷款&quot;onerror=alert(2)');
    expect(html).toContain('孩子户口随迁要啥材料 &amp; 多久能办好');
    // A category with '&' in a bar's <title> and label.
    expect(html).toMatch(/<title>水电气 &amp; 供暖 · Hit@1: 88\.9%/);

    // Hostile strings in every field, including ones that end up in attributes.
    const evil = '<img onerror=alert(9)>"\'&';
    const escaped = '&lt;img onerror=alert(9)&gt;&quot;&#39;&amp;';
    const [first] = run.suites;
    const hostile: RunSummary = {
      ...run,
      id: evil,
      knowledgeVersion: evil,
      embedder: evil,
      thresholds: [{ suite: evil, metric: evil, min: 0.5, actual: 0.4, passed: false }],
      suites: [
        {
          ...first!,
          suite: evil,
          metrics: { [evil]: 0.5 },
          byCategory: [{ category: evil, cases: 1, metrics: { [evil]: 0.5 } }],
          confusion: {
            labels: [evil, 'ok'],
            matrix: [
              [1, 2],
              [0, 3],
            ],
          },
          failed: [{ id: evil, question: evil, expected: evil, got: evil, detail: evil }],
        },
      ],
    };
    const out = renderReport(hostile, [{ id: evil, startedAt: evil, metrics: { [`${evil}/${evil}`]: 0.5 } }]);
    expect(out).not.toContain('<img');
    expect(out).not.toMatch(/"'&(?!amp;|lt;|gt;|quot;|#39;)/);
    expect(out.split(escaped).length).toBeGreaterThan(10);
    // No value breaks out of its attribute: outside the quoted values, every tag holds only the renderer's names.
    for (const tag of out.match(/<[a-z][^>]*>/g) ?? []) {
      expect(tag.replace(/="[^"]*"/g, '').replace(/\/?>$/, '')).toMatch(/^<[a-z0-9]+(\s[a-z][a-z0-9-]*)*$/i);
    }
  });

  it('refers to nothing outside the document and needs no script', () => {
    for (const out of [html, renderReport(run, trend, { lang: 'en' })]) {
      expect(out).not.toMatch(/https?:\/\//);
      expect(out).not.toMatch(/\bsrc=/);
      expect(out).not.toMatch(/url\(|@import|<link|<script|<img|<iframe/i);
      for (const href of out.match(/href="[^"]*"/g) ?? []) expect(href).toMatch(/^href="#/);
    }
  });

  it('formats shares as percentages with one decimal and milliseconds as integers', () => {
    expect(fmtPercent(0.8765)).toBe('87.7%');
    expect(fmtPercent(1)).toBe('100.0%');
    expect(fmtPercent(0)).toBe('0.0%');
    expect(fmtPercent(0.0065)).toBe('0.7%');
    expect(fmtPercent(NaN)).toBe('–');
    expect(fmtMetric('latencyMs', 112.6)).toBe('113 ms');
    expect(html).toContain('<div class="v">87.7%</div>'); // retrieval-zh hitAt1 0.8765
    expect(html).toContain('P50<b>38 ms</b>'); // retrieval-zh p50 38.4
    expect(html).toContain('P99<b>6120 ms</b>'); // answers-zh p99 6120.4
    expect(html).toContain('≥ 90.0%');
    expect(html).toContain('≤ 2.0%');
    expect(html).toContain('2026-11-23 09:30'); // 01:30Z in Beijing time
  });

  it('charts the main metrics: a trend per suite, bars per category weakest first, one confusion matrix', () => {
    expect(mainMetrics(run.suites[0]!)).toEqual(['hitAt1', 'hitAt5', 'mrr']);
    expect(mainMetrics({ ...run.suites[0]!, kind: 'answer', metrics: { p50Ms: 3, recallX: 0.5 } })).toEqual([
      'recallX',
    ]);
    expect(html.match(/<svg class="chart trend"/g)).toHaveLength(run.suites.length);
    expect(html.match(/<svg class="chart bars"/g)).toHaveLength(run.suites.length);
    expect(html.match(/<table class="confusion">/g)).toHaveLength(1);
    // 4 runs × 3 metrics of retrieval-zh, every point with a tooltip.
    const retrievalTrend = html.match(/<svg class="chart trend"[^]*?<\/svg>/)![0];
    expect(retrievalTrend.match(/<circle /g)).toHaveLength(12);
    expect(retrievalTrend).toContain('eval-20261102-0930');
    // Categories ascending: 城市管理 (66.7%) first, 民政 (95.5%) last.
    const bars = html.match(/<svg class="chart bars"[^]*?<\/svg>/)![0];
    const labels = [...bars.matchAll(/<text class="label"[^>]*>([^<]*)</g)].map((m) => m[1]);
    expect(labels[0]).toBe('城市管理');
    expect(labels.at(-1)).toBe('民政');
    // Diagonal highlighted.
    expect(html.match(/<td class="num diag"/g)).toHaveLength(6);
  });

  it('caps the categories at 30, weakest first', () => {
    const [first] = run.suites;
    const many = Array.from({ length: 45 }, (_, i) => ({ category: `c${i}`, cases: 3, metrics: { hitAt1: i / 45 } }));
    const out = renderReport({ ...run, suites: [{ ...first!, byCategory: many }] }, trend);
    const bars = out.match(/<svg class="chart bars"[^]*?<\/svg>/)![0];
    expect(bars.match(/<rect /g)).toHaveLength(30);
    expect(bars).toContain('>c0<');
    expect(bars).not.toContain('>c44<');
    expect(out).toContain('最弱的 30 个分类，共 45 个');
  });

  it('copes with one trend point, no trend, no categories, no failures and no thresholds', () => {
    const bare: RunSummary = {
      ...run,
      thresholds: [],
      passed: true,
      suites: run.suites.map((s) => ({ ...s, byCategory: [], failed: [], confusion: undefined })),
    };
    const one = renderReport(bare, trend.slice(-1));
    expect(one.match(/<svg class="chart trend"/g)).toHaveLength(run.suites.length);
    expect(one).not.toContain('<polyline');
    expect(one).toContain('没有分类数据');
    expect(one).toContain('没有失败用例');
    expect(one).toContain('未设置阈值');
    expect(one).not.toContain('混淆矩阵');
    // No history at all: the current run is the single point.
    const none = renderReport(bare, []);
    expect(none.match(/<svg class="chart trend"/g)).toHaveLength(run.suites.length);
    expect(() => renderReport({ ...bare, suites: [] }, [])).not.toThrow();
    const empty = renderReport({ ...bare, suites: [{ ...bare.suites[0]!, metrics: {} }] }, []);
    expect(empty).toContain('暂无趋势数据');
  });

  it('speaks English when asked', () => {
    const en = renderReport(run, trend, { lang: 'en' });
    expect(en).toContain('<html lang="en">');
    for (const label of ['Evaluation report', 'Thresholds', 'Trend', 'Categories', 'Confusion matrix', 'Failed cases'])
      expect(en).toContain(label);
    expect(en).toContain('data-result="FAIL">FAIL</span>');
    expect(en).not.toMatch(/评测报告|混淆矩阵|知识库版本/);
  });

  it('writes the summary as pretty JSON', () => {
    const json = summaryJson(run);
    expect(JSON.parse(json)).toEqual(run);
    expect(json).toContain('\n  "id": "eval-20261123-0930"');
  });
});
