/**
 * Differential test: random route sets (large enough to exercise every index) and random requests;
 * the indexed router must pick the same entry as the literal reference model of its flavor.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildRouter } from './index.ts';
import { buildMatchResult } from './match-result.ts';
import { referenceCompatible, referenceTraditional } from './test-support/reference-router.ts';
import { toMatchInput, toRouterEntry } from './test-support/cases.ts';
import type { RequestSpec, RouteSpec } from './test-support/cases.ts';

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ROUTE_HOSTS = ['a.test', 'b.test', 'a.test:8000', 'b.test:80', '*.test', '*.a.test', 'a.*', '*.test:8000', '[::1]', '::1', 'c.test:443'];
const ROUTE_PATHS = ['/', '/a', '/a/b', '/a/b/c', '/ab', '/b', '/b/', '~/a/\\d+', '~/b/[a-z]+$', '~/a', '~/(a|b)/x', '/a%2Fb'];
const ROUTE_METHODS = [['GET'], ['POST'], ['GET', 'POST']];
const ROUTE_HEADERS: Array<Record<string, string[]>> = [
  { 'x-a': ['1'] },
  { 'x-a': ['2'], 'x-b': ['1'] },
  { 'x-b': ['~*^v\\d'] },
  { 'x-c': ['1', '2'] },
  { 'x-a': ['1', '~*z'] },
];
const ROUTE_SNIS = [['s.test'], ['a.test'], ['*.test']];

const REQUEST_HOSTS = ['a.test', 'a.test:8000', 'a.test:80', 'b.test', 'b.test:80', 'x.a.test', 'a.b', 'c.test:8000', 'c.test', '', '[::1]', '[::1]:8000', '::1', 'q.test:443'];
const REQUEST_PATHS = ['/', '/a', '/a/b', '/a/b/c/d', '/ab', '/a/12', '/b/xyz', '/b/', '/a/x', '/b/x', '/c', '/a%2fb/c', '/a/./b/../c'];
const REQUEST_HEADERS: Array<Record<string, string | string[]>> = [
  {},
  { 'x-a': '1' },
  { 'x-a': '2', 'x-b': '1' },
  { 'x-b': 'V2' },
  { 'x-c': ['3', '2'] },
  { 'x-a': 'zz', 'x-c': '1' },
  { 'x-b': 'v1', 'x-a': '1' },
];

function pick<V>(next: () => number, values: V[]): V {
  return values[Math.floor(next() * values.length)];
}

function randomRoute(next: () => number, index: number): RouteSpec {
  const route: RouteSpec = { id: `r${String(Math.floor(next() * 1e6)).padStart(6, '0')}-${index}`, created_at: Math.floor(next() * 5) };
  for (;;) {
    if (next() < 0.5) route.hosts = next() < 0.8 ? [pick(next, ROUTE_HOSTS)] : [pick(next, ROUTE_HOSTS), pick(next, ROUTE_HOSTS)];
    if (next() < 0.6) route.paths = next() < 0.8 ? [pick(next, ROUTE_PATHS)] : [pick(next, ROUTE_PATHS), pick(next, ROUTE_PATHS)];
    if (next() < 0.3) route.methods = pick(next, ROUTE_METHODS);
    if (next() < 0.25) route.headers = pick(next, ROUTE_HEADERS);
    if (next() < 0.15) route.snis = pick(next, ROUTE_SNIS);
    if (route.hosts || route.paths || route.methods || route.headers || route.snis) break;
  }
  if (next() < 0.3) route.regex_priority = Math.floor(next() * 3) - 1;
  route.strip_path = next() < 0.7;
  if (next() < 0.3) route.path_handling = 'v1';
  if (next() < 0.5) route.service_path = pick(next, ['/', '/svc', '/svc/']);
  return route;
}

function randomRequest(next: () => number): RequestSpec {
  const scheme = next() < 0.7 ? 'http' : 'https';
  return {
    method: pick(next, ['GET', 'POST', 'PUT']),
    path: pick(next, REQUEST_PATHS),
    host: pick(next, REQUEST_HOSTS),
    headers: pick(next, REQUEST_HEADERS),
    scheme,
    sni: scheme === 'https' ? pick(next, ['', 's.test', 'a.test', 'x.test']) : '',
    port: pick(next, [8000, 80, 443, 8443]),
  };
}

const CONFIGS = 150;
const REQUESTS_PER_CONFIG = 80;

describe('indexed router agrees with the literal reference model', () => {
  const modes = [
    { flavor: 'traditional', calculation: 'strict' },
    { flavor: 'traditional_compatible', calculation: 'original' },
    { flavor: 'traditional_compatible', calculation: 'strict' },
  ] as const;
  for (const { flavor, calculation } of modes) {
    it(`${flavor} (${calculation}): ${CONFIGS} random configurations x ${REQUESTS_PER_CONFIG} requests`, () => {
      let matched = 0;
      for (let seed = 1; seed <= CONFIGS; seed++) {
        const next = random(seed * 7919 + (flavor === 'traditional' ? 0 : 1));
        const count = 5 + Math.floor(next() * 80);
        const entries = Array.from({ length: count }, (_, index) => toRouterEntry(randomRoute(next, index), index));
        const router = buildRouter(entries, { flavor, routeMatchCalculation: calculation });
        const reference = flavor === 'traditional' ? referenceTraditional(entries) : referenceCompatible(entries, calculation);
        for (let n = 0; n < REQUESTS_PER_CONFIG; n++) {
          const input = toMatchInput(randomRequest(next));
          const actual = router.match(input);
          const expected = reference(input);
          const context = `seed ${seed}, request ${JSON.stringify(input)}`;
          assert.equal(actual?.payload ?? null, expected?.entry.source.payload ?? null, context);
          if (expected !== null) {
            matched++;
            assert.deepEqual(actual, buildMatchResult(expected.entry, expected.path), context);
          }
        }
      }
      // The generator must produce mostly hits, or the comparison proves little.
      assert.ok(matched > CONFIGS * REQUESTS_PER_CONFIG * 0.5, `only ${matched} matches`);
    });
  }
});

describe('the expressions flavor routes traditional routes as traditional_compatible does', () => {
  // Both translate a traditional route the same way (Kong's transform.lua); the expressions router
  // evaluates the translation through its own index. Captures can differ (atc-router keeps the captures
  // of every regex predicate of a route, header regexes included), so they are not compared.
  for (const calculation of ['original', 'strict'] as const) {
    it(`${calculation}: ${CONFIGS} random configurations x ${REQUESTS_PER_CONFIG} requests`, () => {
      let matched = 0;
      for (let seed = 1; seed <= CONFIGS; seed++) {
        const next = random(seed * 104729 + 3);
        const count = 5 + Math.floor(next() * 80);
        const entries = Array.from({ length: count }, (_, index) => toRouterEntry(randomRoute(next, index), index));
        const compatible = buildRouter(entries, { flavor: 'traditional_compatible', routeMatchCalculation: calculation });
        const expressions = buildRouter(entries, { flavor: 'expressions', routeMatchCalculation: calculation });
        for (let n = 0; n < REQUESTS_PER_CONFIG; n++) {
          const input = toMatchInput(randomRequest(next));
          const expected = compatible.match(input);
          const actual = expressions.match(input);
          const context = `seed ${seed}, request ${JSON.stringify(input)}`;
          assert.equal(actual?.payload ?? null, expected?.payload ?? null, context);
          if (expected === null || actual === null) continue;
          matched++;
          assert.equal(actual.upstreamPath, expected.upstreamPath, context);
          assert.equal(actual.strippedPrefix, expected.strippedPrefix, context);
        }
      }
      assert.ok(matched > CONFIGS * REQUESTS_PER_CONFIG * 0.5, `only ${matched} matches`);
    });
  }
});
