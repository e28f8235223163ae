import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { estimateSeconds } from './run.ts';
import { parseBenchOptions } from './harness/options.ts';
import { findExecutable } from './harness/tools.ts';

const RUN = fileURLToPath(new URL('./run.ts', import.meta.url));
const haveTools = findExecutable('wrk') && findExecutable('nginx') ? false : 'wrk and nginx are needed (apt-get install -y wrk nginx)';

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runBench(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RUN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; onStderr?.(stderr, child); });
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('close', (code, signal) => { clearTimeout(guard); resolve({ code, signal, stdout, stderr }); });
  });
}

/** Processes whose command line or working directory mentions `needle` (the run's scratch directory). */
function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd.includes(needle) || readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) found.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

function scratchDir(stderr: string): string {
  const match = /scratch dir (\S+)/.exec(stderr);
  assert.ok(match, `no scratch dir in:\n${stderr}`);
  return match[1];
}

test('the time estimate covers every measurement', () => {
  const options = parseBenchOptions(['--duration', '10', '--warmup', '2', '--rounds', '3', '--workers', '1,2']);
  // 2 phases × 3 rounds × every default contestant × (2 + 2×10 + 3) s, plus start/stop allowances
  const contestants = options.contestants.length;
  assert.ok(contestants >= 10);
  assert.ok(estimateSeconds(options) >= 2 * 3 * contestants * 25);
  assert.ok(estimateSeconds(options) < 2 * 3 * contestants * 25 + 200);
});

test('--help prints usage; a bad option exits 2 with a message', async () => {
  const help = await runBench(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: node bench\/run\.ts/);
  const bad = await runBench(['--only', 'envoy']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown contestant "envoy"/);
});

test('end to end: short run writes the same Markdown to stdout and the results file, and leaves nothing running', { skip: haveTools }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'bench-run-test-'));
  try {
    const run = await runBench(['--duration', '1', '--warmup', '0', '--rounds', '2', '--workers', '1', '--only', 'upstream,nginx,node', '--rate', '500', '--out', out]);
    assert.equal(run.code, 0, run.stderr);
    const files = readdirSync(out);
    assert.equal(files.length, 1);
    assert.match(files[0], /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.md$/);
    const report = readFileSync(join(out, files[0]), 'utf8');
    assert.equal(run.stdout.trim(), report.trim());
    for (const name of ['upstream', 'nginx', 'minimal-node']) {
      assert.match(report, new RegExp(`^\\| ${name} \\| [\\d,]+ \\|`, 'm'), `${name} has no req/s in:\n${report}`);
    }
    assert.match(report, /\| minimal-node \/ nginx \| 1 \| [\d.]+× \|/);
    assert.equal(report.match(/^\| 1 \| [12] \| /gm)?.length, 6, 'two rounds of three contestants');
    assert.deepEqual(processesMentioning(scratchDir(run.stderr)), []);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('Ctrl-C stops every contestant and exits', { skip: haveTools }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'bench-run-test-'));
  let interrupted = false;
  let runningBeforeInterrupt = 0;
  try {
    const run = await runBench(['--duration', '30', '--rounds', '1', '--workers', '1', '--only', 'nginx,node', '--out', out], (stderr, child) => {
      if (!interrupted && /minimal-node: ready/.test(stderr)) {
        interrupted = true;
        setTimeout(() => {
          runningBeforeInterrupt = processesMentioning(scratchDir(stderr)).length;
          child.kill('SIGINT');
        }, 500);
      }
    });
    assert.ok(interrupted, run.stderr);
    // upstream nginx (master + worker), nginx proxy (master + worker), minimal proxy: the check below can see them
    assert.ok(runningBeforeInterrupt >= 5, `only ${runningBeforeInterrupt} contestant processes found before Ctrl-C`);
    assert.equal(run.code, 130);
    assert.match(run.stderr, /SIGINT received, stopping all contestants/);
    const scratch = scratchDir(run.stderr);
    assert.deepEqual(processesMentioning(scratch), []);
    assert.deepEqual(readdirSync(out), [], 'no report for an interrupted run');
    rmSync(scratch, { recursive: true, force: true }); // an interrupted run keeps its logs for a person to read
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
