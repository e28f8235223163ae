/**
 * The run loop: for each worker count, start the upstream and every selected proxy, measure them in
 * interleaved rounds (the order rotates each round so no contestant always goes first), then stop them all.
 * A contestant that fails to start is skipped with its reason; the others carry on.
 */
import type { BenchOptions } from './options.ts';
import type { ContestantName, RunningContestant, StartContext } from './contestants.ts';
import { startProxyContestant, startUpstream } from './contestants.ts';
import { measureContestant } from './measure.ts';
import type { LoadSettings, MeasurementRecord } from './measure.ts';
import { planPlacement } from './placement.ts';
import type { PhaseResult } from './report.ts';
import { formatMicrosAsMillis, formatNumber } from './stats.ts';

/** What the session needs beyond the options. */
export interface SessionEnvironment {
  options: BenchOptions;
  wrkPath: string;
  nginxPath: string;
  nodePath: string;
  canPin: boolean;
  repoRoot: string;
  workDir: string;
  cpuCount: number;
  profileRoot?: string;
  log: (line: string) => void;
}

/** Where CPU profiles of one contestant and worker count were written. */
export interface ProfileLocation {
  contestant: ContestantName;
  workers: number;
  dir: string;
}

const running = new Set<RunningContestant>();

/** Stops every contestant that is still running (proxies before the upstream); used on Ctrl-C too. */
export async function stopAllContestants(): Promise<void> {
  const list = [...running].reverse();
  running.clear();
  await Promise.all(list.map((c) => c.stop().catch(() => undefined)));
}

/** Rotates `items` left by `shift` (round 2 starts with the second contestant, and so on). */
export function rotate<T>(items: readonly T[], shift: number): T[] {
  if (items.length === 0) return [];
  const k = shift % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

function describeRecord(record: MeasurementRecord, rate: number): string {
  const parts: string[] = [];
  if (record.wrk) {
    parts.push(`${formatNumber(record.wrk.requestsPerSecond, 0)} req/s, p50 ${formatMicrosAsMillis(record.wrk.latencyUs.p50)} ms, p99 ${formatMicrosAsMillis(record.wrk.latencyUs.p99)} ms, ${formatNumber(record.wrkCpuUsPerRequest, 1)} µs CPU/req`);
  }
  if (record.fixed) parts.push(`@${rate}/s p50 ${formatMicrosAsMillis(record.fixed.latencyUs.p50)} ms, p99 ${formatMicrosAsMillis(record.fixed.latencyUs.p99)} ms`);
  const notes = [...record.errors, ...record.warnings];
  return `${parts.join(' | ')}${notes.length > 0 ? `  [${notes.join('; ')}]` : ''}`;
}

async function runPhase(env: SessionEnvironment, workers: number, profiles: ProfileLocation[]): Promise<PhaseResult> {
  const { options, log } = env;
  const placement = planPlacement(env.canPin ? options.pin : 'off', env.cpuCount, workers);
  const phase: PhaseResult = { workers, placement: placement.description, contestants: options.contestants, skipped: {}, measurements: [] };
  log(`\n== ${workers} worker(s): ${placement.description}`);
  const context: StartContext = {
    workDir: env.workDir, workers, nginxPath: env.nginxPath, nodePath: env.nodePath, repoRoot: env.repoRoot,
    profileRoot: env.profileRoot, tollgateExtraEnv: options.tollgateEnv, baselineRoot: options.baselineRoot, tollgateReadyTimeoutMs: options.tollgateReadySeconds * 1000,
  };
  let upstream: RunningContestant;
  try {
    upstream = await startUpstream(context);
    running.add(upstream);
  } catch (error) {
    for (const name of options.contestants) phase.skipped[name] = `the upstream did not start: ${(error as Error).message}`;
    log(`upstream did not start, skipping this worker count: ${(error as Error).message}`);
    return phase;
  }
  const upstreamPort = Number(new URL(upstream.url).port);
  const measured: RunningContestant[] = options.contestants.includes('upstream') ? [upstream] : [];
  for (const name of options.contestants) {
    if (name === 'upstream') continue;
    try {
      const contestant = await startProxyContestant(name, context, upstreamPort);
      running.add(contestant);
      measured.push(contestant);
      log(`${name}: ready at ${contestant.url} (pid ${contestant.process.pid})`);
    } catch (error) {
      phase.skipped[name] = (error as Error).message;
      log(`${name}: SKIPPED (${workers} worker(s)): ${(error as Error).message}`);
    }
  }
  const settings: LoadSettings = {
    wrkPath: env.wrkPath, nodePath: env.nodePath, canPin: env.canPin, durationSeconds: options.durationSeconds,
    warmupSeconds: options.warmupSeconds, connections: options.connections, rate: options.rate,
    fixedRateConnections: options.fixedRateConnections,
  };
  for (let round = 1; round <= options.rounds; round++) {
    for (const contestant of rotate(measured, round - 1)) {
      const record = await measureContestant(contestant, upstream, placement, settings, round);
      phase.measurements.push(record);
      log(`round ${round}/${options.rounds} ${contestant.name.padEnd(12)} ${describeRecord(record, options.rate)}`);
    }
  }
  for (const contestant of measured) if (contestant.profileDir) profiles.push({ contestant: contestant.name, workers, dir: contestant.profileDir });
  await stopAllContestants();
  return phase;
}

/** Runs every phase in turn and returns their results plus where profiles were written. */
export async function runSession(env: SessionEnvironment): Promise<{ phases: PhaseResult[]; profiles: ProfileLocation[] }> {
  const phases: PhaseResult[] = [];
  const profiles: ProfileLocation[] = [];
  for (const workers of env.options.workers) phases.push(await runPhase(env, workers, profiles));
  return { phases, profiles };
}
