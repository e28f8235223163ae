/** The routes schema under each router flavor: `expression` and `priority` exist only under `expressions`. */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { useRouterFlavor, validateEntity } from './index.ts';

afterEach(() => useRouterFlavor('traditional_compatible'));

function errorsOf(input: unknown): unknown {
  const result = validateEntity('routes', input);
  assert.equal(result.ok, false, JSON.stringify(input));
  return result.ok ? undefined : result.errors;
}

test('traditional flavors refuse expression and priority as unknown fields', () => {
  for (const flavor of ['traditional', 'traditional_compatible'] as const) {
    useRouterFlavor(flavor);
    assert.deepEqual(errorsOf({ protocols: ['http'], hosts: ['example.com'], expression: '(http.method == "GET")', priority: 100 }), {
      expression: 'unknown field',
      priority: 'unknown field',
    });
  }
});

test('expressions: an expression route, with defaults', () => {
  useRouterFlavor('expressions');
  const result = validateEntity('routes', { protocols: ['http'], expression: '(http.method == "GET")', priority: 100, strip_path: false });
  assert.ok(result.ok);
  const route = result.value as Record<string, unknown>;
  assert.equal(route.expression, '(http.method == "GET")');
  assert.equal(route.priority, 100);
  const defaults = validateEntity('routes', { expression: 'http.path ^= "/"' });
  assert.ok(defaults.ok);
  assert.equal((defaults.value as Record<string, unknown>).priority, 0);
  assert.equal(defaults.value.strip_path, true);
});

test('expressions: traditional routes still work, and http routes may set sources and destinations', () => {
  useRouterFlavor('expressions');
  const result = validateEntity('routes', {
    protocols: ['https'],
    methods: ['GET', 'POST'],
    hosts: ['example.com'],
    headers: { location: ['location-1'] },
    paths: ['/ovo'],
    snis: ['example.org'],
    sources: [{ ip: '127.0.0.1' }],
    destinations: [{ ip: '127.0.0.1' }],
  });
  assert.ok(result.ok, JSON.stringify(result));
});

test("expressions: 'expression' counts among the fields one of which must be set", () => {
  useRouterFlavor('expressions');
  assert.deepEqual(errorsOf({}), {
    '@entity': ["must set one of 'methods', 'hosts', 'headers', 'paths', 'snis', 'expression' when 'protocols' is 'https'"],
  });
  assert.deepEqual(errorsOf({ protocols: ['tcp'] }), {
    '@entity': ["must set one of 'sources', 'destinations', 'snis', 'expression' when 'protocols' is 'tcp', 'tls' or 'udp'"],
  });
});

test('expressions: mixing, bounds and invalid expressions', () => {
  useRouterFlavor('expressions');
  assert.deepEqual(errorsOf({ protocols: ['http'], expression: 'http.method == "GET"', methods: ['GET'] }), {
    '@entity': [
      "Router Expression failed validation: cannot set 'expression' with 'methods', 'hosts', 'paths', 'headers', 'snis', 'sources' or 'destinations' simultaneously",
    ],
  });
  assert.deepEqual(errorsOf({ protocols: ['http'], paths: ['/'], priority: 10 }), {
    '@entity': [
      "Router Expression failed validation: cannot set 'priority' with 'methods', 'hosts', 'paths', 'headers', 'snis', 'sources' or 'destinations' simultaneously",
    ],
  });
  assert.deepEqual(errorsOf({ expression: 'http.path ^= "/"', priority: 2 ** 46 }), { priority: 'value should be between 0 and 70368744177663' });
  assert.deepEqual(errorsOf({ expression: 'http.path ^= "/"', priority: -1 }), { priority: 'value should be between 0 and 70368744177663' });
  assert.deepEqual(errorsOf({ protocols: ['http'], expression: '(http.method == "GET") &&' }), {
    '@entity': [
      'Router Expression failed validation:  --> 1:26\n  |\n1 | (http.method == "GET") &&\n  |                          ^---\n  |\n  = expected term',
    ],
  });
  assert.deepEqual(errorsOf({ protocols: ['tcp'], expression: 'http.method == "GET" && net.src.ip == 1.2.3.4' }), {
    '@entity': ['Router Expression failed validation: Unknown LHS field'],
  });
  assert.ok(validateEntity('routes', { protocols: ['tcp'], expression: 'net.src.ip == 1.2.3.4 && net.src.port == 80' }).ok);
});
