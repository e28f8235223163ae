/**
 * Maximum-throughput runs with wrk (closed loop: each connection sends its next request when the previous
 * answer arrives). Numbers come from wrk's own histogram through a tiny Lua `done()` hook.
 */
import { fileURLToPath } from 'node:url';
import { runToCompletion } from './processes.ts';

/** Where the Lua reporter lives (shipped beside this file). */
export const WRK_REPORT_SCRIPT = fileURLToPath(new URL('./wrk-report.lua', import.meta.url));

/** One wrk run's outcome. Latencies in microseconds. */
export interface WrkResult {
  requests: number;
  durationSeconds: number;
  requestsPerSecond: number;
  latencyUs: { mean: number; max: number; p50: number; p90: number; p99: number; p999: number };
  /** Socket errors plus non-2xx/3xx answers; a run with errors does not measure the happy path. */
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  errorCount: number;
}

interface WrkJson {
  requests: number;
  duration_us: number;
  errors: WrkResult['errors'];
  latency_us: WrkResult['latencyUs'];
}

/** Extracts the `WRK_JSON` line printed by wrk-report.lua; throws with wrk's output when it is missing. */
export function parseWrkOutput(stdout: string): WrkResult {
  const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line) throw new Error(`wrk printed no summary; its output was:\n${stdout.trim().slice(-800)}`);
  const json = JSON.parse(line.slice('WRK_JSON '.length)) as WrkJson;
  const durationSeconds = json.duration_us / 1e6;
  const errors = json.errors;
  return {
    requests: json.requests,
    durationSeconds,
    requestsPerSecond: durationSeconds > 0 ? json.requests / durationSeconds : 0,
    latencyUs: json.latency_us,
    errors,
    errorCount: errors.connect + errors.read + errors.write + errors.status + errors.timeout,
  };
}

/** What to run wrk with. */
export interface WrkOptions {
  wrkPath: string;
  url: string;
  durationSeconds: number;
  connections: number;
  threads: number;
  /** CPU list for `taskset -c`, or undefined for no pinning. */
  cpus?: string;
  /** Extra request headers (`name: value`). */
  headers?: readonly string[];
}

/** wrk's arguments; `--latency` keeps the human-readable distribution in the raw log too. */
export function wrkArgs(options: WrkOptions): string[] {
  const connections = Math.max(options.connections, options.threads);
  return [
    '-t', String(options.threads), '-c', String(connections), '-d', `${options.durationSeconds}s`,
    '--timeout', '5s', '--latency', ...(options.headers ?? []).flatMap((h) => ['-H', h]), '-s', WRK_REPORT_SCRIPT, options.url,
  ];
}

/** Runs wrk once (killed after duration + 20 s) and returns its parsed summary and raw output. */
export async function runWrk(options: WrkOptions): Promise<{ result: WrkResult; raw: string }> {
  const run = await runToCompletion(
    { name: 'wrk', command: options.wrkPath, args: wrkArgs(options), cpus: options.cpus },
    (options.durationSeconds + 20) * 1000,
  );
  if (run.timedOut) throw new Error(`wrk did not finish within ${options.durationSeconds + 20} s`);
  if (run.code !== 0) throw new Error(`wrk exited with ${run.code ?? run.signal}: ${run.stderr.trim() || run.stdout.trim()}`);
  return { result: parseWrkOutput(run.stdout), raw: run.stdout };
}
