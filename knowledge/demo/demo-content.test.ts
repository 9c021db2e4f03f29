/**
 * The demo knowledge base and the retrieval eval suite are data the product is judged by: hold them to
 * the rules of the knowledge issue, so an edit cannot quietly break them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadDemoDomains } from '../article-store.js';

const domains = await loadDemoDomains();
const articles = domains.flatMap((d) => d.articles);
const suite = parse(readFileSync(new URL('../../evals/suites/retrieval-zh.yaml', import.meta.url), 'utf8')) as {
  cases: { q: string; expect: string }[];
};

describe('demo knowledge base', () => {
  it('has at least 120 articles over at least 12 domains, each marked as sample data', () => {
    expect(domains.length).toBeGreaterThanOrEqual(12);
    expect(articles.length).toBeGreaterThanOrEqual(120);
    for (const d of domains) expect(d.notice).toMatch(/示例数据|Sample data/);
  });

  it('gives every article a unique id of its domain, 3+ distinct variants and both answer forms', () => {
    expect(new Set(articles.map((a) => a.id)).size).toBe(articles.length);
    for (const d of domains) {
      for (const a of d.articles) {
        expect(a.id.startsWith(`${d.domain}-`), a.id).toBe(true);
        expect(new Set([a.question, ...a.variants]).size, a.id).toBeGreaterThanOrEqual(4);
        expect([...a.answerShort].length, `${a.id} short answer fits one SMS segment`).toBeLessThanOrEqual(70);
        expect([...a.answerFull].length, a.id).toBeGreaterThan([...a.answerShort].length);
        expect(a.department, a.id).toBeTruthy();
        expect(a.effectiveFrom, a.id).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        if (a.expiresAt) expect(a.expiresAt > a.effectiveFrom, a.id).toBe(true);
      }
    }
  });
});

describe('retrieval eval suite (evals/suites/retrieval-zh.yaml)', () => {
  const ids = new Set(articles.map((a) => a.id));
  const answerable = suite.cases.filter((c) => c.expect !== 'none');

  it('has at least 300 answerable questions and 40 without an answer', () => {
    expect(answerable.length).toBeGreaterThanOrEqual(300);
    expect(suite.cases.filter((c) => c.expect === 'none').length).toBeGreaterThanOrEqual(40);
  });

  it('expects only articles that exist, and asks about every article', () => {
    for (const c of answerable) expect(ids.has(c.expect), c.expect).toBe(true);
    expect(new Set(answerable.map((c) => c.expect))).toEqual(ids);
  });

  it('words its questions independently of the article phrasings', () => {
    const phrasings = new Set(articles.flatMap((a) => [a.question, ...a.variants]));
    const copied = suite.cases.filter((c) => phrasings.has(c.q));
    expect(copied).toEqual([]);
    expect(new Set(suite.cases.map((c) => c.q)).size).toBe(suite.cases.length);
  });
});
