/**
 * The expressions flavor against its case table (src/router/test-support/expression-cases.ts), under both
 * rankings, and its index against a plain in-order scan.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildRouter } from '../index.ts';
import { outcomeFor, toMatchInput, toRouterEntry } from '../test-support/cases.ts';
import { EXPRESSION_CASES } from '../test-support/expression-cases.ts';
import { compileExpressionRoutes, ExpressionsMatcher } from './matcher.ts';
import { ExpressionRequest } from './request.ts';
import { MatchRecord } from './evaluate.ts';
import { RequestView } from '../request-view.ts';
import { normalizePath } from '../../core/uri.ts';

for (const calculation of ['strict', 'original'] as const) {
  describe(`expressions router cases (route_match_calculation = ${calculation})`, () => {
    for (const routerCase of EXPRESSION_CASES) {
      it(routerCase.name, () => {
        const outcome = outcomeFor(routerCase.expect, 'expressions', calculation);
        const router = buildRouter(routerCase.routes.map(toRouterEntry), { flavor: 'expressions', routeMatchCalculation: calculation });
        const result = router.match(toMatchInput(routerCase.request));
        assert.equal(result === null ? null : result.payload, outcome.route);
        if (result === null) return;
        if (outcome.upstreamPath !== undefined) assert.equal(result.upstreamPath, outcome.upstreamPath, 'upstreamPath');
        if (outcome.strippedPrefix !== undefined) assert.equal(result.strippedPrefix, outcome.strippedPrefix, 'strippedPrefix');
        if (outcome.captures !== undefined) assert.deepEqual(result.uriCaptures, outcome.captures, 'uriCaptures');
      });
    }
  });
}

describe('expressions router building', () => {
  it('leaves out a route whose expression does not compile and reports it', () => {
    const errors: string[] = [];
    const router = buildRouter(
      [toRouterEntry({ id: 'bad', expression: 'http.path ^= 1' }, 0), toRouterEntry({ id: 'good', expression: 'http.path ^= "/"' }, 1)],
      { flavor: 'expressions', onRouteError: (message) => errors.push(message) },
    );
    assert.equal(router.match(toMatchInput({ path: '/x' }))?.payload, 'good');
    assert.equal(errors.length, 1);
    assert.match(errors[0], /route bad: could not compile its expression: Type mismatch/);
  });

  it('throws for such a route without an error callback', () => {
    assert.throws(() => buildRouter([toRouterEntry({ id: 'bad', expression: 'nope == 1' }, 0)], { flavor: 'expressions' }), /route bad/);
  });

  it('reads the deprecated net.port as net.dst.port', () => {
    const router = buildRouter([toRouterEntry({ id: 'p', expression: 'net.port == 8000' }, 0)], { flavor: 'expressions' });
    assert.equal(router.match(toMatchInput({ path: '/' }))?.payload, 'p');
  });
});

describe('expressions router index', () => {
  // Random routes filed under host, exact path, prefix, method or nothing; every request's answer must be
  // the first route in rank order whose expression holds, as a scan finds it.
  it('finds what a scan in rank order finds', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const hosts = ['a.test', 'b.test', 'c.test'];
    const paths = ['/', '/x', '/x/y', '/y', '/x/y/z'];
    const methods = ['GET', 'POST'];
    const terms = [
      () => `http.host == "${hosts[random(3)]}"`,
      () => `http.path == "${paths[random(5)]}"`,
      () => `http.path ^= "${paths[random(5)]}"`,
      () => `http.method == "${methods[random(2)]}"`,
      () => `(http.host == "${hosts[random(3)]}" || http.host == "${hosts[random(3)]}")`,
      () => `(http.path ^= "${paths[random(5)]}" || http.path == "${paths[random(5)]}")`,
      () => `!(http.method == "${methods[random(2)]}")`,
      () => `http.headers.x_k == "${random(2)}"`,
    ];
    const specs = Array.from({ length: 200 }, (_, index) => {
      const count = 1 + random(3);
      const expression = Array.from({ length: count }, () => terms[random(terms.length)]()).join(random(4) === 0 ? ' || ' : ' && ');
      return { id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`, expression, priority: random(5) };
    });
    const entries = specs.map(toRouterEntry);
    const matcher = new ExpressionsMatcher(entries, 'strict', (message) => assert.fail(message));
    const ordered = compileExpressionRoutes(entries, 'strict', () => {});
    const view = new RequestView();
    const request = new ExpressionRequest();
    const record = new MatchRecord();
    for (let n = 0; n < 2000; n++) {
      const input = toMatchInput({
        host: hosts[random(3)],
        path: `${paths[random(5)]}${random(2) === 0 ? '' : 'q'}`,
        method: methods[random(2)],
        headers: { 'x-k': String(random(2)) },
      });
      view.reset(input, normalizePath(input.rawPath));
      view.splitHostCompatible(input.listenerPort);
      request.reset(view, input);
      const scanned = ordered.find(({ route }) => {
        record.reset();
        return route.evaluate(request, record);
      });
      const found = matcher.find(view, request);
      assert.equal(found?.source.payload ?? null, scanned?.route.source.payload ?? null, JSON.stringify(input));
    }
  });
});
