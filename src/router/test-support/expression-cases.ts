/**
 * Cases for the expressions flavor's own routes (`expression` + `priority`): Kong's documentation
 * examples (developer.konghq.com gateway/routing/expressions, expressions-router-reference and
 * expressions-router-examples) and atc-router's semantics (multi-valued fields, absent fields, types,
 * precedence, captures, strip_path).
 */
import { scenario, type RouterCase } from './cases.ts';

export const EXPRESSION_CASES: RouterCase[] = [
  ...scenario({
    name: 'docs: priority order (routes A, B, C)',
    routes: [
      { id: 'c', expression: 'http.path ^= "/"', priority: 10 },
      { id: 'a', expression: 'http.path ^= "/foo" && http.host == "example.com"', priority: 100 },
      { id: 'b', expression: 'http.path ^= "/foo"', priority: 50 },
    ],
    requests: [
      { name: 'A fails on the host, B matches', request: { path: '/foo/bar', host: 'konghq.com' }, expect: 'b' },
      { name: 'A matches first', request: { path: '/foo/bar', host: 'example.com' }, expect: 'a' },
      { name: 'only C', request: { path: '/other', host: 'example.com' }, expect: 'c' },
    ],
  }),
  ...scenario({
    name: 'docs: prefix, regex and case-insensitive path matching',
    routes: [
      { id: 'prefix', expression: 'http.path ^= "/foo/bar"', priority: 3 },
      { id: 'regex', expression: 'http.path ~ r#"/foo/bar/\\d+"#', priority: 4 },
      { id: 'lower', expression: 'lower(http.path) == "/foo/bar"', priority: 2 },
    ],
    requests: [
      { name: 'regex wins by priority', request: { path: '/foo/bar/12' }, expect: 'regex' },
      { name: 'regex is not anchored', request: { path: '/x/foo/bar/12' }, expect: 'regex' },
      { name: 'prefix', request: { path: '/foo/bar/x' }, expect: 'prefix' },
      { name: 'lower() folds the path', request: { path: '/FOO/bAr' }, expect: 'lower' },
      { name: 'no match', request: { path: '/FOO/bAr/x' }, expect: null },
    ],
  }),
  ...scenario({
    name: 'docs: header value, all vs any style',
    routes: [
      { id: 'all', expression: 'http.headers.x_foo ~ r#"bar\\d"#', priority: 2 },
      { id: 'any', expression: 'any(http.headers.x_foo) ~ r#"bar\\d"#', priority: 1 },
      { id: 'any-lower', expression: 'any(lower(http.headers.x_foo)) ~ r#"baz\\d"#', priority: 0 },
    ],
    requests: [
      { name: 'one value', request: { headers: { 'X-Foo': 'bar1' } }, expect: 'all' },
      { name: 'every value matches', request: { rawHeaders: ['X-Foo', 'bar1', 'x-foo', 'bar2'] }, expect: 'all' },
      { name: 'one of two values matches', request: { rawHeaders: ['X-Foo', 'bar1', 'X-Foo', 'nope'] }, expect: 'any' },
      { name: 'any(lower())', request: { rawHeaders: ['X-Foo', 'nope', 'X-Foo', 'BAZ7'] }, expect: 'any-lower' },
      { name: 'absent header', request: { headers: {} }, expect: null },
    ],
  }),
  ...scenario({
    name: 'docs: regex captures',
    routes: [{ id: 'cap', expression: 'http.path ~ r#"/foo/(?P<component>.+)"#', strip_path: false }],
    requests: [
      {
        name: 'named and numbered captures',
        request: { path: '/foo/abc' },
        expect: { route: 'cap', captures: { 0: '/foo/abc', 1: 'abc', component: 'abc' }, upstreamPath: '/foo/abc' },
      },
    ],
  }),
  ...scenario({
    name: 'docs: source IP and destination port',
    routes: [{ id: 'net', expression: 'net.src.ip in 192.168.1.0/24 && net.dst.port == 8080' }],
    requests: [
      { name: 'inside', request: { srcIp: '192.168.1.77', port: 8080 }, expect: 'net' },
      { name: 'other subnet', request: { srcIp: '192.168.2.1', port: 8080 }, expect: null },
      { name: 'other port', request: { srcIp: '192.168.1.77', port: 8000 }, expect: null },
      { name: 'IPv6 client is never in an IPv4 block', request: { srcIp: '::1', port: 8080 }, expect: null },
      { name: 'port from the Host header', request: { srcIp: '192.168.1.77', host: 'a.test:8080', port: 8000 }, expect: 'net' },
    ],
  }),
  ...scenario({
    name: 'docs: SNI postfix',
    routes: [{ id: 'sni', expression: 'tls.sni =^ ".example.com"' }],
    requests: [
      { name: 'https with a matching SNI', request: { scheme: 'https', sni: 'a.example.com' }, expect: 'sni' },
      { name: 'plain http has no SNI', request: { scheme: 'http' }, expect: null },
    ],
  }),
  ...scenario({
    name: 'docs: the reference example',
    routes: [
      {
        id: 'complex',
        expression:
          '(net.protocol == "http" || net.protocol == "https") &&\n' +
          '               (http.method == "GET" || http.method == "POST") &&\n' +
          '               (http.host == "example.com" || http.host == "example.test") &&\n' +
          '               (http.path ^= "/mock" || http.path ^= "/mocking") &&\n' +
          '               http.headers.x_another_header == "example_header" && (http.headers.x_my_header == "example" || http.headers.x_my_header == "example2")',
      },
    ],
    requests: [
      {
        name: 'everything matches',
        request: { method: 'POST', host: 'example.test', path: '/mocking/x', headers: { 'x-another-header': 'example_header', 'x-my-header': 'example2' } },
        expect: 'complex',
      },
      {
        name: 'wrong header value',
        request: { method: 'GET', host: 'example.com', path: '/mock', headers: { 'x-another-header': 'example_header', 'x-my-header': 'other' } },
        expect: null,
      },
      {
        name: 'wrong method',
        request: { method: 'PUT', host: 'example.com', path: '/mock', headers: { 'x-another-header': 'example_header', 'x-my-header': 'example' } },
        expect: null,
      },
    ],
  }),
  ...scenario({
    name: 'docs: exact paths instead of regexes, combined routes',
    routes: [
      { id: 'exact', expression: 'http.path == "/foo/bar" || http.path == "/foo/bar/"', priority: 1 },
      { id: 'combined', expression: 'http.path == "/hello" || http.path == "/world"' },
    ],
    requests: [
      { name: 'exact', request: { path: '/foo/bar' }, expect: 'exact' },
      { name: 'exact with slash', request: { path: '/foo/bar/' }, expect: 'exact' },
      { name: 'longer path', request: { path: '/foo/bar/x' }, expect: null },
      { name: 'first alternative', request: { path: '/hello' }, expect: 'combined' },
      { name: 'second alternative', request: { path: '/world' }, expect: 'combined' },
    ],
  }),
  ...scenario({
    name: 'docs: path segments',
    routes: [
      { id: 'one', expression: 'http.path.segments.1 == "b"', priority: 3 },
      { id: 'range', expression: 'http.path.segments.0_1 == "x/y"', priority: 2 },
      { id: 'len', expression: 'http.path.segments.len == 3', priority: 1 },
    ],
    requests: [
      { name: 'segment 1', request: { path: '/a/b/c/' }, expect: 'one' },
      { name: 'range 0_1', request: { path: '/x/y/z' }, expect: 'range' },
      { name: 'length, trailing slash ignored', request: { path: '/p/q/r/' }, expect: 'len' },
      { name: 'range past the end has no value', request: { path: '/x' }, expect: null },
    ],
  }),
  ...scenario({
    name: 'query arguments',
    routes: [
      { id: 'eq', expression: 'http.queries.v == "1"', priority: 2 },
      { id: 'any', expression: 'any(http.queries.v) == "2"', priority: 1 },
      { id: 'flag', expression: 'http.queries.debug == ""' },
    ],
    requests: [
      { name: 'one value', request: { query: 'v=1' }, expect: 'eq' },
      { name: 'every value must equal', request: { query: 'v=1&v=2' }, expect: 'any' },
      { name: 'all values equal', request: { query: 'v=1&v=1' }, expect: 'eq' },
      { name: 'a name without value is empty', request: { query: 'debug' }, expect: 'flag' },
      { name: 'decoded', request: { query: 'v=%32' }, expect: 'any' },
      { name: 'absent', request: { query: 'w=1' }, expect: null },
    ],
  }),
  ...scenario({
    name: 'absent fields fail every operator, including != and not in',
    routes: [
      { id: 'ne', expression: 'http.headers.x_a != "a"', priority: 2 },
      { id: 'notin', expression: 'net.src.ip not in 10.0.0.0/8', priority: 1 },
    ],
    requests: [
      { name: 'header present with another value', request: { headers: { 'x-a': 'b' } }, expect: 'ne' },
      { name: 'header absent, no client address', request: {}, expect: null },
      { name: 'client outside the block', request: { srcIp: '192.0.2.1' }, expect: 'notin' },
      { name: 'IPv6 client is not in an IPv4 block', request: { srcIp: '2001:db8::1' }, expect: 'notin' },
    ],
  }),
  ...scenario({
    name: 'operators on strings and integers',
    routes: [
      { id: 'contains', expression: 'http.path contains "needle"', priority: 5 },
      { id: 'postfix', expression: 'http.path =^ ".json"', priority: 4 },
      { id: 'high-port', expression: 'net.src.port >= 50000 && net.src.port < 60000', priority: 3 },
      { id: 'method-ne', expression: 'http.method != "GET" && http.path ^= "/w"', priority: 2 },
      { id: 'ipv6', expression: 'net.src.ip == fd00::1 || net.src.ip in 2001:db8::/32', priority: 1 },
    ],
    requests: [
      { name: 'contains', request: { path: '/hay/needle/stack' }, expect: 'contains' },
      { name: 'postfix', request: { path: '/a/b.json' }, expect: 'postfix' },
      { name: 'integer range', request: { path: '/x', srcPort: 51234 }, expect: 'high-port' },
      { name: 'outside the range', request: { path: '/x', srcPort: 60000 }, expect: null },
      { name: 'not equal', request: { method: 'POST', path: '/w' }, expect: 'method-ne' },
      { name: 'equal method fails !=', request: { method: 'GET', path: '/w' }, expect: null },
      { name: 'IPv6 equality', request: { path: '/z', srcIp: 'fd00:0:0::1' }, expect: 'ipv6' },
      { name: 'IPv6 block', request: { path: '/z', srcIp: '2001:db8:1::5' }, expect: 'ipv6' },
    ],
  }),
  ...scenario({
    name: "precedence: '||' binds tighter than '&&' (atc-router), '!' negates a group",
    routes: [
      { id: 'mixed', expression: 'http.method == "GET" && http.path == "/a" || http.path == "/b"', priority: 2 },
      { id: 'not', expression: '!(http.method == "GET") && !(http.path ^= "/private")', priority: 1 },
    ],
    requests: [
      { name: 'GET /a', request: { method: 'GET', path: '/a' }, expect: 'mixed' },
      { name: 'GET /b', request: { method: 'GET', path: '/b' }, expect: 'mixed' },
      { name: 'POST /b: the method applies to both paths', request: { method: 'POST', path: '/b' }, expect: 'not' },
      { name: 'POST /private', request: { method: 'POST', path: '/private/x' }, expect: null },
    ],
  }),
  ...scenario({
    name: 'equal priorities: the higher route id first',
    routes: [
      { id: '00000000-0000-4000-8000-000000000001', expression: 'http.path ^= "/"' },
      { id: '00000000-0000-4000-8000-000000000002', expression: 'http.path ^= "/"' },
    ],
    requests: [{ name: 'tie', request: { path: '/x' }, expect: '00000000-0000-4000-8000-000000000002' }],
  }),
  ...scenario({
    // With `original` a traditional route of four or more fields gets Kong's sign-extended priority
    // (see src/router/compatible.ts), above the expression routes' 0xFF << 56, as in a running Kong.
    name: 'expression routes come before traditional routes',
    routes: [
      { id: 'traditional', hosts: ['example.com'], paths: ['/api'], methods: ['GET'], headers: { 'x-a': ['1'] } },
      { id: 'expression', expression: 'http.path ^= "/"' },
    ],
    requests: [
      {
        name: 'the expression route wins',
        request: { host: 'example.com', path: '/api', headers: { 'x-a': '1' } },
        expect: { traditional: null, traditional_compatible: 'expression', original: 'traditional' },
      },
      { name: 'fewer fields: the expression route wins under both rankings', request: { host: 'example.com', path: '/api' }, expect: 'expression' },
    ],
  }),
  ...scenario({
    name: 'protocols restrict net.protocol, a lone https still matches plain http (for the redirect)',
    routes: [
      { id: 'http-only', expression: 'http.path ^= "/h"', protocols: ['http'] },
      { id: 'https-only', expression: 'http.path ^= "/s"', protocols: ['https'] },
      { id: 'grpcs', expression: 'http.path ^= "/g"', protocols: ['grpcs'] },
    ],
    requests: [
      { name: 'http route, http request', request: { path: '/h' }, expect: 'http-only' },
      { name: 'http route, https request', request: { path: '/h', scheme: 'https' }, expect: null },
      { name: 'https route, http request', request: { path: '/s' }, expect: 'https-only' },
      { name: 'grpcs is https', request: { path: '/g', scheme: 'https' }, expect: 'grpcs' },
      { name: 'grpcs route, http request', request: { path: '/g' }, expect: null },
    ],
  }),
  ...scenario({
    name: 'strip_path removes the matched part of http.path',
    routes: [
      { id: 'prefix', expression: 'http.path ^= "/api"', service_path: '/svc', priority: 4 },
      { id: 'exact', expression: 'http.path == "/exact"', service_path: '/svc', priority: 3 },
      { id: 'regex', expression: 'http.path ~ r#"^/r/\\d+"#', priority: 2 },
      { id: 'host', expression: 'http.host == "h.test"', service_path: '/svc', priority: 1 },
      { id: 'keep', expression: 'http.path ^= "/keep"', strip_path: false },
    ],
    requests: [
      { name: 'prefix', request: { path: '/api/users' }, expect: { route: 'prefix', upstreamPath: '/svc/users', strippedPrefix: '/api' } },
      { name: 'exact', request: { path: '/exact' }, expect: { route: 'exact', upstreamPath: '/svc', strippedPrefix: '/exact' } },
      { name: 'regex match', request: { path: '/r/12/x' }, expect: { route: 'regex', upstreamPath: '/x', strippedPrefix: '/r/12', captures: null } },
      { name: 'no path predicate', request: { host: 'h.test', path: '/a/b' }, expect: { route: 'host', upstreamPath: '/svc/a/b', strippedPrefix: null } },
      { name: 'strip_path false', request: { path: '/keep/x' }, expect: { route: 'keep', upstreamPath: '/keep/x', strippedPrefix: null } },
    ],
  }),
  ...scenario({
    name: 'http.host is the Host header without its port; header names normalise',
    routes: [
      { id: 'host', expression: 'http.host == "example.com" && http.headers.X_Custom_Name == "v"' },
    ],
    requests: [
      { name: 'with port', request: { host: 'example.com:8080', headers: { 'x-custom-name': 'v' } }, expect: 'host' },
      { name: 'header value is case-sensitive', request: { host: 'example.com', headers: { 'x-custom-name': 'V' } }, expect: null },
      { name: 'host is case-sensitive', request: { host: 'Example.com', headers: { 'x-custom-name': 'v' } }, expect: null },
    ],
  }),

  // From Kong's spec/01-unit/08-router_spec.lua (expressions flavor).
  ...scenario({
    name: 'Kong spec: http.queries',
    routes: [
      { id: 'e8fb37f1-102d-461e-9c51-6608a6bb8101', expression: 'http.path == "/foo/bar" && http.queries.a == "1"', priority: 100 },
      { id: 'e8fb37f1-102d-461e-9c51-6608a6bb8102', expression: 'http.path == "/foo/bar" && http.queries.a == ""', priority: 100 },
      { id: 'e8fb37f1-102d-461e-9c51-6608a6bb8103', expression: 'http.path == "/foo/bar" && any(http.queries.a) == "2"', priority: 100 },
    ],
    requests: [
      { name: 'a=1', request: { path: '/foo/bar', query: 'a=1' }, expect: 'e8fb37f1-102d-461e-9c51-6608a6bb8101' },
      { name: 'a=', request: { path: '/foo/bar', query: 'a=' }, expect: 'e8fb37f1-102d-461e-9c51-6608a6bb8102' },
      { name: 'a without value', request: { path: '/foo/bar', query: 'a' }, expect: 'e8fb37f1-102d-461e-9c51-6608a6bb8102' },
      { name: 'a=2&a=10', request: { path: '/foo/bar', query: 'a=2&a=10' }, expect: 'e8fb37f1-102d-461e-9c51-6608a6bb8103' },
      { name: 'a=x', request: { path: '/foo/bar', query: 'a=x' }, expect: null },
    ],
  }),
  ...scenario({
    name: 'Kong spec: header values are case-sensitive unless lower()',
    routes: [
      { id: 'e8fb37f1-102d-461e-9c51-6608a6bb8101', expression: 'http.path == "/foo/bar" && http.headers.test1 == "Quote"', priority: 100 },
      { id: 'e8fb37f1-102d-461e-9c51-6608a6bb8102', expression: 'http.path == "/foo/bar" && lower(http.headers.test2) == "quote"', priority: 100 },
    ],
    requests: [
      { name: 'quote', request: { path: '/foo/bar', headers: { test1: 'quote' } }, expect: null },
      { name: 'quoTe', request: { path: '/foo/bar', headers: { test1: 'quoTe' } }, expect: null },
      { name: 'Quote', request: { path: '/foo/bar', headers: { test1: 'Quote' } }, expect: 'e8fb37f1-102d-461e-9c51-6608a6bb8101' },
      { name: 'lower(): QuoTe', request: { path: '/foo/bar', headers: { test2: 'QuoTe' } }, expect: 'e8fb37f1-102d-461e-9c51-6608a6bb8102' },
      { name: 'lower(): QUOTE', request: { path: '/foo/bar', headers: { test2: 'QUOTE' } }, expect: 'e8fb37f1-102d-461e-9c51-6608a6bb8102' },
    ],
  }),
  ...scenario({
    name: "Kong spec: 'net.port' is 'net.dst.port'; addresses",
    routes: [
      { id: 'e8fb37f1-102d-461e-9c51-6608a6bb8101', expression: 'http.host == "www.example.com" && net.port == 8000', priority: 100 },
      { id: 'e8fb37f1-102d-461e-9c51-6608a6bb8102', expression: 'net.src.ip == 1.1.1.1 && net.dst.ip == 2.2.2.2 && http.method == "GET"', priority: 100 },
    ],
    requests: [
      { name: 'Host port 80', request: { host: 'www.example.com:80' }, expect: null },
      { name: 'Host port 8000', request: { host: 'www.example.com:8000' }, expect: 'e8fb37f1-102d-461e-9c51-6608a6bb8101' },
      { name: 'listener port when the Host has none', request: { host: 'www.example.com', port: 8000 }, expect: 'e8fb37f1-102d-461e-9c51-6608a6bb8101' },
      { name: 'source and destination addresses', request: { srcIp: '1.1.1.1', dstIp: '2.2.2.2' }, expect: 'e8fb37f1-102d-461e-9c51-6608a6bb8102' },
      { name: 'other destination', request: { srcIp: '1.1.1.1', dstIp: '2.2.2.3' }, expect: null },
    ],
  }),
  ...scenario({
    name: 'Kong spec: single http.path.segments',
    routes: [
      { id: 'e8fb37f1-102d-461e-9c51-6608a6bb8101', expression: 'http.path.segments.0 == "foo" && http.path.segments.1 == "bar"', priority: 100 },
      { id: 'e8fb37f1-102d-461e-9c51-6608a6bb8102', expression: 'http.path.segments.0 == "foo" && http.path.segments.2 ^= "baz"', priority: 100 },
      { id: 'e8fb37f1-102d-461e-9c51-6608a6bb8103', expression: 'http.path.segments.0 == "foo" && http.path.segments.3 ~ r#"\\d+"#', priority: 100 },
    ],
    requests: [
      { name: '/foo/bar', request: { path: '/foo/bar' }, expect: 'e8fb37f1-102d-461e-9c51-6608a6bb8101' },
      // Equal priorities: the higher id is tried first.
      { name: '/foo/bar/bazxxx', request: { path: '/foo/bar/bazxxx' }, expect: 'e8fb37f1-102d-461e-9c51-6608a6bb8102' },
      { name: '/foo/bar/baz/12345', request: { path: '/foo/bar/baz/12345' }, expect: 'e8fb37f1-102d-461e-9c51-6608a6bb8103' },
      { name: '/foo/xxx', request: { path: '/foo/xxx' }, expect: null },
    ],
  }),
  ...scenario({
    name: 'Kong spec: http.path.segments.len and ranges',
    routes: [
      { id: 'e8fb37f1-102d-461e-9c51-6608a6bb8100', expression: 'http.path.segments.0 == "foo" && http.path.segments.len == 1', priority: 200 },
      { id: 'e8fb37f1-102d-461e-9c51-6608a6bb8101', expression: 'http.path.segments.0_1 ~ r#"\\d+/\\w+"#', priority: 100 },
      { id: 'e8fb37f1-102d-461e-9c51-6608a6bb8102', expression: 'http.path.segments.1_3 == r#"xxx/yyy/zzz"#', priority: 100 },
      { id: 'e8fb37f1-102d-461e-9c51-6608a6bb8103', expression: 'http.path.segments.1_2 == r#"xxx/yyy"# && http.path.segments.len == 3', priority: 100 },
      { id: 'e8fb37f1-102d-461e-9c51-6608a6bb8104', expression: 'http.path.segments.10_11 == r#"foo/bar"#', priority: 100 },
    ],
    requests: [
      { name: '/foo', request: { path: '/foo' }, expect: 'e8fb37f1-102d-461e-9c51-6608a6bb8100' },
      { name: '/foo/', request: { path: '/foo/' }, expect: 'e8fb37f1-102d-461e-9c51-6608a6bb8100' },
      { name: '/123/foo/bar', request: { path: '/123/foo/bar' }, expect: 'e8fb37f1-102d-461e-9c51-6608a6bb8101' },
      { name: '/123/hello-world/bar', request: { path: '/123/hello-world/bar' }, expect: 'e8fb37f1-102d-461e-9c51-6608a6bb8101' },
      { name: '/foo/xxx/yyy/zzz/bar', request: { path: '/foo/xxx/yyy/zzz/bar' }, expect: 'e8fb37f1-102d-461e-9c51-6608a6bb8102' },
      { name: '/foo/xxx/yyy', request: { path: '/foo/xxx/yyy' }, expect: 'e8fb37f1-102d-461e-9c51-6608a6bb8103' },
      { name: '/foo/xxx/yyy/', request: { path: '/foo/xxx/yyy/' }, expect: 'e8fb37f1-102d-461e-9c51-6608a6bb8103' },
      { name: '/foo/xxx', request: { path: '/foo/xxx' }, expect: null },
    ],
  }),
  ...scenario({
    name: 'Kong spec: not expression',
    routes: [{ id: 'e8fb37f1-102d-461e-9c51-6608a6bb8101', expression: '!(http.path ^= r#"/foo"#)', priority: 100 }],
    requests: [
      { name: '/123/foo/bar', request: { path: '/123/foo/bar' }, expect: 'e8fb37f1-102d-461e-9c51-6608a6bb8101' },
      { name: '/xyz/hello-world/bar', request: { path: '/xyz/hello-world/bar' }, expect: 'e8fb37f1-102d-461e-9c51-6608a6bb8101' },
      { name: '/foo/bar', request: { path: '/foo/bar' }, expect: null },
    ],
  }),
];
