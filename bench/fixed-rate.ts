/**
 * Constant-rate, open-loop load generator (the role wrk2 plays; Debian does not package wrk2).
 *
 * Request i is *scheduled* at start + i / rate, whether or not earlier answers have arrived, and its latency is
 * measured from that scheduled time. When the server stalls, the requests that should have been sent during the
 * stall are still counted with the time they waited, which avoids coordinated omission (a closed-loop tool like
 * wrk silently stops sending while the server stalls and so under-reports the tail).
 *
 * Runs as its own process: `node bench/fixed-rate.ts --url http://127.0.0.1:8000/ --rate 3000 --duration 10`
 * prints one JSON object ({@link FixedRateResult}) on stdout.
 */
import { createHistogram } from 'node:perf_hooks';
import type { RecordableHistogram } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { Worker } from 'node:worker_threads';
import type { MetronomeSchedule } from './harness/metronome.ts';

/** Settings of one constant-rate run. */
export interface FixedRateOptions {
  url: string;
  /** Requests per second. */
  rate: number;
  /** Measured seconds (after the warm-up). */
  durationSeconds: number;
  /** Seconds sent at the same rate first and not recorded. */
  warmupSeconds: number;
  /** Upper bound on concurrent connections (opened only when all others are busy). */
  connections: number;
  /** Extra request headers (`name: value`). */
  headers?: readonly string[];
  /** How long to wait for in-flight answers after the last send. */
  drainSeconds: number;
}

/** Percentiles in microseconds. */
export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Outcome of one run; counts include warm-up requests, latencies only measured ones. */
export interface FixedRateResult {
  targetRate: number;
  /** Measured requests answered per second of measured schedule. */
  achievedRate: number;
  /** All requests sent (warm-up included), the denominator for CPU per request. */
  sent: number;
  completed: number;
  /** Answers that were not 2xx. */
  non2xx: number;
  /** Requests that failed at the transport level. */
  errors: number;
  /** Requests still unanswered when the drain time ran out (recorded with the time they had waited). */
  incomplete: number;
  /** From scheduled send time to the end of the response: what a user at this arrival rate sees. */
  latencyUs: Percentiles;
  /** From the actual dispatch (after the generator's own lateness) to the end of the response; includes any wait for a free connection. */
  serviceUs: Percentiles;
  /** How late the generator itself dispatched requests (timer granularity, its own CPU). */
  sendLagUs: Percentiles;
}

/** How many requests are due `elapsedNs` after the start at `rate` per second, capped at `total` (request 0 at t=0). */
export function dueCount(elapsedNs: number, rate: number, total: number): number {
  if (elapsedNs < 0) return 0;
  return Math.min(total, Math.floor((elapsedNs * rate) / 1e9) + 1);
}

/** Scheduled send time of request `index`, in nanoseconds after the start. */
export function scheduledOffsetNs(index: number, rate: number): number {
  return (index * 1e9) / rate;
}

function newHistogram(): RecordableHistogram {
  return createHistogram({ lowest: 1, highest: 3_600_000_000, figures: 3 });
}

function recordMicros(histogram: RecordableHistogram, nanoseconds: number): void {
  histogram.record(Math.min(3_600_000_000, Math.max(1, Math.round(nanoseconds / 1000))));
}

function percentilesOf(histogram: RecordableHistogram): Percentiles {
  if (histogram.count === 0) return { p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  return {
    p50: histogram.percentile(50), p90: histogram.percentile(90), p99: histogram.percentile(99),
    p999: histogram.percentile(99.9), max: histogram.max,
  };
}

function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/** Handle on the metronome worker thread (see harness/metronome.ts). */
interface Metronome {
  start(schedule: MetronomeSchedule, onBeat: () => void): void;
  stop(): void;
}

/** Starts the metronome worker and resolves once it is ready to take a schedule. */
async function startMetronome(): Promise<Metronome> {
  const stopCell = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL('./harness/metronome.ts', import.meta.url), { workerData: { stop: stopCell } });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  worker.unref();
  return {
    start(schedule, onBeat) {
      worker.on('message', onBeat);
      worker.postMessage(schedule);
    },
    stop() {
      Atomics.store(stopCell, 0, 1);
      Atomics.notify(stopCell, 0);
      worker.removeAllListeners('message');
      void worker.terminate();
    },
  };
}

/** Shared counters and histograms of one run; request handlers write into it. */
class RunRecorder {
  completed = 0;
  non2xx = 0;
  errors = 0;
  readonly latency = newHistogram();
  readonly service = newHistogram();
  readonly sendLag = newHistogram();
  readonly inFlight = new Set<TimedRequest>();
}

/** Handler for one request: remembers when it was scheduled and sent, records when the answer is complete. */
class TimedRequest implements Dispatcher.DispatchHandler {
  readonly scheduledNs: number;
  readonly sentNs: number;
  readonly measured: boolean;
  readonly recorder: RunRecorder;
  statusCode = 0;
  /** Set when the run stopped waiting for this answer; later callbacks (e.g. from closing the pool) are ignored. */
  abandoned = false;

  constructor(recorder: RunRecorder, scheduledNs: number, sentNs: number, measured: boolean) {
    this.recorder = recorder;
    this.scheduledNs = scheduledNs;
    this.sentNs = sentNs;
    this.measured = measured;
  }

  onRequestStart(): void {}

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.statusCode = statusCode;
  }

  onResponseData(): void {}

  onResponseEnd(): void {
    if (this.abandoned) return;
    const end = nowNs();
    const recorder = this.recorder;
    recorder.inFlight.delete(this);
    recorder.completed++;
    if (this.statusCode < 200 || this.statusCode > 299) recorder.non2xx++;
    if (!this.measured) return;
    recordMicros(recorder.latency, end - this.scheduledNs);
    recordMicros(recorder.service, end - this.sentNs);
  }

  onResponseError(): void {
    if (this.abandoned) return;
    const recorder = this.recorder;
    recorder.inFlight.delete(this);
    recorder.errors++;
    if (this.measured) recordMicros(recorder.latency, nowNs() - this.scheduledNs);
  }
}

/** Runs the schedule against `options.url` and reports; never takes longer than warm-up + duration + drain (+ pool close). */
export async function runFixedRate(options: FixedRateOptions): Promise<FixedRateResult> {
  const url = new URL(options.url);
  const path = `${url.pathname}${url.search}`;
  const pool = new Pool(url.origin, { connections: options.connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const recorder = new RunRecorder();
  const warmupCount = Math.round(options.rate * options.warmupSeconds);
  const total = warmupCount + Math.round(options.rate * options.durationSeconds);
  const headers: Record<string, string> = { 'user-agent': 'tollgate-bench-fixed-rate' };
  for (const header of options.headers ?? []) {
    const colon = header.indexOf(':');
    if (colon > 0) headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
  }
  const dispatchOptions: Dispatcher.DispatchOptions = { path, method: 'GET', headers };
  let sent = 0;
  const metronome = await startMetronome();
  const start = nowNs() + 1_000_000; // 1 ms from now, so the first send is on schedule too

  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = nowNs();
      const due = dueCount(now - start, options.rate, total);
      while (sent < due) {
        const scheduled = start + scheduledOffsetNs(sent, options.rate);
        const measured = sent >= warmupCount;
        if (measured) recordMicros(recorder.sendLag, now - scheduled);
        const request = new TimedRequest(recorder, scheduled, now, measured);
        recorder.inFlight.add(request);
        pool.dispatch(dispatchOptions, request);
        sent++;
      }
      if (sent >= total) {
        clearInterval(fallback);
        metronome.stop();
        resolve();
      }
    };
    // The metronome wakes us on time; the 10 ms interval only keeps the schedule going should it lag or die.
    const fallback = setInterval(tick, 10);
    metronome.start({ startNs: start, rate: options.rate, total }, tick);
  });

  const drainDeadline = Date.now() + options.drainSeconds * 1000;
  while (recorder.inFlight.size > 0 && Date.now() < drainDeadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const end = nowNs();
  const incomplete = recorder.inFlight.size;
  for (const request of recorder.inFlight) {
    // Still waiting: count it with the time waited so far, a lower bound of its real latency.
    request.abandoned = true;
    if (request.measured) recordMicros(recorder.latency, end - request.scheduledNs);
  }
  recorder.inFlight.clear();
  await pool.destroy().catch(() => undefined);

  const measuredCompleted = recorder.service.count;
  return {
    targetRate: options.rate,
    achievedRate: options.durationSeconds > 0 ? measuredCompleted / options.durationSeconds : 0,
    sent,
    completed: recorder.completed,
    non2xx: recorder.non2xx,
    errors: recorder.errors,
    incomplete,
    latencyUs: percentilesOf(recorder.latency),
    serviceUs: percentilesOf(recorder.service),
    sendLagUs: percentilesOf(recorder.sendLag),
  };
}

/** Parses the command line of the standalone generator. */
export function parseFixedRateArgs(argv: readonly string[]): FixedRateOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      url: { type: 'string' },
      rate: { type: 'string', default: '3000' },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '1' },
      connections: { type: 'string', default: '64' },
      drain: { type: 'string', default: '5' },
      header: { type: 'string', multiple: true, default: [] },
    },
  });
  if (!values.url) throw new Error('fixed-rate: --url is required, e.g. --url http://127.0.0.1:8000/');
  const url = new URL(values.url);
  if (url.protocol !== 'http:') throw new Error(`fixed-rate: only http:// URLs are supported, got ${values.url}`);
  const number = (name: string, raw: string, min: number): number => {
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min) throw new Error(`fixed-rate: --${name} must be a number >= ${min}, got ${raw}`);
    return value;
  };
  return {
    url: values.url,
    rate: number('rate', values.rate, 1),
    durationSeconds: number('duration', values.duration, 0.1),
    warmupSeconds: number('warmup', values.warmup, 0),
    connections: Math.floor(number('connections', values.connections, 1)),
    headers: values.header,
    drainSeconds: number('drain', values.drain, 0),
  };
}

if (import.meta.main) {
  try {
    const options = parseFixedRateArgs(process.argv.slice(2));
    // Hard stop in case something hangs: the harness must never wait forever on us.
    const limitMs = (options.warmupSeconds + options.durationSeconds + options.drainSeconds + 10) * 1000;
    setTimeout(() => {
      process.stderr.write(`fixed-rate: gave up after ${limitMs / 1000} s\n`);
      process.exit(2);
    }, limitMs).unref();
    const result = await runFixedRate(options);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
