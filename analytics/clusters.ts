import { createRequire } from 'node:module';
import { Jieba, TfIdf } from '@node-rs/jieba';
import { DISTRICTS } from '../assistant/nlu/slots.js';

const require = createRequire(import.meta.url);

/** A ticket as clustering sees it. */
export interface ClusterInput {
  number: string;
  categoryCode: string;
  district: string | null;
  description: string;
  /** Its key words when already known (the roll-up stores them); otherwise taken from the description. */
  keywords?: readonly string[];
}

export interface Cluster {
  keywords: string[];
  categoryCode: string;
  tickets: ClusterInput[];
  /** The ticket sharing most of the cluster's key words. */
  typical: ClusterInput;
}

export interface ClusterOptions {
  /** Key words taken from each description. */
  keywordsPerTicket?: number;
  /** Key words a ticket must share with a cluster's leading ones to join it. */
  minShared?: number;
  /** Smaller groups are not a recurring problem. */
  minSize?: number;
  /** Key words that name a cluster. */
  labelWords?: number;
}

const DEFAULTS: Required<ClusterOptions> = { keywordsPerTicket: 6, minShared: 2, minSize: 3, labelWords: 3 };

/**
 * Words that say nothing about what the problem is: how citizens frame a complaint, and places (a
 * hot spot already groups by district). Key words come from jieba's TF-IDF over its bundled IDF table.
 */
const STOP_WORDS = new Set([
  ...DISTRICTS,
  ...DISTRICTS.map((d) => d.replace(/区$/, '')),
  '问题', '反映', '投诉', '举报', '希望', '处理', '解决', '相关', '部门', '有关', '情况', '一直', '严重',
  '我们', '你们', '他们', '现在', '已经', '还是', '没有', '什么', '怎么', '请问', '这个', '那个', '这里',
  '附近', '小区', '门口', '楼下', '每天', '今天', '昨天', '最近', '经常', '很多', '影响', '要求', '市民',
]); // prettier-ignore

let tools: { jieba: Jieba; tfidf: TfIdf } | undefined;

/** jieba's dictionary and IDF table load on first use (about half a second), never at start-up. */
function keywordTools() {
  if (tools) return tools;
  const { dict, idf } = require('@node-rs/jieba/dict') as { dict: Buffer; idf: Buffer };
  tools = { jieba: Jieba.withDict(dict), tfidf: TfIdf.withDict(idf) };
  return tools;
}

/** Key words taken from each ticket's description (the roll-up stores this many). */
export const KEYWORDS_PER_TICKET = DEFAULTS.keywordsPerTicket;

export function keywordsOf(text: string, count = DEFAULTS.keywordsPerTicket): string[] {
  const { jieba, tfidf } = keywordTools();
  // Stop words are dropped here: the binding's own stop-word setting does not take a JS Set.
  return tfidf
    .extractKeywords(jieba, text, count + STOP_WORDS.size)
    .map((k) => k.keyword)
    .filter((word) => [...word].length >= 2 && !STOP_WORDS.has(word) && !/^\d+$/.test(word))
    .slice(0, count);
}

/**
 * Recurring problems among tickets of one category: leader clustering on key words. Each ticket joins the
 * cluster whose leading key words it shares most (at least `minShared`), or starts a new one; clusters
 * of at least `minSize` tickets are returned, largest first. Deterministic for a given input order.
 */
export function clusterTickets(tickets: readonly ClusterInput[], options: ClusterOptions = {}): Cluster[] {
  const o = { ...DEFAULTS, ...options };
  const byCategory = new Map<string, ClusterInput[]>();
  for (const ticket of tickets) {
    const list = byCategory.get(ticket.categoryCode) ?? [];
    list.push(ticket);
    byCategory.set(ticket.categoryCode, list);
  }
  const clusters: Cluster[] = [];
  for (const [categoryCode, members] of byCategory) {
    if (members.length < o.minSize) continue;
    clusters.push(...clusterCategory(categoryCode, members, o));
  }
  return clusters.sort(
    (a, b) => b.tickets.length - a.tickets.length || a.keywords.join().localeCompare(b.keywords.join()),
  );
}

interface Growing {
  counts: Map<string, number>;
  members: { ticket: ClusterInput; words: string[] }[];
}

function clusterCategory(categoryCode: string, tickets: ClusterInput[], o: Required<ClusterOptions>): Cluster[] {
  const groups: Growing[] = [];
  for (const ticket of tickets) {
    const words = ticket.keywords ? [...ticket.keywords] : keywordsOf(ticket.description, o.keywordsPerTicket);
    let best: Growing | undefined;
    let bestShared = 0;
    for (const group of groups) {
      const leading = new Set(leadingWords(group.counts, o.keywordsPerTicket, group.members.length));
      const shared = words.filter((w) => leading.has(w)).length;
      if (shared > bestShared) [best, bestShared] = [group, shared];
    }
    const target = best && bestShared >= o.minShared ? best : undefined;
    const group = target ?? { counts: new Map<string, number>(), members: [] };
    if (!target) groups.push(group);
    group.members.push({ ticket, words });
    for (const word of words) group.counts.set(word, (group.counts.get(word) ?? 0) + 1);
  }
  return groups
    .filter((g) => g.members.length >= o.minSize)
    .map((g) => {
      const keywords = leadingWords(g.counts, o.labelWords);
      const overlap = (words: string[]) => words.filter((w) => keywords.includes(w)).length;
      const typical = g.members.reduce((a, b) => (overlap(b.words) > overlap(a.words) ? b : a)).ticket;
      return { keywords, categoryCode, tickets: g.members.map((m) => m.ticket), typical };
    });
}

/**
 * The most frequent words of a group, ties broken by the word so the result does not depend on Map order.
 * Only words at least half its members share lead a group: it must not drift towards
 * whatever its latest member was about.
 */
function leadingWords(counts: Map<string, number>, n: number, members = 1): string[] {
  return [...counts]
    .filter(([, count]) => count * 2 >= members)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([word]) => word);
}
