/** Unit tests of the router's building blocks. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { groupPaths, kongOriginalPriority, uuidV5 } from './compatible.ts';
import { compileWildcardHost, splitHostPort } from './host-condition.ts';
import { literalPrefixOf } from './field-conditions.ts';
import { RadixTrie } from './radix-trie.ts';
import { RequestView } from './request-view.ts';
import { buildRouter } from './index.ts';
import { toMatchInput, toRouterEntry } from './test-support/cases.ts';
import type { RouterFlavor } from './types.ts';

describe('RequestView.splitHostTraditional (Kong split_port)', () => {
  // [Host, scheme, host without port, host-with-port as Kong builds it]
  const cases: Array<[string, 'http' | 'https', string, string]> = [
    ['localhost', 'http', 'localhost', 'localhost:80'],
    ['localhost:', 'http', 'localhost', 'localhost:80'],
    ['localhost:80', 'http', 'localhost', 'localhost:80'],
    ['localhost:8000', 'https', 'localhost', 'localhost:8000'],
    ['localhost', 'https', 'localhost', 'localhost:443'],
    ['localhost:23h', 'http', 'localhost:23h', 'localhost:23h:80'],
    ['::1', 'http', '::1', '::1:80'],
    ['[::1]', 'http', '::1', '[::1]:80'],
    ['[::1]:', 'http', '::1', '[::1]:80'],
    ['[::1]:80', 'http', '::1', '[::1]:80'],
    ['[::1]:80b', 'http', '[::1]:80b', '[::1]:80b:80'],
    ['[::1]/96', 'http', '[::1]/96', '[::1]/96:80'],
  ];
  for (const [host, scheme, noPort, withPort] of cases) {
    it(`${host} (${scheme})`, () => {
      const view = new RequestView();
      view.reset(toMatchInput({ host, scheme }), '/');
      view.splitHostTraditional();
      assert.equal(view.hostNoPort, noPort);
      const rebuilt = view.portStart >= 0 ? view.host : `${view.host.slice(0, view.hostPartEnd)}:${view.defaultPortText}`;
      // Kong brackets an unparseable name; only the port part matters to us, so compare that way.
      assert.equal(rebuilt, withPort);
    });
  }
});

describe('RequestView.splitHostCompatible', () => {
  const cases: Array<[string, string, number]> = [
    ['example.com', 'example.com', 8000],
    ['example.com:81', 'example.com', 81],
    ['example.com:', 'example.com:', 8000],
    ['example.com:x', 'example.com:x', 8000],
    ['[::1]:80', '[::1]:80', 8000],
    ['::1', '::1', 8000],
  ];
  for (const [host, compatHost, port] of cases) {
    it(host, () => {
      const view = new RequestView();
      view.reset(toMatchInput({ host }), '/');
      view.splitHostCompatible(8000);
      assert.equal(view.compatHost, compatHost);
      assert.equal(view.compatPort, port);
    });
  }
});

describe('host values', () => {
  it('splits a port only when digits follow the first colon', () => {
    assert.deepEqual(splitHostPort('a.test:81'), { host: 'a.test', port: 81, portText: '81' });
    assert.deepEqual(splitHostPort('a.test'), { host: 'a.test', port: -1, portText: null });
    assert.deepEqual(splitHostPort('[::1]:81'), { host: '[::1]:81', port: -1, portText: null });
  });
  it('compiles leading and trailing wildcards', () => {
    assert.deepEqual(compileWildcardHost('*.a.test:81'), { value: '*.a.test:81', leading: true, fixed: '.a.test', portText: '81', port: 81 });
    assert.deepEqual(compileWildcardHost('a.*'), { value: 'a.*', leading: false, fixed: 'a.', portText: null, port: -1 });
  });
});

describe('literalPrefixOf', () => {
  const cases: Array<[string, string]> = [
    ['/users/\\d+', '/users/'],
    ['/users/(?<id>\\d+)', '/users/'],
    ['/abc?', '/ab'],
    ['/abc*', '/ab'],
    ['/abc{2}', '/ab'],
    ['/abc+', '/abc'],
    ['/a|/b', ''],
    ['(?i)/a', ''],
    ['/a.b', '/a'],
    ['/plain', '/plain'],
  ];
  for (const [source, prefix] of cases) it(source, () => assert.equal(literalPrefixOf(source), prefix));
});

describe('RadixTrie', () => {
  it('stores, splits edges and finds values', () => {
    const trie = new RadixTrie<string>();
    for (const key of ['/api', '/apple', '/a', '/api/v1', '/b']) trie.set(key, key);
    trie.set('/api', 'again');
    assert.equal(trie.size, 5);
    assert.equal(trie.get('/api'), 'again');
    assert.equal(trie.get('/ap'), null);
    assert.equal(trie.get('/apple'), '/apple');
    assert.equal(trie.get('/api/v1/x'), null);
    assert.equal(trie.longestPrefixValue('/api/v1/x'), '/api/v1');
    assert.equal(trie.longestPrefixValue('/api/v'), 'again');
    assert.equal(trie.longestPrefixValue('/appl'), '/a');
    assert.equal(trie.longestPrefixValue('/c'), null);
    assert.equal(trie.longestPrefixValue(''), null);
  });
});

describe('compatible flavor helpers', () => {
  it('uuidV5 matches the RFC 4122 algorithm (lua-resty-jit-uuid documented vectors)', () => {
    assert.equal(uuidV5('e6ebd542-06ae-11e6-8e82-bba81706b27d', 'hello'), '4850816f-1658-5890-8bfd-1ed14251f1f0');
    assert.equal(uuidV5('e6ebd542-06ae-11e6-8e82-bba81706b27d', 'foobar'), 'c9be99fc-326b-5066-bdba-dcd31a6d01ab');
  });
  it('groups paths: regexes together, prefixes by length, in order of appearance', () => {
    assert.deepEqual(groupPaths(['~/regex.*$', '/long-path', '/one', '/two', '/three', '~/.*']), [
      ['~/regex.*$', '~/.*'],
      ['/long-path'],
      ['/one', '/two'],
      ['/three'],
    ]);
  });
  it('breaks ties between split routes by their derived ids', () => {
    // Both routes split in two groups; the /x group of each has the same priority, so the derived
    // UUIDs decide. uuidV5 tells which one is higher.
    const idA = 'aaaaaaaa-0000-4000-8000-000000000000';
    const idB = 'bbbbbbbb-0000-4000-8000-000000000000';
    const namespace = '7f145bf9-0dce-4f91-98eb-debbce4b9f6b';
    const derivedA = uuidV5(namespace, `${idA}#2`);
    const derivedB = uuidV5(namespace, `${idB}#2`);
    const expected = derivedA > derivedB ? idA : idB;
    const router = buildRouter(
      [toRouterEntry({ id: idA, paths: ['/long-a', '/x'] }, 0), toRouterEntry({ id: idB, paths: ['/long-b', '/x'] }, 1)],
      { flavor: 'traditional_compatible' },
    );
    assert.equal(router.match(toMatchInput({ path: '/x' }))?.route.id, expected);
  });
});

describe('buildRouter errors', () => {
  for (const flavor of ['traditional', 'traditional_compatible'] as RouterFlavor[]) {
    it(`${flavor}: rejects a route without matching fields, naming it`, () => {
      assert.throws(() => buildRouter([toRouterEntry({ id: 'empty', name: 'nothing' }, 0)], { flavor }), /route empty \(nothing\): sets none of/);
    });
    it(`${flavor}: rejects a regex that does not compile, PCRE-style`, () => {
      assert.throws(
        () => buildRouter([toRouterEntry({ id: 'bad', paths: ['~/users/(foo'] }, 0)], { flavor }),
        /route bad: invalid regex path '~\/users\/\(foo': pcre2_compile\(\) failed: missing closing parenthesis/,
      );
    });
    it(`${flavor}: rejects a header regex that does not compile`, () => {
      assert.throws(() => buildRouter([toRouterEntry({ id: 'bad', headers: { 'x-a': ['~*(a'] } }, 0)], { flavor }), /route bad: header 'x-a'/);
    });
    it(`${flavor}: an empty configuration matches nothing`, () => {
      assert.equal(buildRouter([], { flavor }).match(toMatchInput({ path: '/' })), null);
    });
  }
  it('rejects an unknown flavor', () => {
    assert.throws(() => buildRouter([], { flavor: 'atc' as RouterFlavor }), /unknown router flavor 'atc'/);
  });
});

describe('router reuse', () => {
  it('gives independent results for consecutive matches', () => {
    const router = buildRouter(
      [toRouterEntry({ id: 'a', hosts: ['a.test:81'] }, 0), toRouterEntry({ id: 'b', paths: ['/b'] }, 1)],
      { flavor: 'traditional' },
    );
    const first = router.match(toMatchInput({ host: 'a.test:81', path: '/x' }));
    const second = router.match(toMatchInput({ path: '/b/y' }));
    assert.equal(first?.route.id, 'a');
    assert.equal(first?.upstreamPath, '/x');
    assert.equal(second?.route.id, 'b');
    assert.equal(second?.upstreamPath, '/y');
  });
});

describe("Kong 3.x's original priority arithmetic (route_match_calculation = original)", () => {
  it('reproduces the 32-bit shifts and the sign extension', () => {
    // Two fields, plain host, prefix /abc: weight shifted by 29 (not 61), the plain-host bit at 60.
    assert.equal(kongOriginalPriority(2, true, 0, false, 0, 4), (1n << 60n) | (2n << 29n) | 4n);
    // A regex route: the regex bit at 51, regex_priority shifted by 19, no length.
    assert.equal(kongOriginalPriority(1, false, 0, true, 3, 0), (1n << 51n) | (1n << 29n) | (3n << 19n));
    // Four fields set bit 31 of the 32-bit value, which sign-extends over the whole top half.
    assert.equal(kongOriginalPriority(4, false, 1, false, 0, 2), 0xffffffff80000000n | (1n << 20n) | 2n);
    // A negative regex_priority does the same.
    assert.equal(kongOriginalPriority(1, false, 0, true, -5, 0) >= 0xffffffff00000000n, true);
    // Headers and regex_priority overlap: one header equals regex_priority 2 in bit 20.
    assert.equal(kongOriginalPriority(2, false, 1, true, 0, 0), kongOriginalPriority(2, false, 0, true, 2, 0));
  });
});
