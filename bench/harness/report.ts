/**
 * Turns measurement records into the Markdown report: medians per contestant and worker count, ratios of
 * Tollgate (and the minimal Node proxy) against the baselines, the latency each proxy adds at the fixed rate,
 * and the raw rounds. Pure functions, so the arithmetic is tested without running anything.
 */
import { CONTESTANT_DESCRIPTIONS, CONTESTANT_NAMES } from './contestants.ts';
import type { ContestantName } from './contestants.ts';
import type { MeasurementRecord } from './measure.ts';
import { difference, formatMicrosAsMillis, formatNumber, formatRatio, median, range, ratio } from './stats.ts';

/** Outcome of one worker-count phase. */
export interface PhaseResult {
  workers: number;
  placement: string;
  contestants: ContestantName[];
  /** Contestants that could not be started, with the reason. */
  skipped: Partial<Record<ContestantName, string>>;
  measurements: MeasurementRecord[];
}

/** Medians of one contestant in one phase. Latencies in µs. */
export interface ContestantSummary {
  name: ContestantName;
  workers: number;
  measuredRounds: number;
  requestsPerSecond?: number;
  requestsPerSecondRange?: { min: number; max: number };
  p50Us?: number;
  p99Us?: number;
  cpuUsPerRequest?: number;
  cpuCores?: number;
  fixedP50Us?: number;
  fixedP99Us?: number;
  /** Fixed-rate p99 minus the upstream-alone fixed-rate p99 (medians): the tail latency the proxy adds. */
  fixedP99AddedUs?: number;
  fixedCpuUsPerRequest?: number;
  /** Requests that failed in any round (wrk errors, non-2xx, unanswered). */
  failedRequests: number;
  skipped?: string;
}

/** Medians per contestant for one phase, in report order; skipped contestants keep a row with the reason. */
export function summarizePhase(phase: PhaseResult): ContestantSummary[] {
  const summaries: ContestantSummary[] = [];
  for (const name of phase.contestants) {
    const records = phase.measurements.filter((m) => m.contestant === name);
    const failedRequests = records.reduce((sum, m) =>
      sum + (m.wrk?.errorCount ?? 0) + (m.fixed ? m.fixed.non2xx + m.fixed.errors + m.fixed.incomplete : 0), 0);
    summaries.push({
      name,
      workers: phase.workers,
      measuredRounds: records.filter((m) => m.wrk || m.fixed).length,
      requestsPerSecond: median(records.map((m) => m.wrk?.requestsPerSecond)),
      requestsPerSecondRange: range(records.map((m) => m.wrk?.requestsPerSecond)),
      p50Us: median(records.map((m) => m.wrk?.latencyUs.p50)),
      p99Us: median(records.map((m) => m.wrk?.latencyUs.p99)),
      cpuUsPerRequest: median(records.map((m) => m.wrkCpuUsPerRequest)),
      cpuCores: median(records.map((m) => m.wrkCpuCores)),
      fixedP50Us: median(records.map((m) => m.fixed?.latencyUs.p50)),
      fixedP99Us: median(records.map((m) => m.fixed?.latencyUs.p99)),
      fixedCpuUsPerRequest: median(records.map((m) => m.fixedCpuUsPerRequest)),
      failedRequests,
      skipped: phase.skipped[name],
    });
  }
  const upstream = summaries.find((s) => s.name === 'upstream');
  for (const summary of summaries) {
    if (summary.name !== 'upstream') summary.fixedP99AddedUs = difference(summary.fixedP99Us, upstream?.fixedP99Us);
  }
  return summaries;
}

/** One ratio line: `subject / baseline` for throughput, p99 under full load, p99 at the fixed rate and CPU/request. */
export interface RatioRow {
  subject: ContestantName;
  baseline: ContestantName;
  workers: number;
  throughput?: number;
  p99?: number;
  fixedP99?: number;
  cpuPerRequest?: number;
}

/** Ratios of Tollgate to nginx and to the minimal Node proxy, and of the minimal proxy to nginx (for scale). */
export function ratioRows(summaries: readonly ContestantSummary[]): RatioRow[] {
  const pairs: [ContestantName, ContestantName][] = [
    ['tollgate', 'nginx'],
    ['tollgate', 'minimal-node'],
    ['minimal-node', 'nginx'],
    // The plugin scenarios against the same route without plugins, and this checkout against the baseline one.
    ['tollgate-noop', 'tollgate'],
    ['tollgate-async', 'tollgate'],
    ['tollgate-key-auth', 'tollgate'],
    ['tollgate-basic-auth', 'tollgate'],
    ['tollgate-jwt-hs256', 'tollgate'],
    ['tollgate-jwt-rs256', 'tollgate'],
    ['tollgate-prometheus', 'tollgate'],
    ['tollgate-proxy-cache-hit', 'tollgate'],
    ['tollgate-http-log-dead', 'tollgate'],
    ['tollgate-key-auth-rl-local', 'tollgate'],
    ['tollgate-key-auth-rl-redis', 'tollgate'],
    // What rate limiting adds to the key-auth route it usually sits on.
    ['tollgate-key-auth-rl-local', 'tollgate-key-auth'],
    ['tollgate-key-auth-rl-redis', 'tollgate-key-auth'],
    ['tollgate-otel', 'tollgate'],
    ['tollgate', 'tollgate-baseline'],
  ];
  const rows: RatioRow[] = [];
  const workerCounts = [...new Set(summaries.map((s) => s.workers))];
  for (const workers of workerCounts) {
    for (const [subject, baseline] of pairs) {
      const a = summaries.find((s) => s.name === subject && s.workers === workers);
      const b = summaries.find((s) => s.name === baseline && s.workers === workers);
      if (!a || !b) continue;
      rows.push({
        subject, baseline, workers,
        throughput: ratio(a.requestsPerSecond, b.requestsPerSecond),
        p99: ratio(a.p99Us, b.p99Us),
        fixedP99: ratio(a.fixedP99Us, b.fixedP99Us),
        cpuPerRequest: ratio(a.cpuUsPerRequest, b.cpuUsPerRequest),
      });
    }
  }
  return rows;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(header: readonly string[], alignRight: readonly boolean[], rows: readonly (readonly string[])[]): string {
  const separator = alignRight.map((right) => (right ? '---:' : '---'));
  return [row(header), row(separator), ...rows.map(row)].join('\n');
}

function workersLabel(workers: number): string {
  return `${workers} worker${workers === 1 ? '' : 's'}`;
}

/** The results table of one phase. */
export function renderPhaseTable(summaries: readonly ContestantSummary[], rate: number): string {
  const header = [
    'contestant', 'req/s', 'req/s range', 'p50 ms', 'p99 ms', 'CPU µs/req', 'cores used',
    `p50 ms @${rate}/s`, `p99 ms @${rate}/s`, `p99 − upstream @${rate}/s`, `CPU µs/req @${rate}/s`, 'failed req',
  ];
  const rows = summaries.map((s) => {
    if (s.skipped && s.measuredRounds === 0) return [s.name, `skipped: ${s.skipped.split('\n')[0].replaceAll('|', '\\|')}`, ...Array(header.length - 2).fill('')];
    const spread = s.requestsPerSecondRange ? `${formatNumber(s.requestsPerSecondRange.min, 0)}–${formatNumber(s.requestsPerSecondRange.max, 0)}` : '—';
    return [
      s.name, formatNumber(s.requestsPerSecond, 0), spread, formatMicrosAsMillis(s.p50Us), formatMicrosAsMillis(s.p99Us),
      formatNumber(s.cpuUsPerRequest, 1), formatNumber(s.cpuCores, 2), formatMicrosAsMillis(s.fixedP50Us), formatMicrosAsMillis(s.fixedP99Us),
      s.name === 'upstream' ? '(baseline)' : formatMicrosAsMillis(s.fixedP99AddedUs), formatNumber(s.fixedCpuUsPerRequest, 1),
      String(s.failedRequests),
    ];
  });
  return table(header, header.map((_, i) => i > 0), rows);
}

/** The ratio table; says so when Tollgate has no numbers yet. */
export function renderRatioTable(rows: readonly RatioRow[], rate: number): string {
  if (rows.length === 0) return '_No ratios: a contestant and its baseline were not both measured._';
  const header = ['ratio', 'workers', 'throughput', 'p99 (max load)', `p99 @${rate}/s`, 'CPU/req'];
  return table(header, [false, true, true, true, true, true], rows.map((r) => [
    `${r.subject} / ${r.baseline}`, String(r.workers), formatRatio(r.throughput), formatRatio(r.p99), formatRatio(r.fixedP99), formatRatio(r.cpuPerRequest),
  ]));
}

/** Every round of every contestant, for anyone who distrusts medians. */
export function renderRawTable(phases: readonly PhaseResult[]): string {
  const header = ['workers', 'round', 'contestant', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'cores used', 'own CPU busy', 'fixed p50', 'fixed p99', 'fixed service p99', 'send lag p99', 'fixed CPU µs/req', 'notes'];
  const rows: string[][] = [];
  for (const phase of phases) {
    const sorted = [...phase.measurements].sort((a, b) => a.round - b.round || CONTESTANT_NAMES.indexOf(a.contestant as ContestantName) - CONTESTANT_NAMES.indexOf(b.contestant as ContestantName));
    for (const m of sorted) {
      rows.push([
        String(m.workers), String(m.round), m.contestant, formatNumber(m.wrk?.requestsPerSecond, 0),
        formatMicrosAsMillis(m.wrk?.latencyUs.p50), formatMicrosAsMillis(m.wrk?.latencyUs.p99), formatNumber(m.wrkCpuUsPerRequest, 1),
        formatNumber(m.wrkCpuCores, 2), m.wrkTargetCpuBusy === undefined ? '—' : `${formatNumber(m.wrkTargetCpuBusy * 100, 0)}%`,
        formatMicrosAsMillis(m.fixed?.latencyUs.p50), formatMicrosAsMillis(m.fixed?.latencyUs.p99), formatMicrosAsMillis(m.fixed?.serviceUs.p99),
        formatMicrosAsMillis(m.fixed?.sendLagUs.p99), formatNumber(m.fixedCpuUsPerRequest, 1),
        [...m.errors, ...m.warnings].join('; ').replaceAll('|', '\\|').replaceAll('\n', ' '),
      ]);
    }
  }
  return table(header, header.map((_, i) => i > 2 && i < header.length - 1), rows);
}

/** Facts about the machine and tools, printed at the top. */
export interface MachineInfo {
  date: string;
  cpuCount: number;
  cpuModel: string;
  kernel: string;
  nodeVersion: string;
  nginxVersion: string;
  wrkVersion: string;
}

/** Settings worth repeating in the report so a reader can reproduce it. */
export interface ReportSettings {
  durationSeconds: number;
  warmupSeconds: number;
  rounds: number;
  connections: number;
  rate: number;
  fixedRateConnections: number;
  profile: boolean;
  commandLine: string;
}

/** The whole Markdown report. */
export function renderReport(machine: MachineInfo, settings: ReportSettings, phases: readonly PhaseResult[]): string {
  const lines: string[] = [];
  lines.push(`# Proxy benchmark, ${machine.date}`, '');
  lines.push(`- machine: ${machine.cpuCount} CPUs (${machine.cpuModel}), Linux ${machine.kernel}`);
  lines.push(`- software: Node ${machine.nodeVersion}, ${machine.nginxVersion}, ${machine.wrkVersion}`);
  lines.push(`- command: \`${settings.commandLine}\``);
  lines.push(`- each measurement: ${settings.warmupSeconds} s wrk warm-up (not recorded), ${settings.durationSeconds} s wrk with ${settings.connections} connections (max throughput), then ${settings.durationSeconds} s at a fixed ${settings.rate} req/s (open loop, latency from the scheduled send time, up to ${settings.fixedRateConnections} connections)`);
  lines.push(`- ${settings.rounds} round(s), contestants interleaved; every number is the median over rounds`);
  if (settings.profile) lines.push('- **profiling was on (`--profile`): numbers carry profiler overhead and are not comparable**');
  lines.push('', '## Contestants', '');
  const present = new Set(phases.flatMap((p) => p.contestants));
  for (const name of CONTESTANT_NAMES) if (present.has(name)) lines.push(`- **${name}**: ${CONTESTANT_DESCRIPTIONS[name]}`);
  const allSummaries: ContestantSummary[] = [];
  for (const phase of phases) {
    const summaries = summarizePhase(phase);
    allSummaries.push(...summaries);
    lines.push('', `## ${workersLabel(phase.workers)}`, '', `CPU placement: ${phase.placement}.`, '', renderPhaseTable(summaries, settings.rate));
    const skipped = Object.entries(phase.skipped);
    if (skipped.length > 0) {
      lines.push('');
      for (const [name, reason] of skipped) lines.push(`- ${name} was skipped: ${reason.split('\n').join('\n  ')}`);
    }
  }
  lines.push('', '## Ratios', '', 'Throughput and CPU ratios above 1 mean more requests / more CPU; latency ratios above 1 mean slower.', '');
  lines.push(renderRatioTable(ratioRows(allSummaries), settings.rate));
  lines.push('', '## All rounds', '', renderRawTable(phases), '');
  return lines.join('\n');
}
