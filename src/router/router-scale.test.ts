/**
 * Guards the performance contract loosely enough for a busy CI machine: with 50,000 plain host and
 * prefix routes a match must cost microseconds, not a scan (a scan would be ~1 ms per match here).
 * The precise numbers live in bench/router.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildRouter } from './index.ts';
import type { MatchInput, RouterEntry, RouterFlavor, RouterRoute } from './types.ts';

const ROUTES = 50_000;
const MATCHES = 20_000;

function entry(index: number, fields: Partial<RouterRoute>): RouterEntry<number> {
  return {
    route: {
      id: `id-${index}`,
      name: null,
      created_at: index,
      protocols: ['http', 'https'],
      methods: null,
      hosts: null,
      paths: null,
      headers: null,
      snis: null,
      regex_priority: 0,
      strip_path: true,
      preserve_host: false,
      path_handling: 'v0',
      ...fields,
    },
    servicePath: null,
    payload: index,
  };
}

function input(host: string, rawPath: string): MatchInput {
  return { method: 'GET', rawPath, host, headers: {}, sni: '', scheme: 'http', listenerPort: 8000 };
}

describe('router scale', () => {
  const entries: RouterEntry<number>[] = [];
  for (let i = 0; i < ROUTES; i++) {
    if (i % 3 === 0) entries.push(entry(i, { hosts: [`h${i}.test`] }));
    else if (i % 3 === 1) entries.push(entry(i, { paths: [`/p/${i}`] }));
    else entries.push(entry(i, { hosts: [`t${i % 500}.test`], paths: [`/t/${i}`] }));
  }
  entries.push(entry(ROUTES, { paths: ['~/r/\\d+$'] }), entry(ROUTES + 1, { hosts: ['*.wild.test'] }));

  for (const flavor of ['traditional', 'traditional_compatible', 'expressions'] as RouterFlavor[]) {
    it(`${flavor}: builds ${ROUTES} routes and matches without scanning them`, () => {
      const router = buildRouter(entries, { flavor });
      // The same kinds of routes, 100 times fewer: matching there is the yardstick (CPU time, in this process).
      const few = buildRouter([...entries.slice(0, ROUTES / 100), ...entries.slice(ROUTES)], { flavor });

      const inputs: MatchInput[] = [];
      const expected: Array<number | null> = [];
      for (let n = 0; n < MATCHES; n++) {
        const i = (n * 7919) % ROUTES;
        if (n % 10 === 9) {
          inputs.push(input(`nobody${n}.test`, `/none/${n}`));
          expected.push(null);
        } else if (i % 3 === 0) {
          inputs.push(input(`h${i}.test`, `/x/${n}`));
          expected.push(i);
        } else if (i % 3 === 1) {
          inputs.push(input('any.test', `/p/${i}/x`));
          expected.push(i);
        } else {
          inputs.push(input(`t${i % 500}.test`, `/t/${i}/x`));
          expected.push(i);
        }
      }
      const cpuMs = (fn: () => void): number => {
        const before = process.cpuUsage();
        fn();
        const used = process.cpuUsage(before);
        return (used.user + used.system) / 1000;
      };
      const smallInputs = inputs.map((item) => ({ ...item }));
      cpuMs(() => smallInputs.forEach((item) => few.match(item)));
      const smallMs = cpuMs(() => smallInputs.forEach((item) => few.match(item)));
      let actual: Array<number | null> = [];
      const largeMs = cpuMs(() => {
        actual = inputs.map((item) => router.match(item)?.payload ?? null);
      });
      assert.deepEqual(actual, expected);
      // A scan would cost about 100 times more on 100 times the routes; an index costs a few times more (cache misses).
      assert.ok(largeMs < 25 * Math.max(smallMs, 1), `${MATCHES} matches: ${largeMs.toFixed(0)} ms CPU on ${ROUTES} routes, ${smallMs.toFixed(0)} ms on ${ROUTES / 100}`);
    });
  }
});
