import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateEntity } from '../../entities/index.ts';
import type { PdkEnvironment } from '../../pdk/index.ts';
import { PHASE } from '../../pdk/phase-rules.ts';
import { pluginContext, TEST_ENV, toHeaderFilter } from '../../../test/support/plugin-context.ts';
import { pluginRegistry } from '../index.ts';
import { deadCollector } from '../shared/log-queue/dead-collector.ts';
import { zipkinHandler } from './handler.ts';
import type { ZipkinConfig } from './schema.ts';

function zipkinConfig(config: Record<string, unknown>): ZipkinConfig {
  const r = validateEntity('plugins', { name: 'zipkin', config }, { plugins: pluginRegistry(['zipkin']) });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.value.config as unknown as ZipkinConfig;
}

/** Runs one request through zipkin's phases; counts the log records built (the cost of the log phase). */
function requests(conf: ReturnType<NonNullable<typeof zipkinHandler.prepare>>, n: number): { built: number; lines: string[] } {
  const lines: string[] = [];
  const env: PdkEnvironment = { ...TEST_ENV, log: (_level, message) => void lines.push(message) };
  let built = 0;
  for (let i = 0; i < n; i++) {
    const kong = pluginContext({ url: `/z/${i}`, env });
    kong.phaseBit = PHASE.access;
    zipkinHandler.access!(kong, conf);
    toHeaderFilter(kong, 200);
    zipkinHandler.header_filter!(kong, conf);
    kong.phaseBit = PHASE.log;
    const serialize = kong.log.serialize.bind(kong.log);
    kong.log.serialize = () => {
      built++;
      return serialize();
    };
    zipkinHandler.log!(kong, conf);
  }
  return { built, lines };
}

test('a dead collector: once the queue is full, no record or span is built; the spans are counted and reported once', async () => {
  const dead = await deadCollector();
  try {
    const conf = zipkinHandler.prepare!(
      zipkinConfig({ http_endpoint: `http://127.0.0.1:${dead.port}/api/v2/spans`, sample_ratio: 1, send_timeout: 600000, read_timeout: 600000, queue: { max_batch_size: 1, max_entries: 4, max_retry_time: 1 } }),
      undefined as never,
      { id: 'zipkin-full', route: null, service: null, consumer: null },
    );
    const { built, lines } = requests(conf, 1000);
    // Two spans a request (request and proxy, no balancer try here): the first request's first span is in
    // flight, the queue fills during the third request, whose proxy span is dropped unconverted; later
    // requests build nothing.
    assert.equal(built, 3);
    const s = conf.queueInUse!.stats();
    assert.deepEqual({ queued: s.queued, inFlight: s.inFlight, refused: s.refused, dropped: s.dropped }, { queued: 4, inFlight: 1, refused: 1 + 997 * 2, dropped: 1 + 997 * 2 });
    assert.equal(lines.filter((l) => l.includes('zipkin-full: queue full, dropped')).length, 1, 'one report per interval');
  } finally {
    dead.close();
  }
});

test('unsampled requests build no log record and count no drop', async () => {
  const conf = zipkinHandler.prepare!(zipkinConfig({ http_endpoint: 'http://127.0.0.1:9/api/v2/spans', sample_ratio: 0 }), undefined as never, { id: 'zipkin-unsampled', route: null, service: null, consumer: null });
  const { built } = requests(conf, 10);
  assert.equal(built, 0);
  assert.equal(conf.queueInUse, null);
});
