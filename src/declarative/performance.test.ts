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

test('loads 100,000 routes in seconds, not minutes', () => {
  const text = JSON.stringify(bigDocument(100_000));
  const started = performance.now();
  const result = loadDeclarative(text, { filename: 'big.json' });
  const elapsed = performance.now() - started;
  assert.ok(result.ok);
  assert.equal(result.config.routes.length, 100_000);
  assert.equal(result.config.services.length, 10_000);
  // About 1.5 s on a developer machine; the bound only catches accidental quadratic behaviour.
  assert.ok(elapsed < 20_000, `took ${Math.round(elapsed)} ms`);
});
