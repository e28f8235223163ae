/**
 * Reads V8 `.cpuprofile` files (from `node --cpu-prof`) and lists the functions with the most self time,
 * summed over all files given (e.g. every worker of one run).
 *
 *   node bench/cpuprofile-top.ts <dir-or-file>... [--top 15]
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';

/** The parts of the Chrome DevTools CPU profile format used here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; hitCount?: number }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Self time of one function across all profiles. */
export interface FunctionSelfTime {
  functionName: string;
  /** `file:line:column` (1-based), or empty for V8's pseudo-functions like `(garbage collector)`. */
  location: string;
  selfMicros: number;
}

/** Totals over all profiles, with functions sorted by self time, largest first. */
export interface ProfileSummary {
  functions: FunctionSelfTime[];
  totalMicros: number;
  idleMicros: number;
  profileCount: number;
}

/**
 * Self time per profile node: each sample is charged the time until the next sample (the last one until the
 * profile's end), which is how DevTools attributes time. Profiles without samples fall back to hit counts.
 */
export function selfTimeByNode(profile: CpuProfile): Map<number, number> {
  const perNode = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0 && deltas.length === samples.length) {
    let timestamp = profile.startTime;
    const stamps = deltas.map((delta) => (timestamp += delta));
    for (let i = 0; i < samples.length; i++) {
      const until = i + 1 < samples.length ? stamps[i + 1] : Math.max(profile.endTime, stamps[i]);
      const spent = Math.max(0, until - stamps[i]);
      perNode.set(samples[i], (perNode.get(samples[i]) ?? 0) + spent);
    }
    return perNode;
  }
  const hits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const perHit = hits > 0 ? (profile.endTime - profile.startTime) / hits : 0;
  for (const node of profile.nodes) if (node.hitCount) perNode.set(node.id, node.hitCount * perHit);
  return perNode;
}

function locationOf(url: string, line: number, column: number, root: string): string {
  if (!url) return '';
  const path = url.startsWith('file://') ? relative(root, new URL(url).pathname) : url;
  return `${path}:${line + 1}:${column + 1}`;
}

/** Sums self time per function (same name and source position) over all `profiles`. */
export function summarizeProfiles(profiles: readonly CpuProfile[], root = process.cwd()): ProfileSummary {
  const byFunction = new Map<string, FunctionSelfTime>();
  let totalMicros = 0;
  let idleMicros = 0;
  for (const profile of profiles) {
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    for (const [id, micros] of selfTimeByNode(profile)) {
      const frame = nodes.get(id)?.callFrame;
      if (!frame) continue;
      totalMicros += micros;
      if (frame.functionName === '(idle)') {
        idleMicros += micros;
        continue;
      }
      const functionName = frame.functionName || '(anonymous)';
      const location = locationOf(frame.url, frame.lineNumber, frame.columnNumber, root);
      const key = `${functionName}\u0000${location}`;
      const entry = byFunction.get(key);
      if (entry) entry.selfMicros += micros;
      else byFunction.set(key, { functionName, location, selfMicros: micros });
    }
  }
  const functions = [...byFunction.values()].sort((a, b) => b.selfMicros - a.selfMicros);
  return { functions, totalMicros, idleMicros, profileCount: profiles.length };
}

/** Every `.cpuprofile` under the given files and directories (not recursive into subdirectories). */
export function findProfileFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) if (name.endsWith('.cpuprofile')) files.push(join(path, name));
    } else {
      files.push(path);
    }
  }
  return files;
}

/** Parses the profile files. */
export function readProfiles(files: readonly string[]): CpuProfile[] {
  return files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
}

/** A plain-text table of the top `count` functions; percentages are of busy (non-idle) time. */
export function formatTop(summary: ProfileSummary, count: number): string {
  const busy = summary.totalMicros - summary.idleMicros;
  const lines = [
    `${summary.profileCount} profile(s), ${(summary.totalMicros / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (${summary.totalMicros > 0 ? ((summary.idleMicros / summary.totalMicros) * 100).toFixed(0) : 0}% idle)`,
    `${'self ms'.padStart(10)} ${'busy %'.padStart(7)}  function  (location)`,
  ];
  for (const fn of summary.functions.slice(0, count)) {
    const share = busy > 0 ? (fn.selfMicros / busy) * 100 : 0;
    lines.push(`${(fn.selfMicros / 1000).toFixed(1).padStart(10)} ${share.toFixed(1).padStart(6)}%  ${fn.functionName}${fn.location ? `  (${fn.location})` : ''}`);
  }
  return lines.join('\n');
}

if (import.meta.main) {
  try {
    const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '15' } } });
    if (positionals.length === 0) throw new Error('usage: node bench/cpuprofile-top.ts <dir-or-file.cpuprofile>... [--top 15]');
    const files = findProfileFiles(positionals);
    if (files.length === 0) throw new Error(`no .cpuprofile files in ${positionals.join(', ')}`);
    console.log(formatTop(summarizeProfiles(readProfiles(files)), Number(values.top) || 15));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
