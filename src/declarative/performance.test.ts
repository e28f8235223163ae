import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDeclarative } from './index.ts';

/** 100,000 routes (two paths each, one a regex) under 10,000 services, as parsed JSON would give them. */
function bigDocument(routeCount: number): Record<string, unknown> {
  const services = [];
  for (let s = 0; s < routeCount / 10; s++) {
    const routes = [];
    for (let r = 0; r < 10; r++) {
      routes.push({
        name: `route-${s * 10 + r}`,
        paths: [`/svc${s}/r${r}`, `~/svc${s}/items/(?<id>\\d+)$`],
        methods: ['GET', 'POST'],
        hosts: [`h${s % 100}.example.com`],
      });
    }
    services.push({ name: `service-${s}`, url: `http://backend-${s}.internal:8080/api`, routes });
  }
  return { _format_version: '3.0', services };
}

/** CPU milliseconds `fn` takes in this process (less sensitive to other processes than wall-clock time). */
function cpuMs(fn: () => void): number {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

test('loading grows linearly with the number of routes (10,000 to 100,000), not quadratically', (t) => {
  const small = JSON.stringify(bigDocument(10_000));
  const large = JSON.stringify(bigDocument(100_000));
  let smallRoutes = 0;
  let largeRoutes = 0;
  // A first small load warms the code up, so that both measured loads run optimised code.
  loadDeclarative(small, { filename: 'warm.json' });
  const smallMs = cpuMs(() => {
    const result = loadDeclarative(small, { filename: 'small.json' });
    assert.ok(result.ok);
    smallRoutes = result.config.routes.length;
  });
  const largeMs = cpuMs(() => {
    const result = loadDeclarative(large, { filename: 'big.json' });
    assert.ok(result.ok);
    largeRoutes = result.config.routes.length;
    assert.equal(result.config.services.length, 10_000);
  });
  assert.equal(smallRoutes, 10_000);
  assert.equal(largeRoutes, 100_000);
  t.diagnostic(`10,000 routes: ${Math.round(smallMs)} ms CPU; 100,000 routes: ${Math.round(largeMs)} ms CPU`);
  // Ten times the routes: about ten times the work; quadratic behaviour would be a hundred times.
  assert.ok(largeMs < 30 * smallMs, `100,000 routes cost ${(largeMs / smallMs).toFixed(1)}x 10,000 routes`);
});
