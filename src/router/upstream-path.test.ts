import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normalizePath } from '../core/uri.ts';
import { buildRouter } from './index.ts';
import { buildUpstreamPath, joinV0, joinV1, sanitizePostfix } from './upstream-path.ts';
import { FLAVORS, toMatchInput, toRouterEntry } from './test-support/cases.ts';
import { PATH_HANDLING_ROWS } from './test-support/path-handling-rows.ts';

const HOST = 'localbin.test';

describe('sanitizePostfix', () => {
  const cases: Array<[string, string]> = [
    ['', ''],
    ['.', ''],
    ['..', ''],
    ['./x', 'x'],
    ['../x', 'x'],
    ['.x', '.x'],
    ['..x', '..x'],
    ['/x', '/x'],
    ['x/./y', 'x/./y'],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => assert.equal(sanitizePostfix(input), expected));
  }
});

describe('joinV0 / joinV1 branches', () => {
  it('v0, base with trailing slash', () => {
    assert.equal(joinV0('/s/', 'x', '/r/x', false), '/s/r/x');
    assert.equal(joinV0('/', '', '/r', true), '/');
    assert.equal(joinV0('/s/', '', '/r/', true), '/s/');
    assert.equal(joinV0('/s/', '', '/r', true), '/s');
    assert.equal(joinV0('/s/', '/x', '/r/x', true), '/s/x');
    assert.equal(joinV0('/s/', 'x', '/rx', true), '/s/x');
  });
  it('v0, base without trailing slash', () => {
    assert.equal(joinV0('/s', '', '/', false), '/s');
    assert.equal(joinV0('/s', '', '/r', false), '/s/r');
    assert.equal(joinV0('/s', '', '/r/', true), '/s/');
    assert.equal(joinV0('/s', '', '/', true), '/s');
    assert.equal(joinV0('/s', '', '/r', true), '/s');
    assert.equal(joinV0('/s', '/x', '/r/x', true), '/s/x');
    assert.equal(joinV0('/s', 'x', '/rx', true), '/s/x');
  });
  it('v1', () => {
    assert.equal(joinV1('/s', 'x', '/rx', true), '/sx');
    assert.equal(joinV1('/s/', '/x', '/r/x', true), '/s/x');
    assert.equal(joinV1('/s/', 'x', '/rx', true), '/s/x');
    assert.equal(joinV1('/s', '', '/r', false), '/sr');
  });
  it('treats a null or empty service path as /', () => {
    assert.equal(buildUpstreamPath(null, '/a', false, null, 'v0'), '/a');
    assert.equal(buildUpstreamPath('', '/a', true, '/a', 'v0'), '/');
  });
});

describe('upstream path table (router.md appendix), direct', () => {
  for (const [servicePath, routePath, stripPath, requestPath, v0, v1] of PATH_HANDLING_ROWS) {
    const label = `${servicePath} | ${routePath ?? '(none)'} | strip=${stripPath} | ${requestPath}`;
    it(label, () => {
      const normalized = normalizePath(requestPath);
      assert.equal(buildUpstreamPath(servicePath, normalized, stripPath, routePath, 'v0'), v0, 'v0');
      assert.equal(buildUpstreamPath(servicePath, normalized, stripPath, routePath, 'v1'), v1, 'v1');
    });
  }
});

describe('upstream path table (router.md appendix), through the router', () => {
  for (const flavor of FLAVORS) {
    for (const pathHandling of ['v0', 'v1'] as const) {
      for (const [servicePath, routePath, stripPath, requestPath, v0, v1] of PATH_HANDLING_ROWS) {
        // The compatible flavor accepts v1 but always builds v0 paths.
        const expected = flavor === 'traditional' && pathHandling === 'v1' ? v1 : v0;
        const variants: Array<[kind: string, path: string | null]> =
          routePath === null ? [['host', null]] : [['prefix', routePath], ['regex', `~/[0]?${routePath.slice(1)}`]];
        for (const [kind, path] of variants) {
          const label = `${flavor} ${pathHandling} ${kind}: ${servicePath} | ${path ?? '(none)'} | strip=${stripPath} | ${requestPath}`;
          it(label, () => {
            const entry = toRouterEntry(
              {
                id: 'r',
                hosts: path === null ? [HOST] : undefined,
                paths: path === null ? undefined : [path],
                strip_path: stripPath,
                path_handling: pathHandling,
                service_path: servicePath,
              },
              0,
            );
            const router = buildRouter([entry], { flavor });
            const result = router.match(toMatchInput({ path: requestPath, host: HOST }));
            assert.ok(result, 'route must match');
            assert.equal(result.upstreamPath, expected);
            const stripped = stripPath && routePath !== null && routePath !== '/' ? routePath : null;
            assert.equal(result.strippedPrefix, stripped);
          });
        }
      }
    }
  }
});
