import matter from 'gray-matter';
import YAML from 'yaml';
import type { ArticleRecord } from '../article.js';
import { canonicalRecord } from './columns.js';

/** Optional body sections an editor may use instead of front matter fields. */
const SECTIONS: Record<string, 'answerShort' | 'variants' | 'answerFull'> = {
  简短答复: 'answerShort',
  相似问法: 'variants',
  完整答复: 'answerFull',
};
const SECTION_HEADING = /^##[ \t]+(\S+)[ \t]*$/;
const LIST_ITEM = /^\s*(?:[-*+]|\d+[.、)])\s+/;

/**
 * An article as Markdown: every field but the full answer in YAML front matter, the full answer as the
 * body. The front matter is written YAML 1.1-safe (dates and yes/no quoted) so that any front matter
 * reader (Hugo, js-yaml) gets text back, not dates or booleans.
 */
export function articleToMarkdown(record: ArticleRecord): string {
  const { answerFull, ...front } = canonicalRecord(record);
  return `---\n${YAML.stringify(front, { version: '1.1', lineWidth: 0 })}---\n\n${answerFull}\n`;
}

/**
 * The raw fields of a Markdown article: front matter fields, then the body as the full answer. The body
 * may instead hold `## 简短答复`, `## 相似问法` (a list) and `## 完整答复` sections; a field in the front
 * matter wins over its section. Throws on front matter that is not a YAML mapping.
 */
export function markdownToRaw(text: string): Record<string, unknown> {
  // YAML 1.2 (the `yaml` package) keeps an unquoted 2024-01-01 as text, where js-yaml would make a Date.
  const parsed = matter(text, { engines: { yaml: (source: string) => (YAML.parse(source) ?? {}) as object } });
  if (typeof parsed.data !== 'object' || Array.isArray(parsed.data))
    throw new Error('the front matter must be a mapping of field names to values');
  const raw: Record<string, unknown> = { ...parsed.data };
  for (const [field, value] of Object.entries(bodySections(parsed.content))) {
    if (raw[field] === undefined || raw[field] === null || raw[field] === '') raw[field] = value;
  }
  return raw;
}

function bodySections(body: string): Record<string, string | string[]> {
  const parts: Record<string, string[]> = { body: [] };
  let current = 'body';
  for (const line of body.split(/\r?\n/)) {
    const field = SECTIONS[SECTION_HEADING.exec(line)?.[1] ?? ''];
    if (field) {
      current = field;
      parts[field] = [];
    } else parts[current]!.push(line);
  }
  const sections: Record<string, string | string[]> = {
    answerFull: (parts.answerFull ?? parts.body!).join('\n').trim(),
  };
  if (parts.answerShort) sections.answerShort = parts.answerShort.join('\n').trim();
  if (parts.variants)
    sections.variants = parts.variants.map((line) => line.replace(LIST_ITEM, '').trim()).filter(Boolean);
  return sections;
}
