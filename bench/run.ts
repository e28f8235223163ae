/**
 * Side-by-side proxy benchmark: `node bench/run.ts` (or `npm run bench`). See docs/benchmarks.md.
 *
 * Starts, on loopback only, an nginx upstream, nginx as a keep-alive reverse proxy, the minimal Node proxy
 * and Tollgate; measures each with 1 and then 2 workers (max throughput with wrk, latency at a fixed rate
 * with bench/fixed-rate.ts, CPU per request from /proc); prints a Markdown report on stdout and writes it to
 * bench/results/<date>.md. Progress goes to stderr. Everything is bounded in time and every child process is
 * stopped on exit or Ctrl-C.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchOptions, USAGE } from './harness/options.ts';
import type { BenchOptions } from './harness/options.ts';
import { ensureTools } from './harness/tools.ts';
import { installCleanupHandlers, killAllChildren } from './harness/processes.ts';
import { runSession, stopAllContestants } from './harness/session.ts';
import type { ProfileLocation } from './harness/session.ts';
import { describeMachine } from './harness/machine.ts';
import { renderReport } from './harness/report.ts';
import { findProfileFiles, formatTop, readProfiles, summarizeProfiles } from './cpuprofile-top.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Node 24 from node_modules when present (what Tollgate runs on), else the node running the harness. */
function nodeBinary(): string {
  const bundled = join(REPO_ROOT, 'node_modules', 'node', 'bin', 'node');
  return existsSync(bundled) ? bundled : process.execPath;
}

/** Upper bound of the whole run in seconds: every measurement plus generous start/stop allowances. */
export function estimateSeconds(options: BenchOptions): number {
  const perMeasurement = options.warmupSeconds + 2 * options.durationSeconds + 1 + 2;
  const perPhase = options.rounds * options.contestants.length * perMeasurement + 10 + options.tollgateReadySeconds + 20;
  return options.workers.length * perPhase;
}

function fileStamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, '').replaceAll(':', '-');
}

function profileSection(profiles: readonly ProfileLocation[]): string {
  if (profiles.length === 0) return '';
  const parts = ['', '## CPU profiles (top 15 self time)', ''];
  for (const location of profiles) {
    let files: string[] = [];
    try {
      files = findProfileFiles([location.dir]);
    } catch {
      // directory never created: nothing was written
    }
    parts.push(`### ${location.contestant}, ${location.workers} worker(s): ${location.dir}`, '');
    if (files.length === 0) {
      parts.push(`No .cpuprofile files. V8 writes them only when a process exits cleanly${location.contestant === 'tollgate' ? ': Tollgate must honour TOLLGATE_CPU_PROF_DIR and let its workers exit normally on SIGTERM' : ''}.`, '');
      continue;
    }
    parts.push('```', formatTop(summarizeProfiles(readProfiles(files), REPO_ROOT), 15), '```', '');
  }
  return parts.join('\n');
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    log(`bench: ${(error as Error).message}\n(run with --help for all options)`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (process.platform !== 'linux') {
    log('bench: needs Linux (/proc for CPU accounting, taskset for pinning)');
    return 2;
  }
  const started = new Date();
  const tools = await ensureTools(log);
  const nodePath = nodeBinary();
  const workDir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
  const profileRoot = options.profile ? join(workDir, 'profiles') : undefined;
  installCleanupHandlers(stopAllContestants);

  const budgetSeconds = Math.ceil(estimateSeconds(options) * 1.5 + 60);
  setTimeout(() => {
    log(`bench: still running after ${budgetSeconds} s (expected about ${estimateSeconds(options)} s); stopping everything`);
    void stopAllContestants().finally(() => {
      killAllChildren();
      process.exit(1);
    });
  }, budgetSeconds * 1000).unref();

  const machine = await describeMachine(started, tools.nginx, tools.wrk, nodePath);
  log(`bench: ${machine.cpuCount} CPUs (${machine.cpuModel}), Node ${machine.nodeVersion}; about ${Math.round(estimateSeconds(options) / 60)} min; scratch dir ${workDir}`);
  if (!tools.taskset) log('bench: taskset not found: nothing will be pinned');
  const { phases, profiles } = await runSession({
    options, wrkPath: tools.wrk, nginxPath: tools.nginx, nodePath, canPin: tools.taskset !== undefined, repoRoot: REPO_ROOT,
    workDir, cpuCount: availableParallelism(), profileRoot, log,
  });

  const commandLine = ['node bench/run.ts', ...process.argv.slice(2)].join(' ');
  const report = renderReport(machine, {
    durationSeconds: options.durationSeconds, warmupSeconds: options.warmupSeconds, rounds: options.rounds,
    connections: options.connections, rate: options.rate, fixedRateConnections: options.fixedRateConnections,
    profile: options.profile, commandLine,
  }, phases) + profileSection(profiles);

  const outDir = options.outDir ? resolve(options.outDir) : join(REPO_ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const reportPath = join(outDir, `${fileStamp(started)}.md`);
  writeFileSync(reportPath, report);
  process.stdout.write(`\n${report}`);
  log(`\nbench: report written to ${reportPath}`);

  const anySkipped = phases.some((p) => Object.keys(p.skipped).length > 0);
  if (anySkipped || options.profile) {
    log(`bench: logs${options.profile ? ' and profiles' : ''} kept in ${workDir}`);
    appendFileSync(reportPath, `\n_Logs${options.profile ? ' and profiles' : ''}: ${workDir}_\n`);
  } else {
    rmSync(workDir, { recursive: true, force: true });
  }
  const measuredAnything = phases.some((p) => p.measurements.some((m) => m.wrk || m.fixed));
  return measuredAnything ? 0 : 1;
}

if (import.meta.main) {
  try {
    process.exitCode = await main();
  } catch (error) {
    log(`bench: ${(error as Error).message}`);
    await stopAllContestants();
    process.exitCode = 1;
  }
}
