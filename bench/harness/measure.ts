/**
 * One measurement of one contestant: place processes on CPUs, warm up, a maximum-throughput wrk run and a
 * constant-rate run, each bracketed by CPU samples of the contestant's process tree.
 */
import type { RunningContestant } from './contestants.ts';
import type { Placement } from './placement.ts';
import type { WrkResult } from './wrk.ts';
import type { FixedRateResult } from '../fixed-rate.ts';
import { runWrk } from './wrk.ts';
import { runFixedRateProcess } from './fixed-rate-runner.ts';
import { setAffinity } from './processes.ts';
import {
  busyFraction, clockTicksPerSecond, cpuMicrosPerRequest, cpuTicksBetween, expandCpuList, processTree, sampleCpuBusy, sampleCpuTicks,
} from './proc-stat.ts';

/** Load settings shared by every measurement of a run. */
export interface LoadSettings {
  wrkPath: string;
  nodePath: string;
  /** Whether `taskset` exists; without it placement is ignored. */
  canPin: boolean;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  rate: number;
  fixedRateConnections: number;
}

/** Everything recorded for one contestant in one round. */
export interface MeasurementRecord {
  contestant: string;
  workers: number;
  round: number;
  wrk?: WrkResult;
  /** CPU microseconds the contestant's processes used per request during the wrk run. */
  wrkCpuUsPerRequest?: number;
  /** CPUs' worth of time the contestant's processes used during the wrk run (1.0 = one core fully busy). */
  wrkCpuCores?: number;
  /** When pinned: how busy the contestant's CPUs were during the wrk run, counting interrupts and softirq (0..1). */
  wrkTargetCpuBusy?: number;
  fixed?: FixedRateResult;
  fixedCpuUsPerRequest?: number;
  /** Problems that did not stop the measurement (vanished worker, failed pin, ...). */
  warnings: string[];
  /** Why (part of) the measurement is missing. */
  errors: string[];
}

async function applyPlacement(target: RunningContestant, upstream: RunningContestant, placement: Placement, record: MeasurementRecord): Promise<void> {
  const measuringUpstream = target === upstream;
  const targetCpus = placement.targetCpus ?? placement.allCpus;
  const upstreamCpus = measuringUpstream ? targetCpus : placement.upstreamCpus ?? placement.allCpus;
  record.warnings.push(...await setAffinity(processTree(target.process.pid), targetCpus));
  if (!measuringUpstream) record.warnings.push(...await setAffinity(processTree(upstream.process.pid), upstreamCpus));
}

/** Measures `target` (which may be the upstream itself) once and never throws: failures land in `errors`. */
export async function measureContestant(
  target: RunningContestant, upstream: RunningContestant, placement: Placement, settings: LoadSettings, round: number,
): Promise<MeasurementRecord> {
  const record: MeasurementRecord = { contestant: target.name, workers: target.workers, round, warnings: [], errors: [] };
  const loadCpus = settings.canPin ? placement.loadCpus : undefined;
  const ticksPerSecond = clockTicksPerSecond();
  if (settings.canPin) await applyPlacement(target, upstream, placement, record);
  const wrkOptions = { wrkPath: settings.wrkPath, url: target.url, headers: target.headers, connections: settings.connections, threads: 1, cpus: loadCpus };
  try {
    if (settings.warmupSeconds > 0) await runWrk({ ...wrkOptions, durationSeconds: settings.warmupSeconds });
    const pids = processTree(target.process.pid);
    const targetCpus = loadCpus !== undefined && placement.targetCpus ? expandCpuList(placement.targetCpus) : [];
    const before = sampleCpuTicks(pids);
    const busyBefore = sampleCpuBusy(targetCpus);
    const { result } = await runWrk({ ...wrkOptions, durationSeconds: settings.durationSeconds });
    const busyAfter = sampleCpuBusy(targetCpus);
    const used = cpuTicksBetween(before, sampleCpuTicks(pids));
    record.wrk = result;
    record.wrkCpuUsPerRequest = cpuMicrosPerRequest(used.ticks, result.requests, ticksPerSecond);
    record.wrkCpuCores = result.durationSeconds > 0 ? used.ticks / ticksPerSecond / result.durationSeconds : undefined;
    record.wrkTargetCpuBusy = targetCpus.length > 0 ? busyFraction(busyBefore, busyAfter) : undefined;
    if (record.wrkTargetCpuBusy !== undefined && record.wrkTargetCpuBusy < 0.9) {
      // Its own CPUs were not saturated, so something else (usually the shared load CPU) capped req/s.
      record.warnings.push(`contestant's CPU ${placement.targetCpus} was only ${(record.wrkTargetCpuBusy * 100).toFixed(0)}% busy: req/s was limited elsewhere`);
    }
    if (used.vanished.length > 0) record.warnings.push(`processes ${used.vanished.join(', ')} exited during the wrk run; their CPU is not counted`);
    if (result.errorCount > 0) record.warnings.push(`wrk saw ${result.errorCount} errors (${JSON.stringify(result.errors)})`);
  } catch (error) {
    record.errors.push(`wrk: ${(error as Error).message}`);
  }
  try {
    const pids = processTree(target.process.pid);
    const before = sampleCpuTicks(pids);
    const result = await runFixedRateProcess({
      nodePath: settings.nodePath, url: target.url, headers: target.headers, rate: settings.rate, durationSeconds: settings.durationSeconds,
      warmupSeconds: 1, connections: settings.fixedRateConnections, cpus: loadCpus,
    });
    const used = cpuTicksBetween(before, sampleCpuTicks(pids));
    record.fixed = result;
    record.fixedCpuUsPerRequest = cpuMicrosPerRequest(used.ticks, result.completed, ticksPerSecond);
    const failed = result.non2xx + result.errors + result.incomplete;
    if (failed > 0) record.warnings.push(`fixed-rate: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.incomplete} unanswered`);
    if (result.achievedRate < result.targetRate * 0.97) {
      record.warnings.push(`fixed-rate achieved ${result.achievedRate.toFixed(0)} req/s of ${result.targetRate}`);
    }
  } catch (error) {
    record.errors.push(`fixed-rate: ${(error as Error).message}`);
  }
  return record;
}
