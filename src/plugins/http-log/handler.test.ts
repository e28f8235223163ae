import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Kong } from '../../pdk/index.ts';
import { getQueue } from '../shared/log-queue/queue.ts';
import { deadCollector } from '../shared/log-queue/dead-collector.ts';
import { httpLogHandler } from './handler.ts';
import { batchBody, httpTarget } from './sender.ts';
import type { HttpLogConfig } from './schema.ts';

const queue = { max_batch_size: 1, max_coalescing_delay: 1, max_entries: 10000, max_bytes: null, max_retry_time: 60, initial_retry_delay: 0.01, max_retry_delay: 60, concurrency_limit: 1 };

function config(extra: Partial<Record<keyof HttpLogConfig, unknown>>): HttpLogConfig {
  return { http_endpoint: 'http://127.0.0.1:9/logs', method: 'POST', content_type: 'application/json', timeout: 10000, keepalive: 60000, queue, ...extra } as unknown as HttpLogConfig;
}

test('the queue name (which is logged) carries neither the user info nor the query of the endpoint', () => {
  const conf = httpLogHandler.prepare!(config({ http_endpoint: 'https://user:pa55@collector.test/logs?token=t0k3n' }), undefined as never, { id: 'p1', route: null, service: null, consumer: null });
  assert.doesNotMatch(conf.queueName, /pa55|t0k3n|user/);
  assert.match(conf.queueName, /^https:\/\/collector\.test\/logs#[0-9a-f]{8}:POST:application\/json:10000:60000:nil$/);
  assert.equal(conf.logTag, 'http-log plugin p1');
  const other = httpLogHandler.prepare!(config({ http_endpoint: 'https://user:other@collector.test/logs?token=t0k3n' }), undefined as never);
  assert.notEqual(other.queueName, conf.queueName, 'different credentials, different queues');
});

test('legacy queue_size becomes max_batch_size', () => {
  const conf = httpLogHandler.prepare!(config({ queue_size: 5 }), undefined as never);
  assert.equal(conf.settings.max_batch_size, 5);
  assert.equal(conf.warnings.length, 1);
});

test('user info becomes basic auth; configured headers never override Content-Type or Authorization', () => {
  const t = httpTarget('http://a%40b:c@127.0.0.1:8080/x', 'PUT', 'application/json', 1000, 0, { 'X-A': '1', 'content-type': 'text/plain', authorization: 'nope' });
  assert.equal(t.headers.Authorization, `Basic ${Buffer.from('a@b:c').toString('base64')}`);
  assert.equal(t.headers['Content-Type'], 'application/json');
  assert.equal(t.headers['X-A'], '1');
  assert.equal(t.headers['content-type'], undefined);
  assert.equal(t.where, '127.0.0.1:8080');
});

test('one entry is an object, more are an array (by max_batch_size)', () => {
  assert.equal(batchBody(['{"a":1}'], 1), '{"a":1}');
  assert.equal(batchBody(['{"a":1}'], 10), '[{"a":1}]');
  assert.equal(batchBody(['{"a":1}', '{"b":2}'], 10), '[{"a":1},{"b":2}]');
});

/** Just the parts of the PDK http-log's log phase touches; counts the records it builds. */
function logKong(): { kong: Kong; built: () => number; lines: string[] } {
  let built = 0;
  const lines: string[] = [];
  const kong = {
    node: { getErrorLog: () => (_level: string, message: string) => void lines.push(message) },
    log: {
      serialize: () => {
        built++;
        return { request: { uri: `/r/${built}`, headers: { 'x-big': 'v'.repeat(2000) } } };
      },
      setSerializeValue: () => {},
    },
  } as unknown as Kong;
  return { kong, built: () => built, lines };
}

test('a dead collector: once the queue is full, no record is built or serialised, and the queue stays bounded', async () => {
  const dead = await deadCollector();
  try {
    const conf = httpLogHandler.prepare!(
      config({ http_endpoint: `http://127.0.0.1:${dead.port}/full`, timeout: 600000, queue: { ...queue, max_entries: 5, max_retry_time: 1 } }),
      undefined as never,
    );
    const { kong, built, lines } = logKong();
    for (let i = 0; i < 5000; i++) httpLogHandler.log!(kong, conf);
    const stats = getQueue<string>({ name: conf.queueName, logTag: conf.logTag, settings: conf.settings, send: conf.send, log: () => {} }).stats();
    // One batch in flight plus max_entries queued were built; every later request only counted a drop.
    assert.equal(built(), 6);
    assert.deepEqual({ queued: stats.queued, inFlight: stats.inFlight, refused: stats.refused, dropped: stats.dropped }, { queued: 5, inFlight: 1, refused: 4994, dropped: 4994 });
    assert.equal(lines.filter((l) => l.includes('queue full, dropped')).length, 1, 'one report per interval');
  } finally {
    dead.close();
  }
});

test('a dead collector: the heap stays flat however many requests are logged', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const dead = await deadCollector();
  try {
    const conf = httpLogHandler.prepare!(
      config({ http_endpoint: `http://127.0.0.1:${dead.port}/heap`, timeout: 600000, queue: { ...queue, max_entries: 1000, max_retry_time: 1 } }),
      undefined as never,
    );
    const { kong } = logKong();
    const heapAfter = (n: number): number => {
      for (let i = 0; i < n; i++) httpLogHandler.log!(kong, conf);
      gc();
      return process.memoryUsage().heapUsed;
    };
    const filled = heapAfter(2000);
    const later = heapAfter(50_000);
    // Entries are ~2 KB: unbounded growth over 50,000 more requests would be ~100 MB.
    assert.ok(later - filled < 10 * 1024 * 1024, `heap grew by ${later - filled} bytes`);
  } finally {
    dead.close();
  }
});
