/**
 * Runs the shared case tables against every flavor (one case list, per-flavor expectations where the
 * flavors differ).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildRouter } from './index.ts';
import type { Router } from './types.ts';
import { MODES, outcomeFor, toMatchInput, toRouterEntry } from './test-support/cases.ts';
import type { RouteSpec, RouterCase } from './test-support/cases.ts';
import { MATCHING_CASES } from './test-support/matching-cases.ts';
import { RANKING_CASES } from './test-support/ranking-cases.ts';
import { KONG_SPEC_CASES } from './test-support/kong-spec-cases.ts';
import { RESULT_CASES } from './test-support/result-cases.ts';

const SUITES: Array<[string, RouterCase[]]> = [
  ['matching (router.md sections 3-4)', MATCHING_CASES],
  ['ranking (router.md sections 5 and 10)', RANKING_CASES],
  ['cases from Kong spec/01-unit/08-router_spec.lua', KONG_SPEC_CASES],
  ['match results (router.md section 6)', RESULT_CASES],
];

for (const { flavor, calculation, label } of MODES) {
  const routers = new Map<RouteSpec[], Router<string>>();
  const routerFor = (routes: RouteSpec[]): Router<string> => {
    let router = routers.get(routes);
    if (router === undefined) {
      router = buildRouter(routes.map(toRouterEntry), { flavor, routeMatchCalculation: calculation });
      routers.set(routes, router);
    }
    return router;
  };

  describe(`router (${label})`, () => {
    for (const [suite, cases] of SUITES) {
      describe(suite, () => {
        for (const routerCase of cases) {
          it(routerCase.name, () => {
            const outcome = outcomeFor(routerCase.expect, flavor, calculation);
            const result = routerFor(routerCase.routes).match(toMatchInput(routerCase.request));
            assert.equal(result === null ? null : result.payload, outcome.route);
            if (result === null) return;
            if (outcome.upstreamPath !== undefined) assert.equal(result.upstreamPath, outcome.upstreamPath, 'upstreamPath');
            if (outcome.strippedPrefix !== undefined) assert.equal(result.strippedPrefix, outcome.strippedPrefix, 'strippedPrefix');
            if (outcome.normalizedPath !== undefined) assert.equal(result.normalizedPath, outcome.normalizedPath, 'normalizedPath');
            if (outcome.captures !== undefined) assert.deepEqual(result.uriCaptures, outcome.captures, 'uriCaptures');
            assert.equal(result.route.id, outcome.route);
          });
        }
      });
    }
  });
}
