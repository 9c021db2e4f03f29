/**
 * Where a process's time went, from a V8 CPU profile (`node --cpu-prof`, a `.cpuprofile` file): the
 * functions with the most self time, and self time by area (a package under node_modules, a folder of this
 * project, Node's internals, the garbage collector, idle).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  /** Microseconds since the previous sample. */
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  functions: SelfTime[];
  areas: SelfTime[];
}

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The package (node_modules/<name>), project folder or runtime part a script URL belongs to. */
function areaOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const [scope, pkg] = path.slice(modules + 13).split('/');
    return scope!.startsWith('@') ? `${scope}/${pkg}` : scope!;
  }
  if (path.startsWith(ROOT)) return `${path.slice(ROOT.length).split('/')[0]}/`;
  return path;
}

function shortWhere(url: string, line: number): string {
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const modules = path.lastIndexOf('node_modules/');
  const short = modules >= 0 ? path.slice(modules + 13) : path.startsWith(ROOT) ? path.slice(ROOT.length) : path;
  return short ? `${short}:${line + 1}` : '';
}

function top(totals: Map<string, { name: string; where: string; us: number }>, totalUs: number, limit: number) {
  return [...totals.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, limit)
    .map(({ name, where, us }) => ({ name, where, ms: us / 1000, share: us / totalUs }));
}

/** Sums the self time of each function (by name and place) and of each area. */
export function summarizeProfile(profile: CpuProfile, limit = 20): ProfileSummary {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, { name: string; where: string; us: number }>();
  const byArea = new Map<string, { name: string; where: string; us: number }>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id)?.callFrame;
    const us = profile.timeDeltas[i] ?? 0;
    if (!frame) return;
    totalUs += us;
    const name = frame.functionName || '(anonymous)';
    const where = shortWhere(frame.url, frame.lineNumber);
    const key = `${name} ${where}`;
    const fn = byFunction.get(key) ?? { name, where, us: 0 };
    fn.us += us;
    byFunction.set(key, fn);
    const areaName = areaOf(frame.url, name);
    const area = byArea.get(areaName) ?? { name: areaName, where: '', us: 0 };
    area.us += us;
    byArea.set(areaName, area);
  });
  return { totalMs: totalUs / 1000, functions: top(byFunction, totalUs, limit), areas: top(byArea, totalUs, limit) };
}

export async function readProfile(file: string, limit?: number): Promise<ProfileSummary> {
  return summarizeProfile(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, limit);
}
