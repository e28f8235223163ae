/**
 * Behaviour asserted by Kong's own router tests (`spec/01-unit/08-router_spec.lua`), rewritten as our
 * case rows. Route ids follow Kong's test UUIDs so the compatible flavor's id tie-break is the same.
 */
import { scenario } from './cases.ts';
import type { RouteSpec, RouterCase } from './cases.ts';

const both = (traditional: string | null, traditional_compatible: string | null) => ({ traditional, traditional_compatible });

/** Kong's test route ids: e8fb37f1-102d-461e-9c51-6608a6bb81NN. */
const k = (suffix: string): string => `e8fb37f1-102d-461e-9c51-6608a6bb81${suffix}`;

const MAIN_ROUTES: RouteSpec[] = [
  { id: k('01'), hosts: ['domain-1.org', 'domain-2.org'] },
  { id: k('02'), methods: ['TRACE'] },
  { id: k('03'), paths: ['/my-route'] },
  { id: k('04'), paths: ['/route-4'], hosts: ['domain-1.org', 'domain-2.org'] },
  { id: k('05'), hosts: ['domain-1.org', 'domain-2.org'], methods: ['POST', 'PUT', 'PATCH'] },
  { id: k('06'), methods: ['POST', 'PUT', 'PATCH'], paths: ['/route-6'] },
  { id: k('07'), hosts: ['domain-with-uri-1.org', 'domain-with-uri-2.org'], methods: ['POST', 'PUT', 'PATCH'], paths: ['/my-route-uri'] },
  { id: k('08'), paths: ['/serviceless'] },
  { id: k('09'), headers: { location: ['my-location-1', 'my-location-2'] } },
  { id: k('10'), headers: { location: ['my-location-1'], version: ['v1', 'v2'] } },
  { id: k('11'), headers: { location: ['my-location-1', 'my-location-2'] }, paths: ['/headers-uri'] },
  {
    id: k('12'),
    hosts: ['domain-with-headers-1.org', 'domain-with-headers-2.org'],
    headers: { location: ['my-location-1', 'my-location-2'] },
    methods: ['POST', 'PUT', 'PATCH'],
    paths: ['/headers-host-uri-method'],
  },
  { id: k('13'), hosts: ['domain-1.org:321', 'domain-2.org'] },
  { id: k('14'), hosts: ['domain-3.org:321'] },
  { id: k('15'), headers: { 'user-agent': ['~*windows|linux|os\\s+x\\s*[\\d\\._]+|solaris|bsd'] } },
];

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/83.0.4103.116 Safari/537.36';

const select: RouterCase[] = scenario({
  name: 'select()',
  routes: MAIN_ROUTES,
  requests: [
    { name: '[host]', request: { path: '/', host: 'domain-1.org' }, expect: k('01') },
    { name: '[host] ignores default port', request: { host: 'domain-1.org:80' }, expect: k('01') },
    { name: '[host] weird port matches no-port route', request: { host: 'domain-1.org:123' }, expect: k('01') },
    { name: '[host] matches specific port', request: { host: 'domain-1.org:321' }, expect: k('13') },
    { name: '[host] matches specific port on port-only route', request: { host: 'domain-3.org:321' }, expect: k('14') },
    { name: '[host] fails just because of port on port-only route', request: { host: 'domain-3.org:123' }, expect: null },
    { name: '[uri]', request: { path: '/my-route', host: 'domain.org' }, expect: k('03') },
    { name: '[uri] prefix', request: { path: '/my-route/some/path', host: 'domain.org' }, expect: k('03') },
    { name: '[uri + empty host]', request: { path: '/my-route-uri', host: '' }, expect: k('03') },
    { name: '[method]', request: { method: 'TRACE', host: 'domain.org' }, expect: k('02') },
    { name: '[host + uri]', request: { path: '/route-4', host: 'domain-1.org' }, expect: k('04') },
    { name: '[host + method]', request: { method: 'POST', host: 'domain-1.org' }, expect: k('05') },
    { name: '[uri + method]', request: { method: 'PUT', path: '/route-6', host: 'domain.org' }, expect: k('06') },
    { name: '[host + uri + method]', request: { method: 'PUT', path: '/my-route-uri', host: 'domain-with-uri-2.org' }, expect: k('07') },
    { name: 'single [headers] value 1', request: { headers: { location: 'my-location-1' } }, expect: k('09') },
    { name: 'single [headers] value 2', request: { headers: { location: 'my-location-2' } }, expect: k('09') },
    { name: 'single [headers] repeated', request: { headers: { location: ['my-location-3', 'my-location-2'] } }, expect: k('09') },
    { name: 'single [headers] wrong value', request: { headers: { location: 'my-location-3' } }, expect: null },
    { name: 'single [headers] wrong repeated values', request: { headers: { location: ['my-location-3', 'foo'] } }, expect: null },
    { name: 'single [headers] regex', request: { headers: { 'user-agent': CHROME } }, expect: k('15') },
    { name: 'multiple [headers] values v1', request: { headers: { location: 'my-location-1', version: 'v1' } }, expect: k('10') },
    { name: 'multiple [headers] values v2', request: { headers: { location: 'my-location-1', version: 'v2' } }, expect: k('10') },
    { name: 'multiple [headers] repeated', request: { headers: { location: ['my-location-3', 'my-location-1'], version: 'v2' } }, expect: k('10') },
    { name: 'multiple [headers] falls back to one header', request: { headers: { location: ['my-location-3', 'my-location-2'], version: 'v2' } }, expect: k('09') },
    { name: '[headers + uri]', request: { path: '/headers-uri', headers: { location: 'my-location-2' } }, expect: k('11') },
    {
      name: '[host + headers + uri + method]',
      request: { method: 'PUT', path: '/headers-host-uri-method', host: 'domain-with-headers-1.org', headers: { location: 'my-location-2' } },
      expect: k('12'),
    },
    { name: '[serviceless]', request: { path: '/serviceless' }, expect: k('08') },
    { name: 'miss: invalid [host]', request: { host: 'domain-3.org' }, expect: null },
    { name: 'miss: invalid host in [host + uri]', request: { path: '/route-4', host: 'domain-3.org' }, expect: null },
    { name: 'miss: invalid method in [host + uri + method]', request: { path: '/some-uri', host: 'domain-with-uri-2.org' }, expect: null },
    { name: 'miss: invalid uri in [host + uri + method]', request: { method: 'PUT', path: '/some-uri-foo', host: 'domain-with-uri-2.org' }, expect: null },
    { name: 'miss: [uri] in URI but not in prefix', request: { path: '/some-other-prefix/my-route', host: 'domain.org' }, expect: null },
    { name: 'miss: invalid [headers]', request: { headers: { location: 'invalid-location' } }, expect: null },
    { name: 'miss: invalid headers in [headers + uri]', request: { path: '/headers-uri', headers: { location: 'invalid-location' } }, expect: null },
    {
      name: 'miss: invalid headers in [headers + host + uri + method]',
      request: { method: 'PUT', path: '/headers-host-uri-method', host: 'domain-with-headers-1.org', headers: { location: 'invalid-location' } },
      expect: null,
    },
  ],
});

const rootRoute: RouterCase[] = scenario({
  name: 'root / [uri]',
  routes: [{ id: k('0f'), paths: ['/'] }, ...MAIN_ROUTES],
  requests: [
    { name: 'request with [method]', request: { host: 'domain.org' }, expect: k('0f') },
    { name: 'does not supersede another route', request: { path: '/my-route', host: 'domain.org' }, expect: k('03') },
    { name: 'does not supersede another route (deeper)', request: { path: '/my-route/hello/world', host: 'domain.org' }, expect: k('03') },
    { name: 'acts as a catch-all route', request: { path: '/foobar/baz', host: 'domain.org' }, expect: k('0f') },
  ],
});

const sameCategory: RouterCase[] = scenario({
  name: 'multiple routes of same category with conflicting values',
  routes: [
    ...MAIN_ROUTES,
    ...[1, 2, 3, 4, 5].map((n) => ({ id: k(`1${n}x`), hosts: ['domain.org'], paths: ['/my-uri'] })),
    { id: k('21'), hosts: ['domain.org'], paths: ['/my-target-uri'] },
  ],
  requests: [{ name: 'matches correct route', request: { path: '/my-target-uri', host: 'domain.org' }, expect: k('21') }],
});

const edgeCases: RouterCase[] = [
  ...scenario({
    name: '[host] and [uri] have higher priority than [method]',
    routes: MAIN_ROUTES.slice(0, 7),
    requests: [
      { name: 'host', request: { method: 'TRACE', host: 'domain-2.org' }, expect: k('01') },
      { name: 'uri', request: { method: 'TRACE', path: '/my-route', host: 'domain.org' }, expect: k('03') },
    ],
  }),
  ...scenario({
    name: 'half [uri] and [host] match does not supersede another route',
    routes: [{ id: k('01'), hosts: ['host1.com'], paths: ['/v1/path'] }, { id: k('02'), hosts: ['host2.com'], paths: ['/'] }],
    requests: [
      { name: 'host1', request: { path: '/v1/path', host: 'host1.com' }, expect: k('01') },
      { name: 'host2', request: { path: '/v1/path', host: 'host2.com' }, expect: k('02') },
    ],
  }),
  ...scenario({
    name: 'half [wildcard host] and [method] match does not supersede another route',
    routes: [{ id: k('01'), hosts: ['host.*'], methods: ['GET'] }, { id: k('02'), hosts: ['host.*'], methods: ['POST'] }],
    requests: [
      { name: 'GET', request: { host: 'host.com' }, expect: k('01') },
      { name: 'POST', request: { method: 'POST', host: 'host.com' }, expect: k('02') },
    ],
  }),
  ...scenario({
    name: 'half [uri regex] and [method] match does not supersede another route',
    routes: [
      { id: k('01'), methods: ['GET'], paths: ['~/users/\\d+/profile'] },
      { id: k('02'), methods: ['POST'], paths: ['~/users/\\d*/profile'] },
    ],
    requests: [
      { name: 'GET', request: { path: '/users/123/profile', host: 'domain.org' }, expect: k('01') },
      { name: 'POST', request: { method: 'POST', path: '/users/123/profile', host: 'domain.org' }, expect: k('02') },
    ],
  }),
  ...scenario({
    name: '[method] does not supersede [uri prefix]',
    routes: [{ id: k('01'), methods: ['GET'] }, { id: k('02'), paths: ['/example'] }],
    requests: [
      { name: 'exact', request: { path: '/example', host: 'domain.org' }, expect: k('02') },
      { name: 'deeper', request: { path: '/example/status/200', host: 'domain.org' }, expect: k('02') },
    ],
  }),
  ...scenario({
    name: '[method] does not supersede [wildcard host]',
    routes: [{ id: k('01'), methods: ['GET'] }, { id: k('02'), hosts: ['domain.*'] }],
    requests: [
      { name: 'other host', request: { host: 'nothing.com' }, expect: k('01') },
      { name: 'wildcard host', request: { host: 'domain.com' }, expect: k('02') },
    ],
  }),
  ...scenario({
    name: 'more [headers] has priority over longer [paths]',
    routes: [
      { id: k('01'), headers: { version: ['v1'] }, paths: ['/my-route/hello'] },
      { id: k('02'), headers: { version: ['v1'], location: ['us-east'] }, paths: ['/my-route'] },
    ],
    requests: [
      { name: 'exact', request: { path: '/my-route/hello', host: 'domain.org', headers: { version: 'v1', location: 'us-east' } }, expect: k('02') },
      { name: 'deeper', request: { path: '/my-route/hello/world', host: 'domain.org', headers: { version: 'v1', location: 'us-east' } }, expect: k('02') },
    ],
  }),
];

const uriPrefix: RouterCase[] = [
  ...scenario({
    name: 'does not supersede another route with a longer [uri]',
    routes: [{ id: k('01'), paths: ['/my-route/hello'] }, { id: k('02'), paths: ['/my-route'] }],
    requests: [
      { name: '/my-route/hello', request: { path: '/my-route/hello' }, expect: k('01') },
      { name: '/my-route/hello/world', request: { path: '/my-route/hello/world' }, expect: k('01') },
      { name: '/my-route', request: { path: '/my-route' }, expect: k('02') },
      { name: '/my-route/world', request: { path: '/my-route/world' }, expect: k('02') },
    ],
  }),
  ...scenario({
    name: 'longer [uri] with [methods]',
    routes: [
      { id: k('01'), methods: ['POST', 'PUT', 'GET'], paths: ['/my-route'] },
      { id: k('02'), methods: ['POST', 'PUT', 'GET'], paths: ['/my-route/hello'] },
    ],
    requests: [
      { name: '/my-route/hello', request: { path: '/my-route/hello' }, expect: k('02') },
      { name: '/my-route/hello/world', request: { path: '/my-route/hello/world' }, expect: k('02') },
      { name: '/my-route', request: { path: '/my-route' }, expect: k('01') },
      { name: '/my-route/world', request: { path: '/my-route/world' }, expect: k('01') },
    ],
  }),
  ...scenario({
    name: 'longer [uri] with [hosts]',
    routes: [
      { id: k('01'), hosts: ['domain.org'], paths: ['/my-route'] },
      { id: k('02'), hosts: ['domain.org'], paths: ['/my-route/hello'] },
    ],
    requests: [
      { name: '/my-route/hello', request: { path: '/my-route/hello', host: 'domain.org' }, expect: k('02') },
      { name: '/my-route/hello/world', request: { path: '/my-route/hello/world', host: 'domain.org' }, expect: k('02') },
      { name: '/my-route', request: { path: '/my-route', host: 'domain.org' }, expect: k('01') },
      { name: '/my-route/world', request: { path: '/my-route/world', host: 'domain.org' }, expect: k('01') },
    ],
  }),
  ...scenario({
    name: 'a better [uri] match for another [host] does not interfere',
    routes: [
      { id: k('01'), hosts: ['example.com'], paths: ['/my-route'] },
      { id: k('02'), hosts: ['example.com'], paths: ['/my-route/hello'] },
      { id: k('03'), hosts: ['example.net'], paths: ['/my-route/hello/world'] },
    ],
    requests: [
      { name: 'exact of the other host', request: { path: '/my-route/hello/world', host: 'example.com' }, expect: k('02') },
      { name: 'deeper', request: { path: '/my-route/hello/world/and/goodnight', host: 'example.com' }, expect: k('02') },
      { name: 'other host', request: { path: '/my-route/hello/world', host: 'example.net' }, expect: k('03') },
    ],
  }),
  ...scenario({
    name: 'only matches [uri prefix] as a prefix (anchored mode)',
    routes: [{ id: k('01'), paths: ['/something/my-route'] }, { id: k('02'), hosts: ['example.com'], paths: ['/my-route'] }],
    requests: [{ name: 'anchored', request: { path: '/something/my-route', host: 'example.com' }, expect: k('01') }],
  }),
];

const uriRegex: RouterCase[] = [
  ...scenario({
    name: 'several [uri regex]',
    routes: [
      { id: k('01'), paths: ['~/route/persons/\\d{3}'] },
      { id: k('02'), paths: ['~/route/persons/\\d{3}/following'] },
      { id: k('03'), paths: ['~/route/persons/\\d{3}/[a-z]+'] },
    ],
    requests: [{ name: 'the matching one', request: { path: '/route/persons/456' }, expect: k('01') }],
  }),
  ...scenario({
    name: '[uri regex] even if a [prefix uri] got a match',
    routes: [{ id: k('01'), paths: ['/route/persons'] }, { id: k('02'), paths: ['~/route/persons/\\d+/profile'] }],
    requests: [{ name: 'regex', request: { path: '/route/persons/123/profile' }, expect: k('02') }],
  }),
  ...scenario({
    name: '[uri regex] even if a [uri] got an exact match',
    routes: [{ id: k('01'), paths: ['/route/fixture'] }, { id: k('02'), paths: ['~/route/(fixture)'] }],
    requests: [{ name: 'regex', request: { path: '/route/fixture' }, expect: k('02') }],
  }),
  ...scenario({
    name: '[uri regex + host] even if a [prefix uri] got a match',
    routes: [
      { id: k('01'), hosts: ['route.com'], paths: ['/pat'] },
      { id: k('02'), hosts: ['route.com'], paths: ['/path'], methods: ['POST'] },
      { id: k('03'), hosts: ['route.com'], paths: ['~/(path)'] },
    ],
    requests: [{ name: 'regex', request: { path: '/path', host: 'route.com' }, expect: k('03') }],
  }),
  ...scenario({
    name: 'matches from the beginning of the request URI [uri regex]',
    routes: [{ id: k('01'), paths: ['~/prefix/[0-9]+'] }],
    requests: [
      { name: 'sanity', request: { path: '/prefix/123' }, expect: k('01') },
      { name: 'not at the start', request: { path: '/extra/prefix/123' }, expect: null },
    ],
  }),
];

const WILDCARD_ROUTES: RouteSpec[] = [{ id: k('01'), hosts: ['*.route.com'] }, { id: k('02'), hosts: ['route.*'] }];

const wildcardHosts: RouterCase[] = [
  ...scenario({
    name: '[wildcard host]',
    routes: WILDCARD_ROUTES,
    requests: [
      { name: 'leftmost', request: { host: 'foo.route.com' }, expect: k('01') },
      { name: 'rightmost', request: { host: 'route.org' }, expect: k('02') },
      { name: 'any port (rightmost)', request: { host: 'route.org:123' }, expect: k('02') },
      { name: 'any port (leftmost)', request: { host: 'foo.route.com:123' }, expect: k('01') },
    ],
  }),
  ...scenario({
    name: '[wildcard host] port-specific routes',
    routes: [...WILDCARD_ROUTES, { id: k('03'), hosts: ['*.route.net:123'] }, { id: k('04'), hosts: ['route.*:123'] }],
    requests: [
      { name: 'right port', request: { host: 'foo.route.net:123' }, expect: k('03') },
      { name: 'other port', request: { host: 'foo.route.net:456' }, expect: null },
      { name: 'port-specific is higher priority', request: { host: 'route.org:123' }, expect: k('04') },
    ],
  }),
  ...scenario({
    name: '[wildcard host] prefers port-specific for the http default port',
    routes: [...WILDCARD_ROUTES, { id: k('03'), hosts: ['route.*:80'] }],
    requests: [
      { name: 'other port', request: { host: 'route.org:123' }, expect: k('02') },
      { name: 'explicit 80', request: { host: 'route.org:80' }, expect: k('03') },
      { name: 'implicit 80', request: { host: 'route.org' }, expect: both(k('03'), k('02')) },
    ],
  }),
  ...scenario({
    name: '[wildcard host] prefers port-specific for the https default port',
    routes: [...WILDCARD_ROUTES, { id: k('03'), hosts: ['route.*:443'] }],
    requests: [
      { name: 'other port', request: { host: 'route.org:123' }, expect: k('02') },
      { name: 'explicit 443', request: { host: 'route.org:443' }, expect: k('03') },
      { name: 'implicit 443', request: { host: 'route.org', scheme: 'https' }, expect: both(k('03'), k('02')) },
    ],
  }),
  ...scenario({
    name: '[wildcard host] does not take precedence over a plain host',
    routes: [{ id: k('03'), hosts: ['plain.route.com'] }, ...WILDCARD_ROUTES, { id: k('04'), hosts: ['route.com'] }],
    requests: [
      { name: 'route.com', request: { host: 'route.com' }, expect: k('04') },
      { name: 'route.org', request: { host: 'route.org' }, expect: k('02') },
      { name: 'plain.route.com', request: { host: 'plain.route.com' }, expect: k('03') },
      { name: 'foo.route.com', request: { host: 'foo.route.com' }, expect: k('01') },
    ],
  }),
  ...scenario({
    name: '[wildcard host + path] against a similar [plain host]',
    routes: [{ id: k('01'), hosts: ['*.route.com'], paths: ['/path1'] }, { id: k('02'), hosts: ['plain.route.com'], paths: ['/path2'] }],
    requests: [
      { name: 'wildcard route path', request: { path: '/path1', host: 'plain.route.com' }, expect: k('01') },
      { name: 'plain route path', request: { path: '/path2', host: 'plain.route.com' }, expect: k('02') },
    ],
  }),
  ...scenario({
    name: 'submatch_weight [wildcard host port] > [wildcard host]',
    routes: [{ id: k('01'), hosts: ['route.*'] }, { id: k('02'), hosts: ['route.*:80', 'route.com.*'] }],
    requests: [{ name: 'route.org:80', request: { host: 'route.org:80' }, expect: k('02') }],
  }),
  ...scenario({
    name: '[wildcard host + port] even if a [wildcard host] matched',
    routes: [{ id: k('01'), hosts: ['route.*'] }, { id: k('02'), hosts: ['route.*:123'] }, { id: k('03'), hosts: ['route.*:80'] }],
    requests: [
      { name: 'explicit port', request: { host: 'route.org:123' }, expect: k('02') },
      { name: 'implicit port', request: { host: 'route.org' }, expect: both(k('03'), k('01')) },
    ],
  }),
  ...scenario({
    name: '[wildcard/plain + uri + method]',
    routes: [...WILDCARD_ROUTES, { id: k('09'), hosts: ['*.domain.com', 'example.com'], paths: ['/path'], methods: ['GET', 'TRACE'] }],
    requests: [
      { name: 'POST misses', request: { method: 'POST', path: '/path', host: 'foo.domain.com' }, expect: null },
      { name: 'GET wildcard', request: { path: '/path', host: 'foo.domain.com' }, expect: k('09') },
      { name: 'TRACE plain', request: { method: 'TRACE', path: '/path', host: 'example.com' }, expect: k('09') },
    ],
  }),
  ...scenario({
    name: '[wildcard host] + [uri regex]',
    routes: [{ id: k('01'), hosts: ['*.example.com'], paths: ['~/users/\\d+/profile'] }, { id: k('02'), hosts: ['*.example.com'], paths: ['/users'] }],
    requests: [
      { name: 'regex', request: { path: '/users/123/profile', host: 'test.example.com' }, expect: k('01') },
      { name: 'prefix', request: { path: '/users', host: 'test.example.com' }, expect: k('02') },
    ],
  }),
];

const headers: RouterCase[] = [
  ...scenario({
    name: 'evaluates Routes with more [headers] first',
    routes: [
      { id: k('01'), headers: { version: ['v1', 'v2'], 'user-agent': ['foo', 'bar'] } },
      { id: k('02'), headers: { version: ['v1', 'v2'], 'user-agent': ['foo', 'bar'], location: ['east', 'west'] } },
    ],
    requests: [{ name: 'three headers', request: { headers: { version: 'v1', 'user-agent': 'foo', location: ['north', 'west'] } }, expect: k('02') }],
  }),
  ...scenario({
    name: '[headers] names are case-insensitive',
    routes: [{ id: k('01'), headers: { 'USER-AGENT': ['foo', 'bar'] } }, { id: k('02'), headers: { 'user-agent': ['baz'] } }],
    requests: [
      { name: 'foo', request: { headers: { 'user-agent': 'foo' } }, expect: k('01') },
      { name: 'baz', request: { headers: { 'User-Agent': 'baz' } }, expect: k('02') },
    ],
  }),
  ...scenario({
    name: '[headers] values are case-insensitive',
    routes: [{ id: k('01'), headers: { 'user-agent': ['foo', 'bar'] } }, { id: k('02'), headers: { 'user-agent': ['BAZ'] } }],
    requests: [
      { name: 'FOO', request: { headers: { 'user-agent': 'FOO' } }, expect: k('01') },
      { name: 'baz', request: { headers: { 'user-agent': 'baz' } }, expect: k('02') },
    ],
  }),
];

export const KONG_SPEC_CASES: RouterCase[] = [
  ...select,
  ...rootRoute,
  ...sameCategory,
  ...edgeCases,
  ...uriPrefix,
  ...uriRegex,
  ...wildcardHosts,
  ...headers,
];
