import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ratioRows, renderPhaseTable, renderRatioTable, renderReport, summarizePhase } from './report.ts';
import type { PhaseResult } from './report.ts';
import type { MeasurementRecord } from './measure.ts';

function record(contestant: string, round: number, rps: number, p99: number, fixedP99: number, cpu: number): MeasurementRecord {
  return {
    contestant, workers: 1, round, warnings: [], errors: [],
    wrk: {
      requests: rps * 10, durationSeconds: 10, requestsPerSecond: rps,
      latencyUs: { mean: 1, max: 1, p50: p99 / 2, p90: p99, p99, p999: p99 },
      errors: { connect: 0, read: 0, write: 0, status: 0, timeout: 0 }, errorCount: 0,
    },
    wrkCpuUsPerRequest: cpu,
    wrkCpuCores: 1,
    fixed: {
      targetRate: 3000, achievedRate: 3000, sent: 30000, completed: 30000, non2xx: round === 1 && contestant === 'tollgate' ? 2 : 0, errors: 0, incomplete: 0,
      latencyUs: { p50: fixedP99 / 4, p90: fixedP99, p99: fixedP99, p999: fixedP99, max: fixedP99 },
      serviceUs: { p50: 1, p90: 1, p99: 1, p999: 1, max: 1 }, sendLagUs: { p50: 1, p90: 1, p99: 1, p999: 1, max: 1 },
    },
    fixedCpuUsPerRequest: cpu * 2,
  };
}

const phase: PhaseResult = {
  workers: 1,
  placement: 'pinned',
  contestants: ['upstream', 'nginx', 'minimal-node', 'tollgate'],
  skipped: {},
  measurements: [
    record('upstream', 1, 100_000, 300, 200, 5), record('upstream', 2, 120_000, 500, 400, 5), record('upstream', 3, 110_000, 400, 300, 5),
    record('nginx', 1, 50_000, 1000, 500, 10), record('nginx', 2, 60_000, 1200, 700, 10), record('nginx', 3, 40_000, 1100, 600, 12),
    record('minimal-node', 1, 20_000, 4000, 800, 40), record('minimal-node', 2, 22_000, 5000, 900, 42), record('minimal-node', 3, 21_000, 4500, 1000, 44),
    record('tollgate', 1, 10_000, 9000, 1300, 80), record('tollgate', 2, 12_000, 11_000, 1500, 90), record('tollgate', 3, 11_000, 10_000, 1400, 100),
  ],
};

test('summarizePhase takes medians over rounds and the added p99 against the upstream', () => {
  const summaries = summarizePhase(phase);
  const nginx = summaries.find((s) => s.name === 'nginx');
  assert.equal(nginx?.requestsPerSecond, 50_000);
  assert.deepEqual(nginx?.requestsPerSecondRange, { min: 40_000, max: 60_000 });
  assert.equal(nginx?.p99Us, 1100);
  assert.equal(nginx?.cpuUsPerRequest, 10);
  assert.equal(nginx?.fixedP99Us, 600);
  assert.equal(nginx?.fixedP99AddedUs, 600 - 300);
  assert.equal(summaries.find((s) => s.name === 'upstream')?.fixedP99AddedUs, undefined);
  assert.equal(summaries.find((s) => s.name === 'tollgate')?.failedRequests, 2);
});

test('ratioRows compares Tollgate with nginx and the minimal proxy', () => {
  const rows = ratioRows(summarizePhase(phase));
  const vsNginx = rows.find((r) => r.subject === 'tollgate' && r.baseline === 'nginx');
  assert.equal(vsNginx?.throughput, 11_000 / 50_000);
  assert.equal(vsNginx?.p99, 10_000 / 1100);
  assert.equal(vsNginx?.fixedP99, 1400 / 600);
  assert.equal(vsNginx?.cpuPerRequest, 90 / 10);
  const vsNode = rows.find((r) => r.subject === 'tollgate' && r.baseline === 'minimal-node');
  assert.equal(vsNode?.throughput, 11_000 / 21_000);
  assert.ok(rows.some((r) => r.subject === 'minimal-node' && r.baseline === 'nginx'));
});

test('each auth scenario is compared with the plain route', () => {
  const summaries = summarizePhase({
    ...phase,
    contestants: ['tollgate', 'tollgate-basic-auth', 'tollgate-jwt-hs256', 'tollgate-jwt-rs256'],
    measurements: ['tollgate', 'tollgate-basic-auth', 'tollgate-jwt-hs256', 'tollgate-jwt-rs256'].map((name, i) => record(name, 1, 10_000 - i * 1000, 1, 1, 50)),
  });
  const rows = ratioRows(summaries);
  for (const subject of ['tollgate-basic-auth', 'tollgate-jwt-hs256', 'tollgate-jwt-rs256']) {
    assert.ok(rows.some((r) => r.subject === subject && r.baseline === 'tollgate'), subject);
  }
});

test('a skipped Tollgate keeps its row with the reason and gets no ratios', () => {
  const skippedPhase: PhaseResult = {
    ...phase,
    skipped: { tollgate: 'tollgate did not answer /status/ready within 20 s\nmore log' },
    measurements: phase.measurements.filter((m) => m.contestant !== 'tollgate'),
  };
  const summaries = summarizePhase(skippedPhase);
  const table = renderPhaseTable(summaries, 3000);
  assert.match(table, /\| tollgate \| skipped: tollgate did not answer \/status\/ready within 20 s \|/);
  assert.doesNotMatch(table, /more log/);
  const rows = ratioRows(summaries);
  const tollgateRatio = rows.find((r) => r.subject === 'tollgate');
  assert.equal(tollgateRatio?.throughput, undefined);
  assert.match(renderRatioTable(rows, 3000), /\| tollgate \/ nginx \| 1 \| — \|/);
});

test('the phase table formats medians in ms and µs', () => {
  const table = renderPhaseTable(summarizePhase(phase), 3000);
  const nginxRow = table.split('\n').find((line) => line.startsWith('| nginx '));
  assert.equal(nginxRow, '| nginx | 50,000 | 40,000–60,000 | 0.55 | 1.10 | 10.0 | 1.00 | 0.15 | 0.60 | 0.30 | 20.0 | 0 |');
});

test('the whole report names machine, settings, every phase and the raw rounds', () => {
  const report = renderReport(
    { date: '2030-01-01 00:00:00 UTC', cpuCount: 2, cpuModel: 'Test CPU', kernel: '6.1', nodeVersion: 'v24.0.0', nginxVersion: 'nginx/1.22.1', wrkVersion: 'wrk 4.1.0' },
    { durationSeconds: 10, warmupSeconds: 2, rounds: 3, connections: 64, rate: 3000, fixedRateConnections: 64, profile: false, commandLine: 'node bench/run.ts' },
    [phase, { ...phase, workers: 2, measurements: phase.measurements.map((m) => ({ ...m, workers: 2 })) }],
  );
  assert.match(report, /2 CPUs \(Test CPU\)/);
  assert.match(report, /Node v24\.0\.0/);
  assert.match(report, /## 1 worker\n/);
  assert.match(report, /## 2 workers\n/);
  assert.match(report, /## Ratios/);
  assert.equal(report.match(/^\| 1 \| \d \| /gm)?.length, 12);
  assert.equal(report.match(/^\| 2 \| \d \| /gm)?.length, 12);
  assert.doesNotMatch(report, /profiling was on/);
});
