import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogQueue } from './queue.ts';
import { effectiveQueueSettings, type QueueSettings } from './schema.ts';

const base: QueueSettings = {
  max_batch_size: 1,
  max_coalescing_delay: 1,
  max_entries: 10000,
  max_bytes: null,
  max_retry_time: 60,
  initial_retry_delay: 0.001,
  max_retry_delay: 0.01,
  concurrency_limit: 1,
};

async function until(fn: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('batches up to max_batch_size and sends a full batch without waiting for the coalescing delay', async () => {
  const batches: string[][] = [];
  const q = new LogQueue<string>({ name: 'b', logTag: 't', settings: { ...base, max_batch_size: 3, max_coalescing_delay: 3600 }, send: async (e) => void batches.push([...e]), log: () => {} });
  for (const x of ['a', 'b', 'c', 'd']) q.enqueue(x);
  await until(() => batches.length === 1, 'first batch');
  assert.deepEqual(batches[0], ['a', 'b', 'c']);
  assert.equal(q.stats().queued, 1);
});

test('a failed batch is retried with backoff until it goes through', async () => {
  let calls = 0;
  const lines: string[] = [];
  const q = new LogQueue<string>({
    name: 'r',
    logTag: 't',
    settings: base,
    send: async () => {
      if (++calls < 3) throw new Error('collector said 500');
    },
    log: (_l, m) => lines.push(m),
  });
  q.enqueue('x');
  await until(() => q.stats().delivered === 1, 'delivery');
  assert.equal(calls, 3);
  // Failed attempts are reported once per interval, not once each.
  assert.equal(lines.filter((l) => l.includes('collector said 500')).length, 1);
});

test('gives up after max_retry_time (-1: no retry) and says how many entries were lost', async () => {
  const lines: string[] = [];
  const q = new LogQueue<string>({ name: 'g', logTag: 't', settings: { ...base, max_retry_time: -1 }, send: async () => Promise.reject(new Error('down')), log: (_l, m) => lines.push(m) });
  q.enqueue('x');
  await until(() => q.stats().failedBatches === 1, 'give up');
  assert.ok(lines.some((l) => l.includes('1 queue entries were lost')));
});

test('past max_entries the oldest entries are dropped, counted, and reported once per interval', async () => {
  const lines: string[] = [];
  let release: () => void = () => {};
  const sent: string[] = [];
  const q = new LogQueue<string>({
    name: 'd',
    logTag: 'http-log plugin x',
    settings: { ...base, max_entries: 5 },
    send: (e) => new Promise<void>((resolve) => {
      sent.push(...e);
      release = resolve;
    }),
    log: (_l, m) => lines.push(m),
    dropReportIntervalMs: 60_000,
  });
  for (let i = 0; i < 1000; i++) q.enqueue(String(i));
  const s = q.stats();
  assert.equal(s.queued, 5);
  assert.equal(s.inFlight, 1);
  assert.equal(s.dropped, 1000 - 5 - 1);
  const reports = lines.filter((l) => l.includes('queue full'));
  assert.equal(reports.length, 1, 'one report, not one per entry');
  assert.match(reports[0], /^\[http-log plugin x\] queue d: queue full, dropped 1 entries/);
  release();
  await until(() => sent.length === 2, 'next');
  // The newest entries survived.
  assert.equal(sent[1], '995');
  release();
});

test('max_bytes bounds the queued bytes', () => {
  const q = new LogQueue<string>({ name: 'm', logTag: 't', settings: { ...base, max_bytes: 10 }, send: () => new Promise(() => {}), log: () => {} });
  q.enqueue('first');
  for (let i = 0; i < 10; i++) q.enqueue('abcd');
  assert.ok(q.stats().bytes <= 10);
  assert.equal(q.enqueue('x'.repeat(11)), false);
});

test('legacy queue_size and flush_timeout map onto queue; retry_count only warns', () => {
  const { settings, warnings } = effectiveQueueSettings('http-log', base, { queue_size: 7, flush_timeout: 3, retry_count: 2 });
  assert.equal(settings.max_batch_size, 7);
  assert.equal(settings.max_coalescing_delay, 3);
  assert.equal(warnings.length, 3);
  assert.deepEqual(effectiveQueueSettings('http-log', base, { queue_size: 1, flush_timeout: 2, retry_count: 10 }).warnings, []);
});

test('concurrency_limit -1 delivers in parallel, with a bound on what is in flight', async () => {
  const q = new LogQueue<string>({ name: 'p', logTag: 't', settings: { ...base, concurrency_limit: -1, max_entries: 100 }, send: () => new Promise(() => {}), log: () => {} });
  for (let i = 0; i < 1000; i++) q.enqueue(String(i));
  const s = q.stats();
  assert.equal(s.inFlight, 64);
  assert.equal(s.queued, 100);
  assert.equal(s.dropped, 1000 - 164);
});

test('full: true at max_entries (or max_bytes); refuse() counts the unbuilt entry as a drop and reports it once', () => {
  const lines: string[] = [];
  const q = new LogQueue<string>({ name: 'f', logTag: 't', settings: { ...base, max_entries: 3 }, send: () => new Promise(() => {}), log: (_l, m) => lines.push(m), dropReportIntervalMs: 60_000 });
  // The first entry goes in flight at once, so three more fill the queue.
  for (let i = 0; i < 3; i++) {
    assert.equal(q.full, false);
    q.enqueue(String(i));
  }
  q.enqueue('3');
  assert.equal(q.full, true);
  for (let i = 0; i < 50; i++) q.refuse();
  assert.deepEqual({ queued: q.stats().queued, dropped: q.stats().dropped, refused: q.stats().refused }, { queued: 3, dropped: 50, refused: 50 });
  assert.equal(lines.filter((l) => l.includes('queue full')).length, 1);
  const bytes = new LogQueue<string>({ name: 'fb', logTag: 't', settings: { ...base, max_entries: 100, max_bytes: 8 }, send: () => new Promise(() => {}), log: () => {} });
  bytes.enqueue('x');
  bytes.enqueue('abcd');
  assert.equal(bytes.full, false);
  bytes.enqueue('efgh');
  assert.equal(bytes.full, true);
});
