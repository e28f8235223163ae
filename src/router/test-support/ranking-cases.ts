/**
 * Choosing between matching routes: router.md section 5 (traditional) and section 10 (compatible),
 * including the observable consequences of Kong's traditional walk and the places the flavors differ.
 */
import { scenario } from './cases.ts';
import type { RouterCase } from './cases.ts';

const both = (traditional: string | null, traditional_compatible: string | null) => ({ traditional, traditional_compatible });
/** Same answer for traditional and the documented compatible order; Kong 3.x's default arithmetic answers `original`. */
const documentedButOriginal = (documented: string | null, original: string | null) => ({ traditional: documented, traditional_compatible: documented, original });

const fieldCount: RouterCase[] = [
  ...scenario({
    name: 'hosts+methods beats hosts',
    routes: [{ id: 'host', hosts: ['h.test'] }, { id: 'host-method', hosts: ['h.test'], methods: ['GET'] }],
    requests: [
      { name: 'GET', request: { host: 'h.test' }, expect: 'host-method' },
      { name: 'POST', request: { method: 'POST', host: 'h.test' }, expect: 'host' },
    ],
  }),
  ...scenario({
    name: 'headers+paths beats a longer path',
    routes: [{ id: 'long', paths: ['/very/long/path'] }, { id: 'header-root', paths: ['/'], headers: { 'x-a': ['1'] } }],
    requests: [
      { name: 'with the header', request: { path: '/very/long/path', headers: { 'x-a': '1' } }, expect: 'header-root' },
      { name: 'without the header', request: { path: '/very/long/path' }, expect: 'long' },
      { name: 'wrong header value', request: { path: '/very/long/path', headers: { 'x-a': '2' } }, expect: 'long' },
    ],
  }),
  ...scenario({
    name: 'a regex with a huge regex_priority loses to methods+paths',
    routes: [{ id: 'regex', paths: ['~/x'], regex_priority: 1000 }, { id: 'method-root', paths: ['/'], methods: ['GET'] }],
    requests: [
      { name: 'GET /x', request: { path: '/x' }, expect: documentedButOriginal('method-root', 'regex') },
      { name: 'POST /x', request: { method: 'POST', path: '/x' }, expect: 'regex' },
    ],
  }),
  ...scenario({
    name: 'three fields beat two',
    routes: [
      { id: 'host-path', hosts: ['h.test'], paths: ['/a/b/c/d'] },
      { id: 'host-path-method', hosts: ['h.test'], paths: ['/a'], methods: ['GET'] },
    ],
    requests: [
      { name: 'all three match', request: { host: 'h.test', path: '/a/b/c/d' }, expect: 'host-path-method' },
      { name: 'method differs', request: { method: 'PUT', host: 'h.test', path: '/a/b/c/d' }, expect: 'host-path' },
    ],
  }),
];

const equalWeight: RouterCase[] = [
  ...scenario({
    name: 'hosts-only beats methods-only',
    routes: [{ id: 'method', methods: ['GET'] }, { id: 'host', hosts: ['h.test'] }],
    requests: [
      { name: 'both match', request: { host: 'h.test' }, expect: 'host' },
      { name: 'only the method', request: { host: 'other.test' }, expect: 'method' },
    ],
  }),
  ...scenario({
    name: 'headers-only beats paths-only',
    routes: [{ id: 'path', paths: ['/x'] }, { id: 'header', headers: { 'x-a': ['1'] } }],
    requests: [
      { name: 'both match', request: { path: '/x', headers: { 'x-a': '1' } }, expect: 'header' },
      { name: 'only the path', request: { path: '/x' }, expect: 'path' },
    ],
  }),
  ...scenario({
    name: 'paths-only beats methods-only',
    routes: [{ id: 'method', methods: ['GET'] }, { id: 'path', paths: ['/x'] }],
    requests: [
      { name: 'both match', request: { path: '/x' }, expect: 'path' },
      { name: 'only the method', request: { path: '/y' }, expect: 'method' },
    ],
  }),
  ...scenario({
    name: 'hosts+snis beats headers+paths over https',
    routes: [
      { id: 'header-path', headers: { 'x-a': ['1'] }, paths: ['/long/path'] },
      { id: 'host-sni', hosts: ['h.test'], snis: ['h.test'] },
    ],
    requests: [
      { name: 'both match', request: { scheme: 'https', sni: 'h.test', host: 'h.test', path: '/long/path', headers: { 'x-a': '1' } }, expect: 'host-sni' },
    ],
  }),
  ...scenario({
    name: 'a wildcard-host route against a headers-only route',
    routes: [{ id: 'header', headers: { 'x-a': ['1'] } }, { id: 'wildcard', hosts: ['*.h.test'] }],
    requests: [
      // Traditional: category order (hosts > headers). Compatible: neither has plain hosts; one header wins.
      { name: 'both match', request: { host: 'a.h.test', headers: { 'x-a': '1' } }, expect: both('wildcard', 'header') },
    ],
  }),
  ...scenario({
    name: 'snis-only against methods-only over https',
    routes: [{ id: 'a-method', methods: ['GET'] }, { id: 'b-sni', snis: ['s.test'] }],
    requests: [
      // Traditional: methods > snis. Compatible: equal priority, the higher route id wins.
      { name: 'both match', request: { scheme: 'https', sni: 's.test' }, expect: both('a-method', 'b-sni') },
    ],
  }),
];

const subWeights: RouterCase[] = [
  ...scenario({
    name: 'plain hosts before wildcard hosts',
    routes: [{ id: 'wildcard', hosts: ['*.example.com'] }, { id: 'plain', hosts: ['api.example.com'] }],
    requests: [
      { name: 'the plain host', request: { host: 'api.example.com' }, expect: 'plain' },
      { name: 'another subdomain', request: { host: 'www.example.com' }, expect: 'wildcard' },
    ],
  }),
  ...scenario({
    name: 'plain host route against a wildcard route with a longer prefix',
    routes: [{ id: 'wild', hosts: ['*.example.com'], paths: ['/users/list/all'] }, { id: 'plain', hosts: ['api.example.com'], paths: ['/users'] }],
    requests: [{ name: 'plain host wins in both flavors', request: { host: 'api.example.com', path: '/users/list/all' }, expect: 'plain' }],
  }),
  ...scenario({
    name: 'port-specific wildcard before port-less wildcard',
    routes: [{ id: 'z-any', hosts: ['*.example.com'] }, { id: 'a-port', hosts: ['*.example.com:8000'] }],
    requests: [
      // Compatible: same priority, so the higher id wins.
      { name: 'port 8000', request: { host: 'api.example.com:8000' }, expect: both('a-port', 'z-any') },
      { name: 'other port', request: { host: 'api.example.com:9000' }, expect: 'z-any' },
    ],
  }),
  ...scenario({
    name: 'port-specific wildcard against a plain host',
    routes: [{ id: 'plain', hosts: ['a.example.com'] }, { id: 'wild-port', hosts: ['*.example.com:8000'] }],
    requests: [
      { name: 'Host with port 8000', request: { host: 'a.example.com:8000' }, expect: both('wild-port', 'plain') },
      { name: 'Host without port', request: { host: 'a.example.com' }, expect: 'plain' },
    ],
  }),
  ...scenario({
    name: 'regex before prefix, even an exact prefix',
    routes: [{ id: 'prefix', paths: ['/users/123'] }, { id: 'regex', paths: ['~/users/\\d+'] }],
    requests: [
      { name: 'exact prefix', request: { path: '/users/123' }, expect: 'regex' },
      { name: 'regex matches a prefix of the path', request: { path: '/users/123x' }, expect: 'regex' },
      { name: 'a longer number', request: { path: '/users/1234' }, expect: 'regex' },
      { name: 'only the prefix', request: { path: '/users/12' }, expect: 'regex' },
      { name: 'neither', request: { path: '/users/x' }, expect: null },
    ],
  }),
  ...scenario({
    name: 'regex before a longer prefix',
    routes: [{ id: 'prefix', paths: ['/users/123/profile/photos'] }, { id: 'regex', paths: ['~/users/\\d+$'] }],
    requests: [
      { name: 'regex matches', request: { path: '/users/123' }, expect: 'regex' },
      { name: 'only the prefix matches', request: { path: '/users/123/profile/photos' }, expect: 'prefix' },
    ],
  }),
];

const headerCount: RouterCase[] = scenario({
  name: 'more header names first',
  routes: [
    { id: 'one', headers: { 'x-a': ['1'] } },
    { id: 'two', headers: { 'x-a': ['1'], 'x-b': ['2'] } },
    { id: 'three', headers: { 'x-a': ['1'], 'x-b': ['2'], 'x-c': ['3'] } },
  ],
  requests: [
    { name: 'three present', request: { headers: { 'x-a': '1', 'x-b': '2', 'x-c': '3' } }, expect: 'three' },
    { name: 'two present', request: { headers: { 'x-a': '1', 'x-b': '2' } }, expect: 'two' },
    { name: 'one present', request: { headers: { 'x-a': '1' } }, expect: 'one' },
    { name: 'third wrong', request: { headers: { 'x-a': '1', 'x-b': '2', 'x-c': '4' } }, expect: 'two' },
  ],
});

const regexPriority: RouterCase[] = [
  ...scenario({
    name: 'regex_priority orders regex paths',
    routes: [
      { id: 'low', paths: ['~/a/b'], regex_priority: 0 },
      { id: 'high', paths: ['~/a'], regex_priority: 10 },
    ],
    requests: [
      { name: 'both match', request: { path: '/a/b' }, expect: 'high' },
      { name: 'only the short one', request: { path: '/a/c' }, expect: 'high' },
    ],
  }),
  ...scenario({
    name: 'negative regex_priority',
    routes: [
      { id: 'negative', paths: ['~/a'], regex_priority: -5 },
      { id: 'zero', paths: ['~/a/b'] },
    ],
    // Kong 3.x shifts a negative regex_priority into the sign bit: such a route outranks every other.
    requests: [{ name: 'both match', request: { path: '/a/b' }, expect: documentedButOriginal('zero', 'negative') }],
  }),
  ...scenario({
    name: 'Kong 3.x arithmetic: a plain-host-only route outranks a route with more fields',
    routes: [
      { id: 'plain-host', hosts: ['h.test'] },
      { id: 'method-path', methods: ['GET'], paths: ['/a'] },
    ],
    requests: [{ name: 'both match', request: { host: 'h.test', path: '/a' }, expect: documentedButOriginal('method-path', 'plain-host') }],
  }),
  ...scenario({
    name: 'Kong 3.x arithmetic: four fields outrank a plain host with three',
    routes: [
      { id: 'four', hosts: ['*.test'], methods: ['GET'], paths: ['/a'], headers: { 'x-a': ['1'] } },
      { id: 'three', hosts: ['h.test'], methods: ['GET'], paths: ['/a/b'] },
    ],
    requests: [{ name: 'both match', request: { host: 'h.test', path: '/a/b', headers: { 'x-a': '1' } }, expect: 'four' }],
  }),
  ...scenario({
    name: 'prefix paths ignore regex_priority',
    routes: [
      { id: 'short', paths: ['/a'], regex_priority: 100 },
      { id: 'long', paths: ['/a/b'] },
    ],
    requests: [{ name: 'longer wins', request: { path: '/a/b' }, expect: 'long' }],
  }),
  ...scenario({
    name: 'regex_priority does not cross field sets',
    routes: [
      { id: 'regex', paths: ['~/a'], regex_priority: 50 },
      { id: 'host-prefix', hosts: ['h.test'], paths: ['/a'] },
    ],
    requests: [{ name: 'two fields win', request: { host: 'h.test', path: '/a' }, expect: 'host-prefix' }],
  }),
];

const ties: RouterCase[] = [
  ...scenario({
    name: 'equal rank: traditional prefers older, compatible the higher id',
    routes: [
      { id: 'z-newer', paths: ['/x'], created_at: 200 },
      { id: 'a-older', paths: ['/x'], created_at: 100 },
    ],
    requests: [{ name: 'both match', request: { path: '/x' }, expect: both('a-older', 'z-newer') }],
  }),
  ...scenario({
    name: 'equal regex rank',
    routes: [
      { id: 'b', paths: ['~/r/\\d'], created_at: 1 },
      { id: 'c', paths: ['~/r/.'], created_at: 2 },
    ],
    requests: [{ name: 'both match', request: { path: '/r/1' }, expect: both('b', 'c') }],
  }),
];

const pathSplitting: RouterCase[] = [
  ...scenario({
    name: 'each path of a route ranks on its own',
    routes: [{ id: 'mixed', paths: ['/a', '/bbbbbbb'] }, { id: 'mid', paths: ['/a/bb'] }],
    requests: [
      { name: '/a/bb/foobar', request: { path: '/a/bb/foobar' }, expect: 'mid' },
      { name: '/bbbbbbb', request: { path: '/bbbbbbb' }, expect: 'mixed' },
      { name: '/a/x', request: { path: '/a/x' }, expect: 'mixed' },
    ],
  }),
  ...scenario({
    name: 'a long path of one route beats a medium one of another',
    routes: [{ id: 'split', paths: ['/u', '/users/long/path'] }, { id: 'medium', paths: ['/users/long'] }],
    requests: [
      { name: 'long path', request: { path: '/users/long/path/x' }, expect: 'split' },
      { name: 'medium path', request: { path: '/users/long/x' }, expect: 'medium' },
      { name: 'short path', request: { path: '/users' }, expect: 'split' },
    ],
  }),
  ...scenario({
    name: 'regex and prefix paths on one route',
    routes: [{ id: 'both-kinds', paths: ['/users', '~/users/\\d+$'] }, { id: 'exact', paths: ['/users/1'] }],
    requests: [
      { name: 'regex part outranks the other route', request: { path: '/users/1' }, expect: 'both-kinds' },
      { name: 'prefix part loses to the longer prefix', request: { path: '/users/1/x' }, expect: 'exact' },
      { name: 'prefix part alone', request: { path: '/users/abc' }, expect: 'both-kinds' },
    ],
  }),
];

const traditionalWalk: RouterCase[] = [
  ...scenario({
    name: 'port-specific plain host via the Host short-list',
    routes: [{ id: 'y-any', hosts: ['domain-1.org'] }, { id: 'x-port', hosts: ['domain-1.org:321'] }],
    requests: [
      // Traditional: the short-list is keyed by the raw Host. Compatible: both match with the same priority.
      { name: 'Host with port 321', request: { host: 'domain-1.org:321' }, expect: both('x-port', 'y-any') },
      { name: 'Host with another port', request: { host: 'domain-1.org:322' }, expect: 'y-any' },
      { name: 'Host without port', request: { host: 'domain-1.org' }, expect: 'y-any' },
    ],
  }),
  ...scenario({
    name: 'hosts+snis does not shadow hosts on plain HTTP (Kong #6425)',
    routes: [{ id: 'host-sni', hosts: ['x.test'], snis: ['x.test'] }, { id: 'host', hosts: ['x.test'] }],
    requests: [
      { name: 'plain HTTP', request: { host: 'x.test' }, expect: both('host', 'host-sni') },
      { name: 'https with the SNI', request: { host: 'x.test', scheme: 'https', sni: 'x.test' }, expect: 'host-sni' },
      { name: 'https with another SNI', request: { host: 'x.test', scheme: 'https', sni: 'y.test' }, expect: 'host' },
    ],
  }),
  ...scenario({
    name: 'hosts+snis as the only candidate',
    routes: [{ id: 'host-sni', hosts: ['x.test'], snis: ['x.test'] }, { id: 'other', hosts: ['y.test'], paths: ['/'] }],
    requests: [{ name: 'plain HTTP still matches it', request: { host: 'x.test' }, expect: 'host-sni' }],
  }),
  ...scenario({
    name: 'methods+snis against methods on plain HTTP',
    routes: [{ id: 'method-sni', methods: ['GET'], snis: ['s.test'] }, { id: 'method', methods: ['GET'] }],
    requests: [
      { name: 'plain HTTP', request: {}, expect: both('method', 'method-sni') },
      { name: 'https with the SNI', request: { scheme: 'https', sni: 's.test' }, expect: 'method-sni' },
    ],
  }),
  ...scenario({
    name: 'short-list by path may pick a lower-ranked entry (traditional quirk)',
    routes: [
      { id: 'p1', hosts: ['b.a.com'], paths: ['/x'] },
      { id: 'p2', hosts: ['b.a.com'], paths: ['/z'] },
      { id: 'w', hosts: ['*.a.com'], paths: ['/x/y'] },
    ],
    requests: [
      { name: 'b.a.com /x/y', request: { host: 'b.a.com', path: '/x/y' }, expect: both('w', 'p1') },
      { name: 'b.a.com /x/z', request: { host: 'b.a.com', path: '/x/z' }, expect: 'p1' },
      { name: 'c.a.com /x/y', request: { host: 'c.a.com', path: '/x/y' }, expect: 'w' },
    ],
  }),
  ...scenario({
    name: 'header short-list is taken first',
    routes: [
      { id: 'h-host', headers: { 'x-a': ['1'] }, hosts: ['h.test'], paths: ['/p'] },
      { id: 'h-host-2', headers: { 'x-b': ['1'] }, hosts: ['h.test'], paths: ['/p/longer'] },
    ],
    requests: [
      { name: 'both headers present: the longer path ranks first', request: { host: 'h.test', path: '/p/longer', headers: { 'x-a': '1', 'x-b': '1' } }, expect: 'h-host-2' },
      { name: 'only x-a', request: { host: 'h.test', path: '/p/longer', headers: { 'x-a': '1' } }, expect: 'h-host' },
    ],
  }),
  ...scenario({
    name: 'header short-list may pick a lower-ranked entry (traditional quirk)',
    routes: [
      // Ranks first globally (plain hosts), so its header name x-a is the remembered header hit.
      { id: 'elsewhere', headers: { 'x-a': ['9'] }, hosts: ['zzz.test'], paths: ['/'] },
      { id: 'long', headers: { 'x-b': ['1'] }, paths: ['/long/path'] },
      { id: 'short', headers: { 'x-a': ['1'] }, paths: ['/l'] },
    ],
    requests: [
      { name: 'both headers', request: { path: '/long/path', headers: { 'x-a': '1', 'x-b': '1' } }, expect: both('short', 'long') },
      { name: 'only x-b', request: { path: '/long/path', headers: { 'x-b': '1' } }, expect: 'long' },
      { name: 'only x-a', request: { path: '/long/path', headers: { 'x-a': '1' } }, expect: 'short' },
    ],
  }),
  ...scenario({
    name: 'a category that cannot match is skipped',
    routes: [{ id: 'host-path', hosts: ['h.test'], paths: ['/a'] }, { id: 'path', paths: ['/a'] }],
    requests: [
      { name: 'host differs', request: { host: 'other.test', path: '/a' }, expect: 'path' },
      { name: 'host matches', request: { host: 'h.test', path: '/a' }, expect: 'host-path' },
    ],
  }),
];

export const RANKING_CASES: RouterCase[] = [
  ...fieldCount,
  ...equalWeight,
  ...subWeights,
  ...headerCount,
  ...regexPriority,
  ...ties,
  ...pathSplitting,
  ...traditionalWalk,
];
