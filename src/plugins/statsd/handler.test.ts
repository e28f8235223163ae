import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kong } from '../../pdk/index.ts';
import { validateEntity } from '../../entities/index.ts';
import { pluginRegistry } from '../index.ts';
import { deadCollector } from '../shared/log-queue/dead-collector.ts';
import { statsdHandler, type StatsdConf } from './handler.ts';
import type { StatsdConfig } from './schema.ts';

function statsdConfig(config: Record<string, unknown>): StatsdConfig {
  const r = validateEntity('plugins', { name: 'statsd', config }, { plugins: pluginRegistry(['statsd']) });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.value.config as unknown as StatsdConfig;
}

/** Just the parts of the PDK statsd's log phase touches; counts the records it builds. */
function logKong(): { kong: Kong; built: () => number; lines: string[] } {
  let built = 0;
  const lines: string[] = [];
  const kong = {
    node: { getErrorLog: () => (_level: string, message: string) => void lines.push(message), getHostname: () => 'h' },
    response: { getStatus: () => 200 },
    log: {
      serialize: () => {
        built++;
        return { request: { size: 1 }, response: { status: 200, size: 1 }, latencies: { request: 1, proxy: 1, kong: 0 }, tries: [] };
      },
    },
  } as unknown as Kong;
  return { kong, built: () => built, lines };
}

const stats = (conf: StatsdConf) => conf.queue!.stats();

test('a full queue: no record is built, the drop is counted and reported once; records are built again once it drains', async () => {
  const dead = await deadCollector();
  try {
    // Kong's statsd default metrics, over TCP to a collector that never reads.
    const conf = statsdHandler.prepare!(
      statsdConfig({ host: '127.0.0.1', port: dead.port, use_tcp: true, queue: { max_batch_size: 1, max_entries: 5 } }),
      undefined as never,
      { id: 'statsd-full', route: null, service: null, consumer: null },
    );
    const { kong, built, lines } = logKong();
    for (let i = 0; i < 5000; i++) statsdHandler.log!(kong, conf);
    // One batch in flight plus max_entries queued were built; every later request only counted a drop.
    assert.equal(built(), 6);
    const s = stats(conf);
    assert.deepEqual({ queued: s.queued, inFlight: s.inFlight, refused: s.refused, dropped: s.dropped }, { queued: 5, inFlight: 1, refused: 4994, dropped: 4994 });
    assert.equal(lines.filter((l) => l.includes('queue full, dropped')).length, 1, 'one report per interval');
    // statsd's sender only hands lines to the socket's buffer: the queue drains and records are built again.
    const deadline = Date.now() + 30_000;
    while (stats(conf).queued > 0 || stats(conf).inFlight > 0) {
      assert.ok(Date.now() < deadline, 'the queue drains');
      await new Promise((r) => setTimeout(r, 20));
    }
    statsdHandler.log!(kong, conf);
    assert.equal(built(), 7);
    assert.equal(stats(conf).refused, 4994);
  } finally {
    dead.close();
  }
});
