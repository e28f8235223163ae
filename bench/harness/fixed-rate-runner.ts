/**
 * Runs bench/fixed-rate.ts in its own process (so its CPU never mixes with the harness or a contestant) and
 * reads back its JSON result.
 */
import { fileURLToPath } from 'node:url';
import { runToCompletion } from './processes.ts';
import type { FixedRateResult } from '../fixed-rate.ts';

const FIXED_RATE_SCRIPT = fileURLToPath(new URL('../fixed-rate.ts', import.meta.url));

/** What to run the generator with. */
export interface FixedRateRunOptions {
  nodePath: string;
  url: string;
  rate: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  cpus?: string;
  /** Extra request headers (`name: value`). */
  headers?: readonly string[];
}

/** Reads the generator's JSON line; throws with its output when there is none. */
export function parseFixedRateOutput(stdout: string, stderr = ''): FixedRateResult {
  const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
  if (!line) throw new Error(`fixed-rate printed no result: ${(stderr || stdout).trim().slice(-600)}`);
  return JSON.parse(line) as FixedRateResult;
}

/** Runs one constant-rate measurement; bounded by warm-up + duration + 30 s. */
export async function runFixedRateProcess(options: FixedRateRunOptions): Promise<FixedRateResult> {
  const args = [
    FIXED_RATE_SCRIPT, '--url', options.url, '--rate', String(options.rate), '--duration', String(options.durationSeconds),
    '--warmup', String(options.warmupSeconds), '--connections', String(options.connections), '--drain', '5',
    ...(options.headers ?? []).flatMap((h) => ['--header', h]),
  ];
  const limitSeconds = options.warmupSeconds + options.durationSeconds + 30;
  const run = await runToCompletion({ name: 'fixed-rate', command: options.nodePath, args, cpus: options.cpus }, limitSeconds * 1000);
  if (run.timedOut) throw new Error(`fixed-rate did not finish within ${limitSeconds} s`);
  if (run.code !== 0) throw new Error(`fixed-rate exited with ${run.code ?? run.signal}: ${run.stderr.trim().slice(-600)}`);
  return parseFixedRateOutput(run.stdout, run.stderr);
}
