/**
 * The single-message evals of the assistant's language understanding, on held-out suites written apart
 * from the training examples: demand type (demand-type-zh), category (category-zh), and the safety checks
 * (safety-zh: emergencies with their number, ordinary matters that use the same words, matters not
 * accepted with their reason, and acceptable ones that mention courts or petitions).
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import type { Nlu } from '../assistant/nlu/nlu.js';

interface Case {
  q: string;
  expect: string;
}

export interface SafetyReport {
  emergencies: number;
  /** Emergencies diverted at all (any number). */
  emergencyRecall: number;
  /** Emergencies diverted to the expected number. */
  rightNumber: number;
  ordinary: number;
  /** Ordinary matters with emergency words wrongly diverted. */
  falseAlarmRate: number;
  nonAcceptance: number;
  /** Matters not accepted, refused with the expected reason. */
  refusedRight: number;
  acceptable: number;
  /** Acceptable matters wrongly refused. */
  wronglyRefusedRate: number;
}

export interface Miss {
  suite: string;
  q: string;
  expected: string;
  got: string;
}

export interface ClassifierReport {
  demandType: { cases: number; accuracy: number };
  category: { cases: number; accuracyAt1: number; accuracyAt3: number };
  /** safety-zh (studied while writing the rules) and safety-fresh-zh (written blind to them). */
  safety: Record<SafetySuite, SafetyReport>;
  /** The texts each check got wrong, for the report. */
  misses: Miss[];
}

export const SAFETY_SUITES = ['safety-zh', 'safety-fresh-zh', 'safety-blind-zh'] as const;
export type SafetySuite = (typeof SAFETY_SUITES)[number];

const suite = async <T>(name: string) =>
  parse(await readFile(new URL(`./suites/${name}.yaml`, import.meta.url), 'utf8')) as T;

const share = (n: number, of: number) => (of === 0 ? 1 : n / of);

/** Counts the cases `got` labels as expected, noting the others in `misses`. */
function counter(misses: Miss[]) {
  return (cases: Case[], name: string, got: (c: Case) => string) =>
    cases.filter((c) => {
      const g = got(c);
      if (g !== c.expect) misses.push({ suite: name, q: c.q, expected: c.expect, got: g });
      return g === c.expect;
    }).length;
}

export async function runClassifierSuites(nlu: Nlu): Promise<ClassifierReport> {
  const [demand, category] = await Promise.all([
    suite<{ cases: Case[] }>('demand-type-zh'),
    suite<{ cases: Case[] }>('category-zh'),
  ]);
  const misses: Miss[] = [];
  const count = counter(misses);

  const demandRight = count(demand.cases, 'demand-type-zh', (c) => nlu.analyze(c.q).demandType.label);
  let at3 = 0;
  const categoryRight = count(category.cases, 'category-zh', (c) => {
    const result = nlu.analyze(c.q).category;
    if (result?.ranked.slice(0, 3).some((r) => r.label === c.expect)) at3++;
    return result?.label ?? 'none';
  });
  const safety = {} as Record<SafetySuite, SafetyReport>;
  for (const name of SAFETY_SUITES) safety[name] = await runSafetySuite(nlu, name, misses);
  return {
    demandType: { cases: demand.cases.length, accuracy: share(demandRight, demand.cases.length) },
    category: {
      cases: category.cases.length,
      accuracyAt1: share(categoryRight, category.cases.length),
      accuracyAt3: share(at3, category.cases.length),
    },
    safety,
    misses,
  };
}

async function runSafetySuite(nlu: Nlu, name: SafetySuite, misses: Miss[]): Promise<SafetyReport> {
  const cases = await suite<Record<'emergency' | 'ordinary' | 'nonAcceptance' | 'acceptable', Case[]>>(name);
  const count = counter(misses);
  const emergencyOf = (c: Case) => nlu.analyze(c.q).emergency?.number ?? 'none';
  const refusalOf = (c: Case) => nlu.analyze(c.q).nonAcceptance?.reason ?? 'none';
  const diverted = cases.emergency.filter((c) => emergencyOf(c) !== 'none').length;
  const rightNumber = count(cases.emergency, `${name} emergency`, emergencyOf);
  const falseAlarms = cases.ordinary.length - count(cases.ordinary, `${name} ordinary`, emergencyOf);
  const refusedRight = count(cases.nonAcceptance, `${name} nonAcceptance`, refusalOf);
  const wronglyRefused = cases.acceptable.length - count(cases.acceptable, `${name} acceptable`, refusalOf);
  return {
    emergencies: cases.emergency.length,
    emergencyRecall: share(diverted, cases.emergency.length),
    rightNumber: share(rightNumber, cases.emergency.length),
    ordinary: cases.ordinary.length,
    falseAlarmRate: share(falseAlarms, cases.ordinary.length),
    nonAcceptance: cases.nonAcceptance.length,
    refusedRight: share(refusedRight, cases.nonAcceptance.length),
    acceptable: cases.acceptable.length,
    wronglyRefusedRate: share(wronglyRefused, cases.acceptable.length),
  };
}
