/**
 * What a match returns besides the route: upstream path, stripped prefix (X-Forwarded-Prefix),
 * regex captures and the normalised path (router.md section 6 and Kong's exec() tests).
 */
import { scenario } from './cases.ts';
import type { RouterCase } from './cases.ts';

const STRIP_ROUTES = [
  { id: 'strip', paths: ['/my-route', '/xx-route'], strip_path: true },
  { id: 'keep', methods: ['POST'], paths: ['/my-route', '/xx-route'], strip_path: false },
];

const stripping: RouterCase[] = [
  ...scenario({
    name: 'stripped paths',
    routes: STRIP_ROUTES,
    requests: [
      { name: 'strips the matched prefix', request: { path: '/my-route/hello/world' }, expect: { route: 'strip', upstreamPath: '/hello/world', strippedPrefix: '/my-route' } },
      { name: 'strips an exact match', request: { path: '/my-route' }, expect: { route: 'strip', upstreamPath: '/', strippedPrefix: '/my-route' } },
      { name: 'the other path of the route', request: { path: '/xx-route' }, expect: { route: 'strip', upstreamPath: '/', strippedPrefix: '/xx-route' } },
      { name: 'no strip when strip_path is false', request: { method: 'POST', path: '/my-route/hello/world' }, expect: { route: 'keep', upstreamPath: '/my-route/hello/world', strippedPrefix: null } },
      { name: 'strips after normalising', request: { path: '/my-route//hello/./world' }, expect: { route: 'strip', upstreamPath: '/hello/world' } },
    ],
  }),
  ...scenario({
    name: 'root / is not reported as stripped',
    routes: [{ id: 'root', paths: ['/'], strip_path: true }],
    requests: [{ name: 'any path', request: { path: '/my-route/hello/world' }, expect: { route: 'root', upstreamPath: '/my-route/hello/world', strippedPrefix: null } }],
  }),
  ...scenario({
    name: 'encoded reserved characters',
    routes: [{ id: 'encoded', paths: ['/endel%2Fst'], strip_path: true }, { id: 'kept', paths: ['/k%2Fx'], strip_path: false }],
    requests: [
      { name: 'strips an encoded prefix', request: { path: '/endel%2Fst' }, expect: { route: 'encoded', upstreamPath: '/', strippedPrefix: '/endel%2Fst' } },
      { name: 'keeps %2F upstream', request: { path: '/k%2Fx/y' }, expect: { route: 'kept', upstreamPath: '/k%2Fx/y' } },
    ],
  }),
  ...scenario({
    name: 'strips a regex match',
    routes: [
      { id: 'regex', paths: ['~/users/\\d+/profile'], strip_path: true },
      { id: 'group', paths: ['~/items/(\\d+)/detail'], strip_path: true },
      { id: 'greedy', paths: ['~/all/.*'], strip_path: true, service_path: '/base' },
      { id: 'alternation', paths: ['~/alpha|/beta'], strip_path: true },
    ],
    requests: [
      { name: 'regex without groups', request: { path: '/users/123/profile/hello/world' }, expect: { route: 'regex', upstreamPath: '/hello/world', strippedPrefix: '/users/123/profile', captures: null } },
      { name: 'regex with a group', request: { path: '/items/123/detail/hello/world' }, expect: { route: 'group', upstreamPath: '/hello/world', strippedPrefix: '/items/123/detail', captures: { 0: '/items/123/detail', 1: '123' } } },
      { name: 'a greedy .* strips everything', request: { path: '/all/of/it' }, expect: { route: 'greedy', upstreamPath: '/base', strippedPrefix: '/all/of/it' } },
      // Kong would strip nothing through the first alternative (its postfix group binds to the last one).
      { name: 'an alternation strips the whole match', request: { path: '/alpha/x' }, expect: { route: 'alternation', upstreamPath: '/x', strippedPrefix: '/alpha' } },
      { name: 'an alternation, second branch', request: { path: '/beta/x' }, expect: { route: 'alternation', upstreamPath: '/x', strippedPrefix: '/beta' } },
    ],
  }),
  ...scenario({
    name: 'hosts-only route with strip_path',
    routes: [{ id: 'host', hosts: ['h.test'], strip_path: true, service_path: '/svc' }],
    requests: [{ name: 'nothing to strip', request: { host: 'h.test', path: '/a/b' }, expect: { route: 'host', upstreamPath: '/svc/a/b', strippedPrefix: null } }],
  }),
  ...scenario({
    name: 'compatible flavor ignores path_handling v1',
    routes: [{ id: 'v1', paths: ['/route'], path_handling: 'v1', service_path: '/service' }],
    requests: [
      {
        name: 'v1 joins raw strings, v0 joins segments',
        request: { path: '/routereq' },
        expect: { traditional: { route: 'v1', upstreamPath: '/servicereq' }, traditional_compatible: { route: 'v1', upstreamPath: '/service/req' } },
      },
    ],
  }),
];

const captures: RouterCase[] = scenario({
  name: 'uri captures',
  routes: [
    { id: 'named', paths: ['~/users/(?P<user_id>\\d+)/profile/?(?P<scope>[a-z]*)'], strip_path: false },
    { id: 'optional', paths: ['~/(v/)?2001/(?<subpath>profile)$'], strip_path: false },
    { id: 'normalised', paths: ['~/people/(?P<fullname>[a-zA-Z\\s\\d%]+)/profile'], strip_path: false },
    { id: 'prefix', paths: ['/hello'] },
    { id: 'plain-regex', paths: ['~/plain/\\d+'] },
  ],
  requests: [
    {
      name: 'named and numbered groups, empty capture',
      request: { path: '/users/1984/profile' },
      expect: { route: 'named', captures: { 0: '/users/1984/profile', 1: '1984', 2: '', user_id: '1984', scope: '' } },
    },
    {
      name: 'named and numbered groups, non-empty capture',
      request: { path: '/users/1984/profile/email' },
      expect: { route: 'named', captures: { 0: '/users/1984/profile/email', 1: '1984', 2: 'email', user_id: '1984', scope: 'email' } },
    },
    {
      name: 'an optional group that did not take part is left out',
      request: { path: '/2001/profile' },
      expect: { route: 'optional', captures: { 0: '/2001/profile', 2: 'profile', subpath: 'profile' } },
    },
    {
      name: 'the optional group when it takes part',
      request: { path: '/v/2001/profile' },
      expect: { route: 'optional', captures: { 0: '/v/2001/profile', 1: 'v/', 2: 'profile', subpath: 'profile' } },
    },
    {
      name: 'captures come from the normalised path',
      request: { path: '/people/%6aohn%20doe/profile' },
      expect: { route: 'normalised', captures: { 0: '/people/john doe/profile', 1: 'john doe', fullname: 'john doe' }, upstreamPath: '/people/john%20doe/profile' },
    },
    { name: 'no captures from a prefix match', request: { path: '/hello/world' }, expect: { route: 'prefix', captures: null, upstreamPath: '/world' } },
    { name: 'no captures from a regex without groups', request: { path: '/plain/42' }, expect: { route: 'plain-regex', captures: null } },
  ],
});

const upstream: RouterCase[] = [
  ...scenario({
    name: 'upstream escaping',
    routes: [
      { id: 'special', paths: ['/\\d'], strip_path: false },
      { id: 'quote', paths: ['~/\\d+"'], strip_path: false },
      { id: 'any', paths: ['/any'], strip_path: false, service_path: '/base' },
    ],
    requests: [
      { name: 'a backslash is escaped', request: { path: '/\\d' }, expect: { route: 'special', upstreamPath: '/%5Cd' } },
      { name: 'a quote is escaped', request: { path: '/123"' }, expect: { route: 'quote', upstreamPath: '/123%22' } },
      { name: 'a decoded space is re-escaped', request: { path: '/any/a%20b' }, expect: { route: 'any', upstreamPath: '/base/any/a%20b', normalizedPath: '/any/a b' } },
      { name: 'UTF-8 is re-escaped', request: { path: '/any/%E2%82%AC' }, expect: { route: 'any', upstreamPath: '/base/any/%E2%82%AC' } },
      { name: 'sub-delims stay as they are', request: { path: "/any/!$&'()*+,;=:@" }, expect: { route: 'any', upstreamPath: "/base/any/!$&'()*+,;=:@" } },
      { name: 'dot segments are resolved before forwarding', request: { path: '/x/../any/./y' }, expect: { route: 'any', upstreamPath: '/base/any/y' } },
    ],
  }),
  ...scenario({
    name: 'service path with strip_path',
    routes: [
      { id: 'api', paths: ['/api'], service_path: '/v2' },
      { id: 'api-slash', paths: ['/slash/'], service_path: '/v2/' },
    ],
    requests: [
      { name: '/api/users', request: { path: '/api/users' }, expect: { route: 'api', upstreamPath: '/v2/users' } },
      { name: '/api', request: { path: '/api' }, expect: { route: 'api', upstreamPath: '/v2' } },
      { name: '/api/', request: { path: '/api/' }, expect: { route: 'api', upstreamPath: '/v2/' } },
      { name: '/apix', request: { path: '/apix' }, expect: { route: 'api', upstreamPath: '/v2/x' } },
      { name: '/slash/users', request: { path: '/slash/users' }, expect: { route: 'api-slash', upstreamPath: '/v2/users' } },
      { name: '/slash/', request: { path: '/slash/' }, expect: { route: 'api-slash', upstreamPath: '/v2/' } },
    ],
  }),
];

export const RESULT_CASES: RouterCase[] = [...stripping, ...captures, ...upstream];
