/**
 * Command-line options of `node bench/run.ts`, validated once with messages that say how to fix them.
 */
import { parseArgs } from 'node:util';
import { CONTESTANT_NAMES } from './contestants.ts';
import type { ContestantName } from './contestants.ts';
import type { PinMode } from './placement.ts';

/** Validated options. */
export interface BenchOptions {
  durationSeconds: number;
  warmupSeconds: number;
  rounds: number;
  connections: number;
  rate: number;
  fixedRateConnections: number;
  contestants: ContestantName[];
  workers: number[];
  pin: PinMode;
  profile: boolean;
  outDir: string;
  tollgateReadySeconds: number;
  tollgateEnv: Record<string, string>;
  /** A checkout of another Tollgate version run as `tollgate-baseline` (`--baseline`). */
  baselineRoot?: string;
  help: boolean;
}

/** Usage text for `--help`. */
export const USAGE = `Usage: node bench/run.ts [options]   (or: npm run bench -- [options])

Side-by-side proxy benchmark on loopback: upstream alone, nginx, a minimal Node proxy and Tollgate,
each with 1 and then 2 workers; max throughput with wrk and latency at a fixed rate.

  --duration <s>          seconds per measurement (wrk run and fixed-rate run each)   [10]
  --warmup <s>            unrecorded wrk run before each measurement                  [2]
  --rounds <n>            rounds, interleaved across contestants; medians reported    [3]
  --connections <n>       wrk connections                                             [64]
  --rate <n>              requests/s of the fixed-rate (open-loop) latency run        [3000]
  --fixed-connections <n> connection cap of the fixed-rate generator                  [64]
  --only <names>          comma list of: ${CONTESTANT_NAMES.join(', ')}   [all; tollgate-baseline with --baseline]
  --baseline <dir>        a checkout of another Tollgate (npm ci done) run as tollgate-baseline, side by side
  --workers <list>        worker counts to run, e.g. 1,2                              [1,2]
  --pin <auto|off>        pin contestant and load to separate CPUs with taskset       [auto]
  --profile               CPU-profile Tollgate (TOLLGATE_CPU_PROF_DIR) and the minimal proxy,
                          then print the top 15 self-time functions (numbers are then not comparable)
  --out <dir>             where the Markdown report goes              [<repo>/bench/results]
  --tollgate-ready <s>    how long Tollgate may take to answer /status/ready          [20]
  --tollgate-env K=V      extra environment for Tollgate (repeatable), e.g. TOLLGATE_PROXY_ACCESS_LOG=logs/access.log (off by default, like nginx's)
  --help                  this text
`;

function positive(name: string, raw: string, { integer, min }: { integer: boolean; min: number }): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} must be ${integer ? 'a whole number' : 'a number'} >= ${min}, got "${raw}"`);
  }
  return value;
}

function parseContestants(raw: string): ContestantName[] {
  const aliases: Record<string, ContestantName> = { node: 'minimal-node', minimal: 'minimal-node' };
  for (const name of CONTESTANT_NAMES) aliases[name] = name;
  const chosen = new Set<ContestantName>();
  for (const part of raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    const name = aliases[part];
    if (!name) throw new Error(`--only: unknown contestant "${part}"; choose from ${CONTESTANT_NAMES.join(', ')}`);
    chosen.add(name);
  }
  if (chosen.size === 0) throw new Error(`--only needs at least one of ${CONTESTANT_NAMES.join(', ')}`);
  return CONTESTANT_NAMES.filter((name) => chosen.has(name));
}

function parseWorkers(raw: string): number[] {
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean).map((s) => positive('workers', s, { integer: true, min: 1 }));
  if (list.length === 0) throw new Error('--workers needs at least one worker count, e.g. --workers 1,2');
  return [...new Set(list)];
}

function parseEnvPairs(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--tollgate-env expects KEY=VALUE, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

/** Parses and validates the command line. Throws an Error whose message is meant for the user. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '3' },
      connections: { type: 'string', default: '64' },
      rate: { type: 'string', default: '3000' },
      'fixed-connections': { type: 'string', default: '64' },
      only: { type: 'string', default: '' },
      baseline: { type: 'string', default: '' },
      workers: { type: 'string', default: '1,2' },
      pin: { type: 'string', default: 'auto' },
      profile: { type: 'boolean', default: false },
      out: { type: 'string', default: '' },
      'tollgate-ready': { type: 'string', default: '20' },
      'tollgate-env': { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.pin !== 'auto' && values.pin !== 'off') throw new Error(`--pin must be auto or off, got "${values.pin}"`);
  return {
    durationSeconds: positive('duration', values.duration, { integer: false, min: 1 }),
    warmupSeconds: positive('warmup', values.warmup, { integer: false, min: 0 }),
    rounds: positive('rounds', values.rounds, { integer: true, min: 1 }),
    connections: positive('connections', values.connections, { integer: true, min: 1 }),
    rate: positive('rate', values.rate, { integer: false, min: 1 }),
    fixedRateConnections: positive('fixed-connections', values['fixed-connections'], { integer: true, min: 1 }),
    // By default every contestant runs; the baseline only when a baseline checkout is given.
    contestants: parseContestants(values.only !== '' ? values.only : CONTESTANT_NAMES.filter((n) => n !== 'tollgate-baseline' || values.baseline !== '').join(',')),
    baselineRoot: values.baseline === '' ? undefined : values.baseline,
    workers: parseWorkers(values.workers),
    pin: values.pin,
    profile: values.profile,
    outDir: values.out,
    tollgateReadySeconds: positive('tollgate-ready', values['tollgate-ready'], { integer: false, min: 1 }),
    tollgateEnv: parseEnvPairs(values['tollgate-env']),
    help: values.help,
  };
}
