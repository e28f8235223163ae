/**
 * True incremental sync at scale: a one-route change on a 10,000-route configuration reaches the data plane
 * as a delta of a few kilobytes, not the whole configuration. Sizes are asserted (they are deterministic);
 * times are printed, not asserted (bench/hybrid.ts records them in docs/benchmarks.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measureHybridScale } from './helpers/hybrid-scale.ts';

test('a one-route change on 10,000 routes is sent as a delta of a few kilobytes', { timeout: 240_000 }, async (t) => {
  const r = await measureHybridScale(10_000);
  t.diagnostic(JSON.stringify(r));
  assert.ok(r.fullBytes > 100_000, `the full snapshot is large (${r.fullBytes} bytes)`);
  assert.equal(r.deltaKind, 'delta');
  assert.ok(r.deltaBytes < 4096, `delta of ${r.deltaBytes} bytes`);
  assert.ok(r.deltaBytes * 50 < r.fullBytes, `delta ${r.deltaBytes} bytes vs full ${r.fullBytes} bytes`);
});
