/**
 * Field matching rules: request path normalisation (router.md section 3) and every field of
 * section 4, with the flavor differences of section 10.
 */
import { scenario } from './cases.ts';
import type { RouterCase } from './cases.ts';

const both = (traditional: string | null, traditional_compatible: string | null) => ({ traditional, traditional_compatible });

const normalisation: RouterCase[] = [
  ...scenario({
    name: 'encoded slash is not a separator',
    routes: [{ id: 'ab', paths: ['/a/b'] }, { id: 'encoded', paths: ['/a%2Fb'] }],
    requests: [
      { name: '/a%2Fb goes to the encoded route', request: { path: '/a%2Fb' }, expect: 'encoded' },
      { name: 'lower-case %2f is upper-cased first', request: { path: '/a%2fb' }, expect: { route: 'encoded', normalizedPath: '/a%2Fb' } },
      { name: '/a/b goes to the plain route', request: { path: '/a/b' }, expect: 'ab' },
    ],
  }),
  ...scenario({
    name: 'only the encoded route exists',
    routes: [{ id: 'ab', paths: ['/a/b'] }],
    requests: [{ name: '/a%2Fb does not match /a/b', request: { path: '/a%2Fb' }, expect: null }],
  }),
  ...scenario({
    name: 'dot segments',
    routes: [{ id: 'admin', paths: ['/admin'] }, { id: 'public', paths: ['/public'] }, { id: 'ac', paths: ['/a/c'] }],
    requests: [
      { name: '/public/../admin is routed as /admin', request: { path: '/public/../admin' }, expect: { route: 'admin', normalizedPath: '/admin' } },
      { name: '%2E%2E counts as ..', request: { path: '/public/%2E%2E/admin' }, expect: 'admin' },
      { name: 'mixed-case %2e%2E counts as ..', request: { path: '/public/%2e%2E/admin' }, expect: 'admin' },
      { name: '/a/./b/../c', request: { path: '/a/./b/../c' }, expect: { route: 'ac', normalizedPath: '/a/c' } },
      { name: '.. above the root is dropped', request: { path: '/../admin' }, expect: 'admin' },
      { name: 'many .. above the root', request: { path: '/../../../admin/x' }, expect: 'admin' },
      { name: '/admin/.. leaves /', request: { path: '/admin/..' }, expect: null },
      { name: '/./public', request: { path: '/./public' }, expect: 'public' },
    ],
  }),
  ...scenario({
    name: 'merged slashes',
    routes: [{ id: 'foobar', paths: ['/foo/bar'] }],
    requests: [
      { name: '/foo//bar', request: { path: '/foo//bar' }, expect: { route: 'foobar', normalizedPath: '/foo/bar' } },
      { name: '//foo///bar', request: { path: '//foo///bar' }, expect: 'foobar' },
      { name: '/foo/./bar', request: { path: '/foo/./bar' }, expect: 'foobar' },
    ],
  }),
  ...scenario({
    name: 'decoding of unreserved and other characters',
    routes: [
      { id: 'foo', paths: ['/foo'] },
      { id: 'cafe', paths: ['/café'], strip_path: false },
      { id: 'regex', paths: ['~/users/[a-z]+$'] },
      { id: 'space', paths: ['~/a b$'] },
    ],
    requests: [
      { name: '/%66oo decodes to /foo', request: { path: '/%66oo' }, expect: 'foo' },
      { name: 'UTF-8 is decoded', request: { path: '/caf%C3%A9' }, expect: { route: 'cafe', normalizedPath: '/café', upstreamPath: '/caf%C3%A9' } },
      { name: 'lower-case UTF-8 escapes', request: { path: '/caf%c3%a9' }, expect: { route: 'cafe', upstreamPath: '/caf%C3%A9' } },
      { name: 'regexes see the decoded path', request: { path: '/users/%6aohn' }, expect: 'regex' },
      { name: 'a decoded space', request: { path: '/a%20b' }, expect: 'space' },
      { name: 'case is kept', request: { path: '/FOO' }, expect: null },
    ],
  }),
  ...scenario({
    name: 'encoded reserved characters stay encoded',
    routes: [{ id: 'q', paths: ['/a%3Fb'], strip_path: false }, { id: 'x', paths: ['/x'] }],
    requests: [
      { name: '%3f matches the route written %3F', request: { path: '/a%3fb' }, expect: { route: 'q', upstreamPath: '/a%3Fb' } },
      { name: '/x/%2E%2E/y resolves to /y', request: { path: '/x/%2E%2E/y' }, expect: null },
      { name: '/x%2F.. is not a dot segment', request: { path: '/x%2F..' }, expect: { route: 'x', normalizedPath: '/x%2F..' } },
    ],
  }),
];

const methods: RouterCase[] = scenario({
  name: 'methods',
  routes: [{ id: 'get', methods: ['GET'] }, { id: 'write', methods: ['POST', 'PUT'] }],
  requests: [
    { name: 'GET', request: { method: 'GET' }, expect: 'get' },
    { name: 'POST', request: { method: 'POST' }, expect: 'write' },
    { name: 'PUT', request: { method: 'PUT' }, expect: 'write' },
    { name: 'lower-case get does not match', request: { method: 'get' }, expect: null },
    { name: 'HEAD is not implied by GET', request: { method: 'HEAD' }, expect: null },
    { name: 'DELETE', request: { method: 'DELETE' }, expect: null },
  ],
});

const plainHosts: RouterCase[] = [
  ...scenario({
    name: 'plain host without port',
    routes: [{ id: 'h', hosts: ['example.com'] }],
    requests: [
      { name: 'exact', request: { host: 'example.com' }, expect: 'h' },
      { name: 'with :80', request: { host: 'example.com:80' }, expect: 'h' },
      { name: 'with :8000', request: { host: 'example.com:8000' }, expect: 'h' },
      { name: 'over https with :443', request: { host: 'example.com:443', scheme: 'https' }, expect: 'h' },
      { name: 'case-sensitive', request: { host: 'Example.com' }, expect: null },
      { name: 'other host', request: { host: 'example.org' }, expect: null },
      { name: 'subdomain', request: { host: 'www.example.com' }, expect: null },
      { name: 'no Host header', request: { host: '' }, expect: null },
      { name: 'trailing colon', request: { host: 'example.com:' }, expect: both('h', null) },
    ],
  }),
  ...scenario({
    name: 'plain host with port 8000',
    routes: [{ id: 'h8000', hosts: ['example.com:8000'] }],
    requests: [
      { name: 'exact', request: { host: 'example.com:8000' }, expect: 'h8000' },
      { name: 'other port', request: { host: 'example.com:8001' }, expect: null },
      { name: 'no port, listener 8000 (compatible uses the listener port)', request: { host: 'example.com', port: 8000 }, expect: both(null, 'h8000') },
      { name: 'no port, listener 9000', request: { host: 'example.com', port: 9000 }, expect: null },
      { name: 'explicit port wins over listener port', request: { host: 'example.com:9000', port: 8000 }, expect: null },
    ],
  }),
  ...scenario({
    name: 'plain host with port 80',
    routes: [{ id: 'h80', hosts: ['example.com:80'] }],
    requests: [
      { name: 'explicit :80', request: { host: 'example.com:80' }, expect: 'h80' },
      { name: 'no port on listener 8000: no default-port inference for plain hosts', request: { host: 'example.com', port: 8000 }, expect: null },
      { name: 'no port on listener 80', request: { host: 'example.com', port: 80 }, expect: both(null, 'h80') },
    ],
  }),
  ...scenario({
    name: 'several hosts on one route',
    routes: [{ id: 'multi', hosts: ['a.test', 'b.test:81'] }],
    requests: [
      { name: 'first host', request: { host: 'a.test:9999' }, expect: 'multi' },
      { name: 'second host with its port', request: { host: 'b.test:81' }, expect: 'multi' },
      { name: 'second host with another port', request: { host: 'b.test:82' }, expect: null },
    ],
  }),
  ...scenario({
    name: 'IPv6 literal hosts',
    routes: [
      { id: 'v6-11', hosts: ['::11', '[::12]'] },
      { id: 'v6-21', hosts: ['::21', '[::22]'] },
      { id: 'v6-31-port', hosts: ['[::31]:321', '[::32]:321'] },
      { id: 'v6-21-port', hosts: ['[::21]:321', '[::22]:321'] },
    ],
    requests: [
      { name: 'unbracketed ::11', request: { host: '::11' }, expect: 'v6-11' },
      { name: 'bracketed [::11] (traditional peels brackets)', request: { host: '[::11]' }, expect: both('v6-11', null) },
      { name: '[::11] with a port', request: { host: '[::11]:654' }, expect: both('v6-11', null) },
      { name: '[::21]:321 prefers the port-specific route', request: { host: '[::21]:321' }, expect: 'v6-21-port' },
      { name: '[::31]:321', request: { host: '[::31]:321' }, expect: 'v6-31-port' },
      { name: '[::21] on another port falls back to the any-port route', request: { host: '[::21]:654' }, expect: both('v6-21', null) },
      { name: '[::31] on another port has no fallback', request: { host: '[::31]:654' }, expect: null },
      // Kong's traditional index looks the Host up as "::12" and "[::12]:80", finds neither and gives up
      // before trying routes; the compatible flavor compares the Host text.
      { name: 'bracketed [::12] equal to a configured value', request: { host: '[::12]' }, expect: both(null, 'v6-11') },
    ],
  }),
];

const wildcardHosts: RouterCase[] = [
  ...scenario({
    name: 'leading wildcard',
    routes: [{ id: 'w', hosts: ['*.route.com'] }],
    requests: [
      { name: 'one label', request: { host: 'a.route.com' }, expect: 'w' },
      { name: 'two labels', request: { host: 'x.y.route.com' }, expect: 'w' },
      { name: 'with a port', request: { host: 'a.route.com:123' }, expect: 'w' },
      { name: 'the bare domain', request: { host: 'route.com' }, expect: null },
      { name: 'suffix attack', request: { host: 'a.route.com.evil' }, expect: null },
      { name: 'upper case in the wildcard part', request: { host: 'A.route.com' }, expect: 'w' },
      { name: 'case-sensitive fixed part', request: { host: 'a.ROUTE.com' }, expect: null },
      { name: 'no Host', request: { host: '' }, expect: null },
    ],
  }),
  ...scenario({
    name: 'trailing wildcard',
    routes: [{ id: 'w', hosts: ['example.*'] }],
    requests: [
      { name: 'example.co.uk', request: { host: 'example.co.uk' }, expect: 'w' },
      { name: 'with a port', request: { host: 'example.com:8080' }, expect: 'w' },
      { name: 'prefix must be at the start', request: { host: 'www.example.com' }, expect: null },
      { name: 'the bare label', request: { host: 'example' }, expect: null },
    ],
  }),
  ...scenario({
    name: 'wildcard with port 123',
    routes: [{ id: 'w123', hosts: ['*.route.net:123'] }],
    requests: [
      { name: 'explicit 123', request: { host: 'a.route.net:123' }, expect: 'w123' },
      { name: 'explicit 124', request: { host: 'a.route.net:124' }, expect: null },
      { name: 'implicit port, listener 8000', request: { host: 'a.route.net' }, expect: null },
      { name: 'implicit port, listener 123', request: { host: 'a.route.net', port: 123 }, expect: both(null, 'w123') },
    ],
  }),
  ...scenario({
    name: 'wildcard with port 80',
    routes: [{ id: 'w80', hosts: ['*.route.org:80'] }],
    requests: [
      { name: 'implicit 80 on plain HTTP (traditional); compatible uses the listener port 8000', request: { host: 'a.route.org' }, expect: both('w80', null) },
      { name: 'implicit port, listener 80', request: { host: 'a.route.org', port: 80 }, expect: 'w80' },
      { name: 'explicit :80', request: { host: 'a.route.org:80' }, expect: 'w80' },
      { name: 'implicit 443 over https', request: { host: 'a.route.org', scheme: 'https' }, expect: null },
    ],
  }),
  ...scenario({
    name: 'wildcard with port 443',
    routes: [{ id: 'w443', hosts: ['*.secure.org:443'] }],
    requests: [
      { name: 'implicit 443 over https', request: { host: 'a.secure.org', scheme: 'https' }, expect: both('w443', null) },
      { name: 'implicit 443 over https on listener 443', request: { host: 'a.secure.org', scheme: 'https', port: 443 }, expect: 'w443' },
      { name: 'implicit 80 over http', request: { host: 'a.secure.org' }, expect: null },
    ],
  }),
];

const prefixPaths: RouterCase[] = [
  ...scenario({
    name: 'prefix /foo',
    routes: [{ id: 'foo', paths: ['/foo'] }],
    requests: [
      { name: 'exact', request: { path: '/foo' }, expect: 'foo' },
      { name: 'not segment-aware', request: { path: '/foobar' }, expect: 'foo' },
      { name: 'sub path', request: { path: '/foo/bar' }, expect: 'foo' },
      { name: 'shorter', request: { path: '/fo' }, expect: null },
      { name: 'case-sensitive', request: { path: '/Foo' }, expect: null },
      { name: 'anchored at the start', request: { path: '/x/foo' }, expect: null },
      { name: 'root', request: { path: '/' }, expect: null },
    ],
  }),
  ...scenario({
    name: 'prefix /foo/',
    routes: [{ id: 'foo-slash', paths: ['/foo/'] }],
    requests: [
      { name: '/foo does not match /foo/', request: { path: '/foo' }, expect: null },
      { name: '/foo/', request: { path: '/foo/' }, expect: 'foo-slash' },
      { name: '/foo/x', request: { path: '/foo/x' }, expect: 'foo-slash' },
    ],
  }),
  ...scenario({
    name: 'longest prefix wins',
    routes: [{ id: 'root', paths: ['/'] }, { id: 'foo', paths: ['/foo'] }, { id: 'foobar', paths: ['/foo/bar'] }],
    requests: [
      { name: '/', request: { path: '/' }, expect: 'root' },
      { name: '/other', request: { path: '/other' }, expect: 'root' },
      { name: '/foo', request: { path: '/foo' }, expect: 'foo' },
      { name: '/foo/ba', request: { path: '/foo/ba' }, expect: 'foo' },
      { name: '/foo/bar', request: { path: '/foo/bar' }, expect: 'foobar' },
      { name: '/foo/bar/baz', request: { path: '/foo/bar/baz' }, expect: 'foobar' },
    ],
  }),
];

const regexPaths: RouterCase[] = [
  ...scenario({
    name: 'regex anchoring',
    routes: [{ id: 'open', paths: ['~/users/\\d+'] }, { id: 'closed', paths: ['~/items/\\d+$'] }],
    requests: [
      { name: 'not anchored at the end', request: { path: '/users/123abc' }, expect: 'open' },
      { name: 'no digits', request: { path: '/users/abc' }, expect: null },
      { name: 'anchored at the start', request: { path: '/x/users/1' }, expect: null },
      { name: '$ anchors the end', request: { path: '/items/123abc' }, expect: null },
      { name: '$ exact', request: { path: '/items/123' }, expect: 'closed' },
    ],
  }),
  ...scenario({
    name: 'regex is case-sensitive',
    routes: [{ id: 'r', paths: ['~/Users/[a-z]+'] }],
    requests: [
      { name: 'same case', request: { path: '/Users/bob' }, expect: 'r' },
      { name: 'other case', request: { path: '/users/bob' }, expect: null },
    ],
  }),
  ...scenario({
    name: 'regex alternation is anchored as a whole',
    routes: [{ id: 'alt', paths: ['~/a|/b'] }],
    requests: [
      { name: 'first alternative', request: { path: '/a/x' }, expect: 'alt' },
      { name: 'second alternative', request: { path: '/b/x' }, expect: 'alt' },
      {
        name: 'second alternative not at the start',
        request: { path: '/x/b' },
        // Kong's transform.lua prefixes the pattern with a bare `^` (`^/a|/b`), which anchors only the first
        // alternative; the expressions flavor keeps that translation.
        expect: { traditional: null, traditional_compatible: null, expressions: 'alt' },
      },
    ],
  }),
];

const headers: RouterCase[] = [
  ...scenario({
    name: 'header values',
    routes: [{ id: 'version', headers: { version: ['v1', 'v2'] } }],
    requests: [
      { name: 'first value', request: { headers: { version: 'v1' } }, expect: 'version' },
      { name: 'second value', request: { headers: { version: 'v2' } }, expect: 'version' },
      { name: 'value case-insensitive', request: { headers: { version: 'V1' } }, expect: 'version' },
      { name: 'name case-insensitive', request: { headers: { VERSION: 'v1' } }, expect: 'version' },
      { name: 'other value', request: { headers: { version: 'v3' } }, expect: null },
      { name: 'absent', request: {}, expect: null },
      { name: 'repeated header, one matching', request: { headers: { version: ['v3', 'v2'] } }, expect: 'version' },
      { name: 'repeated header, none matching', request: { headers: { version: ['v3', 'v4'] } }, expect: null },
      { name: 'a comma-joined line is one value', request: { headers: { version: 'v1, v2' } }, expect: null },
      { name: 'two lines, the second matching', request: { rawHeaders: ['Version', 'v3', 'version', 'v2'] }, expect: 'version' },
      { name: 'two lines, none matching', request: { rawHeaders: ['Version', 'v3', 'Version', 'v4'] }, expect: null },
      { name: 'empty value', request: { headers: { version: '' } }, expect: null },
      { name: 'values are not trimmed', request: { headers: { version: ' v1' } }, expect: null },
    ],
  }),
  ...scenario({
    name: 'underscores in configured names stand for dashes',
    routes: [{ id: 'underscore', headers: { user_agent: ['foo'] } }],
    requests: [
      { name: 'User-Agent header', request: { headers: { 'user-agent': 'foo' } }, expect: 'underscore' },
      { name: 'other value', request: { headers: { 'user-agent': 'bar' } }, expect: null },
    ],
  }),
  ...scenario({
    name: 'configured value case is folded',
    routes: [{ id: 'upper', headers: { 'X-Env': ['PROD'] } }],
    requests: [
      { name: 'lower-case request value', request: { headers: { 'x-env': 'prod' } }, expect: 'upper' },
      { name: 'mixed-case request value', request: { headers: { 'x-env': 'Prod' } }, expect: 'upper' },
    ],
  }),
  ...scenario({
    name: 'all configured headers are required',
    routes: [{ id: 'two', headers: { location: ['my-location-1'], version: ['v1'] } }],
    requests: [
      { name: 'both', request: { headers: { location: 'my-location-1', version: 'v1' } }, expect: 'two' },
      { name: 'one missing', request: { headers: { location: 'my-location-1' } }, expect: null },
      { name: 'one wrong', request: { headers: { location: 'my-location-1', version: 'v2' } }, expect: null },
      {
        name: 'two Location lines, the second matching',
        request: { rawHeaders: ['Location', 'elsewhere', 'Version', 'v1', 'Location', 'my-location-1'] },
        expect: 'two',
      },
      { name: 'two Location lines, none matching', request: { rawHeaders: ['Location', 'a', 'Version', 'v1', 'Location', 'b'] }, expect: null },
    ],
  }),
  ...scenario({
    name: 'single ~* value is a regex searched in the lower-cased value',
    routes: [{ id: 'ua', headers: { 'user-agent': ['~*windows|linux|os\\s+x\\s*[\\d\\._]+|solaris|bsd'] } }],
    requests: [
      { name: 'linux anywhere', request: { headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)' } }, expect: 'ua' },
      { name: 'os x version', request: { headers: { 'user-agent': 'Mac OS X 10_15_7' } }, expect: 'ua' },
      { name: 'no match', request: { headers: { 'user-agent': 'curl/8.0' } }, expect: null },
      { name: 'the second of two lines matching', request: { rawHeaders: ['User-Agent', 'curl/8.0', 'User-Agent', 'Linux'] }, expect: 'ua' },
      { name: 'repeated header', request: { headers: { 'user-agent': ['curl', 'FreeBSD'] } }, expect: 'ua' },
    ],
  }),
  ...scenario({
    name: 'upper-case letters in a ~* pattern',
    routes: [{ id: 'upper-regex', headers: { 'x-id': ['~*ABC'] } }],
    requests: [
      { name: 'traditional never matches (value lower-cased, pattern not)', request: { headers: { 'x-id': 'ABC' } }, expect: both(null, 'upper-regex') },
      { name: 'lower-case value', request: { headers: { 'x-id': 'xabcx' } }, expect: both(null, 'upper-regex') },
    ],
  }),
  ...scenario({
    name: '~* among several values',
    routes: [{ id: 'mixed', headers: { 'x-tag': ['foo', '~*^ba'] } }],
    requests: [
      { name: 'literal value', request: { headers: { 'x-tag': 'foo' } }, expect: 'mixed' },
      { name: 'regex applies only in the compatible flavor', request: { headers: { 'x-tag': 'bar' } }, expect: both(null, 'mixed') },
      { name: 'traditional compares ~* text literally', request: { headers: { 'x-tag': '~*^ba' } }, expect: both('mixed', null) },
    ],
  }),
  ...scenario({
    name: 'header regex is unanchored',
    routes: [{ id: 'digits', headers: { 'x-code': ['~*\\d{3}'] } }],
    requests: [
      { name: 'digits in the middle', request: { headers: { 'x-code': 'abc123def' } }, expect: 'digits' },
      { name: 'too few digits', request: { headers: { 'x-code': 'ab12' } }, expect: null },
    ],
  }),
];

const snis: RouterCase[] = [
  ...scenario({
    name: 'snis with a path',
    routes: [{ id: 'sni', snis: ['api.example.com'], paths: ['/api'] }],
    requests: [
      { name: 'plain HTTP ignores snis', request: { path: '/api' }, expect: 'sni' },
      { name: 'https with the SNI', request: { path: '/api', scheme: 'https', sni: 'api.example.com' }, expect: 'sni' },
      { name: 'https with another SNI', request: { path: '/api', scheme: 'https', sni: 'other.example.com' }, expect: null },
      { name: 'https without SNI', request: { path: '/api', scheme: 'https', sni: '' }, expect: null },
    ],
  }),
  ...scenario({
    name: 'snis alone',
    routes: [{ id: 'sni-only', snis: ['api.example.com'], protocols: ['https'] }],
    requests: [
      { name: 'https with the SNI', request: { scheme: 'https', sni: 'api.example.com' }, expect: 'sni-only' },
      // Traditional: nothing in a plain-HTTP request is known to any route, so Kong stops before trying any.
      { name: 'plain HTTP', request: {}, expect: both(null, 'sni-only') },
    ],
  }),
  ...scenario({
    name: 'trailing dot of a configured SNI is ignored',
    routes: [{ id: 'dot', snis: ['api.example.com.'], paths: ['/'] }],
    requests: [
      { name: 'SNI without dot', request: { scheme: 'https', sni: 'api.example.com' }, expect: 'dot' },
      { name: 'SNI with dot', request: { scheme: 'https', sni: 'api.example.com.' }, expect: null },
    ],
  }),
  ...scenario({
    name: 'wildcard snis (compatible flavor only)',
    routes: [
      { id: 'left', snis: ['*.sni.test'], paths: ['/'] },
      { id: 'right', snis: ['sni.*'], paths: ['/'] },
    ],
    requests: [
      { name: 'leftmost one label', request: { scheme: 'https', sni: 'foo.sni.test' }, expect: both(null, 'left') },
      { name: 'leftmost two labels', request: { scheme: 'https', sni: 'foo.bar.sni.test' }, expect: both(null, 'left') },
      { name: 'rightmost', request: { scheme: 'https', sni: 'sni.foo' }, expect: both(null, 'right') },
      { name: 'rightmost two labels', request: { scheme: 'https', sni: 'sni.foo.bar' }, expect: both(null, 'right') },
      { name: 'neither', request: { scheme: 'https', sni: 'bar.sni.foo' }, expect: null },
      { name: 'not at the end', request: { scheme: 'https', sni: 'foo.sni.test.bar' }, expect: null },
      { name: 'plain HTTP', request: {}, expect: both('left', 'right') },
    ],
  }),
];

const combined: RouterCase[] = [
  ...scenario({
    name: 'every set field must match',
    routes: [{ id: 'all', hosts: ['api.test'], paths: ['/v1'], methods: ['GET'], headers: { 'x-v': ['1'] } }],
    requests: [
      { name: 'all match', request: { host: 'api.test', path: '/v1/x', headers: { 'x-v': '1' } }, expect: 'all' },
      { name: 'wrong host', request: { host: 'web.test', path: '/v1/x', headers: { 'x-v': '1' } }, expect: null },
      { name: 'wrong path', request: { host: 'api.test', path: '/v2', headers: { 'x-v': '1' } }, expect: null },
      { name: 'wrong method', request: { method: 'POST', host: 'api.test', path: '/v1', headers: { 'x-v': '1' } }, expect: null },
      { name: 'missing header', request: { host: 'api.test', path: '/v1' }, expect: null },
    ],
  }),
  ...scenario({
    name: 'protocols are not a matching input',
    routes: [{ id: 'https-only', paths: ['/secure'], protocols: ['https'] }, { id: 'grpc', paths: ['/grpc.Svc'], protocols: ['grpc', 'grpcs'] }],
    requests: [
      { name: 'an https-only route matches plain HTTP (the proxy redirects)', request: { path: '/secure' }, expect: 'https-only' },
      { name: 'an https-only route over https', request: { path: '/secure', scheme: 'https' }, expect: 'https-only' },
      { name: 'grpc routes are HTTP routes', request: { path: '/grpc.Svc/Call', method: 'POST' }, expect: 'grpc' },
    ],
  }),
  ...scenario({
    name: 'stream routes are left out',
    routes: [{ id: 'tcp', snis: ['x.test'], protocols: ['tls'] }, { id: 'http', paths: ['/'] }],
    requests: [{ name: 'a TLS route never serves HTTP', request: { scheme: 'https', sni: 'x.test' }, expect: 'http' }],
  }),
];

export const MATCHING_CASES: RouterCase[] = [
  ...normalisation,
  ...methods,
  ...plainHosts,
  ...wildcardHosts,
  ...prefixPaths,
  ...regexPaths,
  ...headers,
  ...snis,
  ...combined,
];
