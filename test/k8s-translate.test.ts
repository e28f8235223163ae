/**
 * `tollgate k8s translate` against Kong's Ingress Controller's own golden cases (test/fixtures/k8s/kic): the
 * services, routes, upstreams, targets, plugins, consumers (and their groups), credentials and certificates KIC produces, ids,
 * tags and ordering aside; then a translated Ingress serving real traffic through bin/tollgate.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { request } from 'undici';
import { ROOT, runTollgate, startTollgate, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';

const CASES = join(ROOT, 'test', 'fixtures', 'k8s', 'kic');
type Obj = Record<string, unknown>;

const ROUTE_DEFAULTS: Obj = {
  protocols: ['http', 'https'],
  strip_path: false,
  preserve_host: true,
  regex_priority: 0,
  request_buffering: true,
  response_buffering: true,
  https_redirect_status_code: 426,
  path_handling: 'v0',
};
const ROUTE_FIELDS = ['name', 'hosts', 'paths', 'methods', 'headers', 'snis', 'sources', 'destinations', 'expression', 'priority', ...Object.keys(ROUTE_DEFAULTS)];
const SERVICE_FIELDS = ['name', 'host', 'protocol', 'path', 'retries', 'connect_timeout', 'read_timeout', 'write_timeout', 'tls_verify', 'ca_certificates'];

function pick(o: Obj, fields: readonly string[], defaults: Obj = {}): Obj {
  const out: Obj = {};
  for (const f of fields) {
    const v = o[f] ?? defaults[f];
    if (v !== undefined && v !== null) out[f] = v;
  }
  return out;
}

const byName = (a: Obj, b: Obj): number => String(a.name ?? a.username ?? a.target ?? '').localeCompare(String(b.name ?? b.username ?? b.target ?? ''));

/** What the comparison keeps of a configuration. */
function essentials(config: Obj): Obj {
  const certById = new Map(((config.certificates as Obj[]) ?? []).map((c) => [c.id, String(c.cert).trim()]));
  const services = ((config.services as Obj[]) ?? []).map((s) => ({
    // A null path (KIC's default backends) proxies as '/' does.
    ...pick(s, SERVICE_FIELDS, { path: '/' }),
    // Certificate ids are the Secrets' uids: what matters is which certificate the service presents.
    ...(s.client_certificate ? { client_certificate: certById.get((s.client_certificate as Obj).id) ?? 'missing' } : {}),
    routes: ((s.routes as Obj[]) ?? []).map((r) => pick(r, ROUTE_FIELDS, ROUTE_DEFAULTS)).sort(byName),
  }));
  const upstreams = ((config.upstreams as Obj[]) ?? []).map((u) => {
    const { id, tags, targets, ...rest } = u;
    void id;
    void tags;
    return { ...rest, targets: ((targets as Obj[]) ?? []).map((t) => pick(t, ['target', 'weight'])).sort(byName) };
  });
  const consumers = ((config.consumers as Obj[]) ?? []).map((c) => {
    const out: Obj = pick(c, ['username', 'custom_id']);
    for (const [k, v] of Object.entries(c)) if (Array.isArray(v) && k !== 'tags') out[k] = (v as Obj[]).map((cred) => { const { id, tags, ...rest } = cred; void id; void tags; return rest; });
    return out;
  });
  const certificates = ((config.certificates as Obj[]) ?? []).map((c) => ({
    cert: String(c.cert).trim(),
    key: String(c.key).trim(),
    snis: ((c.snis as Obj[]) ?? []).map((s) => s.name).sort(),
  })).sort((a, b) => a.cert.localeCompare(b.cert));
  const plugins = ((config.plugins as Obj[]) ?? []).map((p) => ({
    ...pick(p, ['name', 'config', 'route', 'service', 'consumer', 'consumer_group', 'protocols']),
    // KIC makes each attachment's instance name unique with a hash of its own; the given name must survive.
    instance: typeof p.instance_name === 'string' ? p.instance_name.replace(/-[0-9a-f]+$/, '') : undefined,
  }));
  const caCertificates = ((config.ca_certificates as Obj[]) ?? []).map((c) => ({ id: c.id, cert: String(c.cert).trim() }));
  return {
    caCertificates,
    services: services.sort(byName),
    upstreams: upstreams.sort(byName),
    consumers: consumers.sort(byName),
    certificates,
    plugins: plugins.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    consumer_groups: ((config.consumer_groups as Obj[]) ?? []).map((g) => g.name).sort(),
    memberships: ((config.consumer_group_consumers as Obj[]) ?? []).map((m) => `${String(m.consumer)} in ${String(m.consumer_group)}`).sort(),
  };
}

async function translateFile(file: string, extra: string[] = [], env: Record<string, string> = {}): Promise<{ config: Obj; stderr: string; code: number | null }> {
  const r = await runTollgate(['k8s', 'translate', '-f', file, '--format', 'json', ...extra], env);
  return { config: r.code === 0 ? (JSON.parse(r.stdout) as Obj) : {}, stderr: r.stderr, code: r.code };
}

describe('KIC golden cases', () => {
  for (const name of readdirSync(CASES).filter((n) => !n.includes('.') && readdirSync(join(CASES, n)).includes('golden.yaml'))) {
    test(name, async () => {
      const dir = join(CASES, name);
      const got = await translateFile(join(dir, 'in.yaml'));
      assert.equal(got.code, 0, got.stderr);
      const expected = loadAll(readFileSync(join(dir, 'golden.yaml'), 'utf8'))[0] as Obj;
      assert.deepEqual(essentials(got.config), essentials(expected));
    });
  }
  // KIC's expression-routes-on goldens: the same input for gateways whose router_flavor is expressions.
  for (const name of readdirSync(CASES).filter((n) => !n.includes('.') && readdirSync(join(CASES, n)).includes('expressions-golden.yaml'))) {
    test(`${name} (router_flavor = expressions)`, async () => {
      const dir = join(CASES, name);
      const got = await translateFile(join(dir, 'in.yaml'), [], { TOLLGATE_ROUTER_FLAVOR: 'expressions' });
      assert.equal(got.code, 0, got.stderr);
      const expected = loadAll(readFileSync(join(dir, 'expressions-golden.yaml'), 'utf8'))[0] as Obj;
      assert.deepEqual(essentials(got.config), essentials(expected));
    });
  }
});

describe('what cannot be translated is reported and skipped', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-k8s-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('an unknown plugin, a bad annotation and a missing Service name their resources; the rest is translated', async () => {
    const file = join(dir, 'mixed.yaml');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Service
metadata: { name: good, namespace: apps }
spec: { ports: [{ port: 80 }] }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: good
  namespace: apps
  annotations: { konghq.com/plugins: "magic, limit", konghq.com/strip-path: "maybe", konghq.com/methods: "GET,POST" }
spec:
  ingressClassName: kong
  rules: [{ host: a.example, http: { paths: [{ path: /a, pathType: Prefix, backend: { service: { name: good, port: { number: 80 } } } }] } }]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: orphan, namespace: apps }
spec:
  ingressClassName: kong
  rules: [{ http: { paths: [{ path: /b, pathType: Exact, backend: { service: { name: missing, port: { number: 80 } } } }] } }]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: other-class, namespace: apps }
spec:
  ingressClassName: nginx
  rules: [{ http: { paths: [{ path: /c, pathType: Exact, backend: { service: { name: good, port: { number: 80 } } } }] } }]
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: { name: magic, namespace: apps }
plugin: does-not-exist
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: { name: limit, namespace: apps }
plugin: rate-limiting
config: { minute: 5, policy: local }
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: { name: db, namespace: apps }
spec: { rules: [{ backendRefs: [{ name: good, port: 80 }] }] }
`,
    );
    const got = await translateFile(file);
    assert.equal(got.code, 0);
    assert.match(got.stderr, /KongPlugin apps\/magic: plugin 'does-not-exist' is not available in Tollgate; skipped/);
    assert.match(got.stderr, /Ingress apps\/good: annotation konghq.com\/strip-path: 'maybe' is not true or false; ignored/);
    assert.match(got.stderr, /Ingress apps\/orphan: backend Service apps\/missing is not in the input/);
    assert.match(got.stderr, /TCPRoute apps\/db: no parent Gateway listener with protocol TCP in the input gives its port; skipped/);
    const services = got.config.services as Obj[];
    assert.equal(services.length, 1);
    const routes = services[0].routes as Obj[];
    assert.deepEqual(routes.map((r) => r.name), ['apps.good.good.a.example.80']);
    assert.deepEqual(routes[0].methods, ['GET', 'POST']);
    assert.deepEqual(routes[0].paths, ['/a/', '~/a$']);
    const plugins = got.config.plugins as Obj[];
    assert.deepEqual(plugins.map((p) => [p.name, p.route]), [['rate-limiting', 'apps.good.good.a.example.80']]);
    // The ingress class can be chosen.
    const nginx = await translateFile(file, ['--ingress-class', 'nginx']);
    assert.deepEqual(((nginx.config.services as Obj[])[0].routes as Obj[]).map((r) => r.name), ['apps.other-class.good..80']);
  });

  test('consumer groups: plugins on a KongConsumerGroup are scoped to it; unknown groups and consumers without username are reported', async () => {
    const file = join(dir, 'groups.yaml');
    const meta = (name: string, extra = '') => `metadata: { name: ${name}, namespace: apps, annotations: { kubernetes.io/ingress.class: kong${extra} } }`;
    writeFileSync(
      file,
      `apiVersion: configuration.konghq.com/v1beta1
kind: KongConsumerGroup
${meta('gold', ', konghq.com/plugins: group-limit')}
---
apiVersion: configuration.konghq.com/v1beta1
kind: KongConsumerGroup
metadata: { name: other-class, namespace: apps, annotations: { kubernetes.io/ingress.class: nginx } }
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: { name: group-limit, namespace: apps }
plugin: rate-limiting
config: { hour: 10, limit_by: consumer-group }
---
apiVersion: configuration.konghq.com/v1
kind: KongConsumer
${meta('ann')}
username: ann
consumerGroups: [gold, missing, other-class]
---
apiVersion: configuration.konghq.com/v1
kind: KongConsumer
${meta('anonymous-ish')}
custom_id: c-1
consumerGroups: [gold]
`,
    );
    const got = await translateFile(file);
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual((got.config.consumer_groups as Obj[]).map((g) => g.name), ['gold']);
    assert.deepEqual(got.config.consumer_group_consumers, [{ consumer: 'ann', consumer_group: 'gold' }]);
    const plugins = got.config.plugins as Obj[];
    assert.deepEqual(plugins.map((p) => [p.name, p.consumer_group, p.consumer ?? null]), [['rate-limiting', 'gold', null]]);
    assert.match(got.stderr, /KongConsumer apps\/ann: consumerGroups: no KongConsumerGroup apps\/missing; skipped/);
    assert.match(got.stderr, /KongConsumer apps\/ann: consumerGroups: no KongConsumerGroup apps\/other-class; skipped/);
    assert.match(got.stderr, /KongConsumer apps\/anonymous-ish: consumerGroups on a consumer without username are not translated/);
    assert.doesNotMatch(got.stderr, /does not load/);
  });
});

test('without the expressions router, query parameter matches are reported and the rest of the route is kept', async () => {
  const got = await translateFile(join(CASES, 'httproute-query-params', 'in.yaml'));
  assert.equal(got.code, 0);
  assert.match(got.stderr, /HTTPRoute default\/items: rule 0: query parameter matches need the expressions router; ignored/);
  const routes = ((got.config.services as Obj[]) ?? []).flatMap((s) => s.routes as Obj[]);
  assert.ok(routes.length > 0);
  assert.ok(routes.every((r) => r.expression === undefined && Array.isArray(r.paths)));
});

test('route annotations that set traditional match fields are reported on expression routes; snis join the expression', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-k8s-expr-ann-'));
  try {
    const file = join(dir, 'r.yaml');
    writeFileSync(file, `apiVersion: v1
kind: Service
metadata: { name: s, namespace: d }
spec: { ports: [{ port: 80 }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r, namespace: d, annotations: { konghq.com/methods: GET, konghq.com/snis: a.example, konghq.com/strip-path: "true" } }
spec:
  rules: [{ matches: [{ path: { type: PathPrefix, value: /x } }], backendRefs: [{ name: s, port: 80 }] }]
`);
    const got = await translateFile(file, [], { TOLLGATE_ROUTER_FLAVOR: 'expressions' });
    assert.match(got.stderr, /HTTPRoute d\/r: the annotation setting route methods does not apply to expression routes/);
    assert.doesNotMatch(got.stderr, /does not load/);
    const route = ((got.config.services as Obj[])[0].routes as Obj[])[0];
    assert.equal(route.expression, '(tls.sni == "a.example") && ((http.path == "/x") || (http.path ^= "/x/"))');
    assert.equal(route.strip_path, true);
    assert.equal(route.methods, undefined);
    assert.equal(route.snis, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Gateway API routes their Gateway in the input refuses are reported and left out; routes of absent Gateways are kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-k8s-accept-'));
  try {
    const file = join(dir, 'gw.yaml');
    const svc = (ns: string) => `apiVersion: v1
kind: Service
metadata: { name: s, namespace: ${ns} }
spec: { ports: [{ port: 80 }] }
---
`;
    const route = (kind: string, ns: string, name: string, parentRefs: string, extra = '') => `apiVersion: gateway.networking.k8s.io/${kind === 'TCPRoute' ? 'v1alpha2' : 'v1'}
kind: ${kind}
metadata: { name: ${name}, namespace: ${ns} }
spec:
  parentRefs: ${parentRefs}
${extra}  rules: [{ ${kind === 'HTTPRoute' ? `matches: [{ path: { type: PathPrefix, value: /${name} } }], ` : ''}backendRefs: [{ name: s, port: 80 }] }]
---
`;
    writeFileSync(file, `${svc('default')}${svc('apps')}${svc('other')}${svc('ops')}${svc('web')}apiVersion: v1
kind: Namespace
metadata: { name: web, labels: { team: web } }
---
apiVersion: v1
kind: Namespace
metadata: { name: other, labels: { team: data } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: kong }
spec: { controllerName: konghq.com/kic-gateway-controller }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: kong, namespace: default }
spec:
  gatewayClassName: kong
  listeners:
  - { name: http, protocol: HTTP, port: 80 }
  - { name: tcp, protocol: TCP, port: 9000 }
  - { name: site, protocol: HTTP, port: 8080, hostname: a.example }
  - { name: tcp-all, protocol: TCP, port: 9001, allowedRoutes: { namespaces: { from: All } } }
  - { name: web-teams, protocol: HTTP, port: 8081, allowedRoutes: { namespaces: { from: Selector, selector: { matchLabels: { team: web } } } } }
  - name: by-name
    protocol: HTTP
    port: 8082
    allowedRoutes: { namespaces: { from: Selector, selector: { matchExpressions: [{ key: kubernetes.io/metadata.name, operator: In, values: [ops] }] } } }
  - { name: no-selector, protocol: HTTP, port: 8083, allowedRoutes: { namespaces: { from: Selector } } }
---
${route('HTTPRoute', 'default', 'accepted', '[{ name: kong }]')}
${route('HTTPRoute', 'apps', 'other-ns', '[{ name: kong, namespace: default }]')}
${route('HTTPRoute', 'default', 'wrong-host', '[{ name: kong, sectionName: site }]', '  hostnames: [b.example]\n')}
${route('HTTPRoute', 'default', 'twice-refused', '[{ name: kong, sectionName: nope }, { name: kong, sectionName: tcp }]')}
${route('HTTPRoute', 'default', 'absent-gateway', '[{ name: elsewhere }]')}
${route('HTTPRoute', 'default', 'one-of-two', '[{ name: kong, sectionName: tcp }, { name: elsewhere }]')}
${route('GRPCRoute', 'apps', 'grpc-other-ns', '[{ name: kong, namespace: default }]')}
${route('HTTPRoute', 'web', 'selected', '[{ name: kong, namespace: default, sectionName: web-teams }]')}
${route('HTTPRoute', 'other', 'unselected', '[{ name: kong, namespace: default, sectionName: web-teams }]')}
${route('HTTPRoute', 'ops', 'by-name', '[{ name: kong, namespace: default, sectionName: by-name }]')}
${route('HTTPRoute', 'apps', 'selector-less', '[{ name: kong, namespace: default, sectionName: no-selector }]')}
${route('TCPRoute', 'default', 'tcp-ok', '[{ name: kong, sectionName: tcp }]')}
${route('TCPRoute', 'default', 'tcp-on-http', '[{ name: kong, sectionName: http }]')}
${route('TCPRoute', 'apps', 'tcp-other-ns', '[{ name: kong, namespace: default }]')}`);
    const got = await translateFile(file);
    assert.equal(got.code, 0, got.stderr);
    assert.doesNotMatch(got.stderr, /does not load/);
    const lines = got.stderr.split('\n').filter((l) => l.includes('not accepted'));
    assert.deepEqual(lines.map((l) => l.replace(/^.*?(\w+Route )/, '$1')).sort(), [
      'GRPCRoute apps/grpc-other-ns: not accepted by Gateway default/kong (NotAllowedByListeners); skipped',
      'HTTPRoute apps/other-ns: not accepted by Gateway default/kong (NotAllowedByListeners); skipped',
      'HTTPRoute apps/selector-less: not accepted by Gateway default/kong (NotAllowedByListeners); skipped',
      'HTTPRoute default/twice-refused: not accepted by Gateway default/kong (NoMatchingParent), Gateway default/kong (NotAllowedByListeners); skipped',
      'HTTPRoute default/wrong-host: not accepted by Gateway default/kong (NoMatchingListenerHostname); skipped',
      'HTTPRoute other/unselected: not accepted by Gateway default/kong (NotAllowedByListeners); skipped',
      'TCPRoute default/tcp-on-http: not accepted by Gateway default/kong (NotAllowedByListeners); skipped',
    ]);
    const services = (got.config.services as Obj[]) ?? [];
    assert.deepEqual(services.map((s) => s.name).sort(), [
      'httproute.default.absent-gateway.0', 'httproute.default.accepted.0', 'httproute.default.one-of-two.0', 'httproute.ops.by-name.0', 'httproute.web.selected.0', 'tcproute.apps.tcp-other-ns.0', 'tcproute.default.tcp-ok.0',
    ]);
    // A stream route listens on the ports of the listeners that accept it only.
    const destinations = (name: string) => ((services.find((s) => s.name === name)!.routes as Obj[])[0]).destinations;
    assert.deepEqual(destinations('tcproute.default.tcp-ok.0'), [{ port: 9000 }]);
    assert.deepEqual(destinations('tcproute.apps.tcp-other-ns.0'), [{ port: 9001 }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('Service TLS annotations that cannot apply are reported', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-k8s-tls-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('client-cert on plain http, CA certificates without tls-verify, missing Secrets', async () => {
    const file = join(dir, 'tls.yaml');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Service
metadata:
  name: plain
  namespace: apps
  annotations: { konghq.com/client-cert: cert, konghq.com/ca-certificates-secrets: ca }
spec: { ports: [{ port: 80 }] }
---
apiVersion: v1
kind: Service
metadata:
  name: tls
  namespace: apps
  annotations: { konghq.com/protocol: https, konghq.com/tls-verify: "true", konghq.com/client-cert: nope, konghq.com/ca-certificates-secrets: "nada, ca" }
spec: { ports: [{ port: 443 }] }
---
apiVersion: v1
kind: Secret
metadata: { name: cert, namespace: apps }
stringData: { tls.crt: x, tls.key: y }
---
apiVersion: v1
kind: Secret
metadata: { name: ca, namespace: apps }
stringData: { cert: x }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: both, namespace: apps }
spec:
  ingressClassName: kong
  rules:
    - http:
        paths:
          - { path: /plain, pathType: Prefix, backend: { service: { name: plain, port: { number: 80 } } } }
          - { path: /tls, pathType: Prefix, backend: { service: { name: tls, port: { number: 443 } } } }
`,
    );
    const got = await translateFile(file);
    assert.equal(got.code, 0);
    assert.match(got.stderr, /Service apps\/plain: annotation konghq.com\/client-cert: client certificate requested for incompatible service protocol 'http'; ignored/);
    assert.match(got.stderr, /Service apps\/plain: annotation konghq.com\/ca-certificates-secrets: CA certificates requested for a service without TLS verification enabled/);
    assert.match(got.stderr, /Service apps\/tls: annotation konghq.com\/client-cert: Secret apps\/nope is not in the input; ignored/);
    assert.match(got.stderr, /Service apps\/tls: annotation konghq.com\/ca-certificates-secrets: Secret apps\/nada is not in the input; skipped/);
    assert.match(got.stderr, /Service apps\/tls: annotation konghq.com\/ca-certificates-secrets: Secret apps\/ca has no 'id' key; skipped/);
    assert.doesNotMatch(got.stderr, /does not load/);
    const services = got.config.services as Obj[];
    for (const s of services) {
      assert.equal(s.client_certificate, undefined);
      assert.equal(s.ca_certificates, undefined);
    }
  });
});

describe('a translated Ingress serves traffic', () => {
  let dir: string;
  let up: TestUpstream;
  let node: TollgateNode;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-k8s-serve-'));
    up = await startUpstream('echo');
    const manifests = join(dir, 'app.yaml');
    writeFileSync(
      manifests,
      `apiVersion: v1
kind: Service
metadata: { name: echo, namespace: shop }
spec: { ports: [{ name: http, port: 80, targetPort: 8080 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: echo-abc, namespace: shop, labels: { kubernetes.io/service-name: echo } }
addressType: IPv4
ports: [{ name: http, port: ${up.port} }]
endpoints:
  - addresses: [127.0.0.1]
    conditions: { ready: true }
  - addresses: [127.0.0.2]
    conditions: { ready: false }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: shop
  annotations: { konghq.com/strip-path: "true", konghq.com/plugins: add-header }
spec:
  ingressClassName: kong
  rules: [{ host: shop.example, http: { paths: [{ path: /api, pathType: Prefix, backend: { service: { name: echo, port: { name: http } } } }] } }]
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: { name: add-header, namespace: shop }
plugin: response-transformer
config: { add: { headers: ["X-Translated:yes"] } }
`,
    );
    const out = await runTollgate(['k8s', 'translate', '-f', manifests]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stderr, '');
    const config = join(dir, 'tollgate.yml');
    writeFileSync(config, out.stdout);
    const parsed = await runTollgate(['config', 'parse', config]);
    assert.equal(parsed.code, 0, parsed.stderr);
    node = await startTollgate({ config: out.stdout });
  });
  after(async () => {
    await node?.stop();
    await up?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the ready endpoint gets the request, stripped, with the plugin applied', async () => {
    // fetch() may not set Host; undici's request may.
    const res = await request(`${node.proxy}/api/items?x=1`, { headers: { host: 'shop.example' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-translated'], 'yes');
    const echo = (await res.body.json()) as { url: string; headers: Record<string, string> };
    assert.equal(echo.url, '/items?x=1');
    assert.equal(echo.headers.host, 'shop.example');
    const other = await request(`${node.proxy}/api/items`, { headers: { host: 'other.example' } });
    await other.body.dump();
    assert.equal(other.statusCode, 404);
  });
});

describe('HTTPRoute query parameter matches serve traffic on the expressions router', () => {
  let dir: string;
  let v1: TestUpstream;
  let v2: TestUpstream;
  let node: TollgateNode;
  const FLAVOR = { TOLLGATE_ROUTER_FLAVOR: 'expressions' };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-k8s-expr-'));
    v1 = await startUpstream('v1');
    v2 = await startUpstream('v2');
    const slice = (service: string, port: number): string => `---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${service}-x, namespace: default, labels: { kubernetes.io/service-name: ${service} } }
addressType: IPv4
ports: [{ port: ${port} }]
endpoints: [{ addresses: [127.0.0.1], conditions: { ready: true } }]
`;
    const manifests = join(dir, 'app.yaml');
    writeFileSync(manifests, readFileSync(join(CASES, 'httproute-query-params', 'in.yaml'), 'utf8') + slice('items-v1', v1.port) + slice('items-v2', v2.port));
    const out = await runTollgate(['k8s', 'translate', '-f', manifests], FLAVOR);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stderr, '');
    node = await startTollgate({ config: out.stdout, env: FLAVOR });
  });
  after(async () => {
    await node?.stop();
    await v1?.close();
    await v2?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the query parameter, header and method decide the backend', async () => {
    const serverFor = async (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<string> => {
      const res = await request(`${node.proxy}${path}`, { method: method as 'GET', headers: { host: 'api.example.com', ...headers } });
      if (res.statusCode !== 200) {
        await res.body.dump();
        return String(res.statusCode);
      }
      return ((await res.body.json()) as { server: string }).server;
    };
    assert.equal(await serverFor('/items/a?version=2', { 'x-env': 'beta' }), 'v2');
    assert.equal(await serverFor('/items/a?version=1', { 'x-env': 'beta' }), 'v1');
    assert.equal(await serverFor('/items/a?version=2'), 'v1');
    assert.equal(await serverFor('/items?v=25'), 'v2');
    assert.equal(await serverFor('/items?v=25', {}, 'POST'), 'v1');
    assert.equal(await serverFor('/items?v=3'), 'v1');
    assert.equal(await serverFor('/other'), '404');
  });
});

describe('a Service with client-cert, ca-certificates-secrets and host-header reaches a mutual-TLS upstream', () => {
  let dir: string;
  let upstream: HttpsServer;
  let node: TollgateNode;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-k8s-mtls-'));
    const openssl = (args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore', cwd: dir });
    const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    writeFileSync(join(dir, 'ca.cnf'), '[req]\ndistinguished_name = dn\n[dn]\n[v3]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n');
    openssl(['req', '-x509', ...EC, '-days', '2', '-subj', '/CN=Upstream CA', '-keyout', 'ca.key', '-out', 'ca.crt', '-extensions', 'v3', '-config', 'ca.cnf']);
    const issue = (name: string, ext: string): { cert: string; key: string } => {
      writeFileSync(join(dir, `${name}.ext`), ext);
      openssl(['req', '-new', ...EC, '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
      openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
      return { cert: readFileSync(join(dir, `${name}.crt`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
    };
    const server = issue('secure.internal', 'basicConstraints = critical,CA:FALSE\nextendedKeyUsage = serverAuth\nsubjectAltName = DNS:secure.internal, IP:127.0.0.1\n');
    const client = issue('tollgate-client', 'basicConstraints = critical,CA:FALSE\nextendedKeyUsage = clientAuth\n');
    const ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
    // Answers only a client presenting a certificate of the CA; says who it was and which Host it got.
    upstream = createHttpsServer({ ...server, ca, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      res.end(JSON.stringify({ client: (req.socket as TLSSocket).getPeerCertificate().subject?.CN ?? null, host: req.headers.host }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const port = (upstream.address() as AddressInfo).port;
    const b64 = (text: string): string => Buffer.from(text).toString('base64');
    const manifests = join(dir, 'app.yaml');
    writeFileSync(manifests, `apiVersion: v1
kind: Secret
metadata: { name: upstream-client, namespace: shop }
type: kubernetes.io/tls
data: { tls.crt: ${b64(client.cert)}, tls.key: ${b64(client.key)} }
---
apiVersion: v1
kind: Secret
metadata: { name: upstream-ca, namespace: shop, labels: { konghq.com/ca-cert: "true" } }
data: { id: ${b64('6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f')}, cert: ${b64(ca)} }
---
apiVersion: v1
kind: Service
metadata:
  name: secure
  namespace: shop
  annotations:
    konghq.com/protocol: https
    konghq.com/client-cert: upstream-client
    konghq.com/tls-verify: "true"
    konghq.com/ca-certificates-secrets: upstream-ca
    konghq.com/host-header: secure.internal
spec: { ports: [{ name: https, port: 443 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: secure-x, namespace: shop, labels: { kubernetes.io/service-name: secure } }
addressType: IPv4
ports: [{ name: https, port: ${port} }]
endpoints: [{ addresses: [127.0.0.1], conditions: { ready: true } }]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: secure, namespace: shop, annotations: { konghq.com/preserve-host: "false" } }
spec:
  ingressClassName: kong
  rules: [{ http: { paths: [{ path: /secure, pathType: Prefix, backend: { service: { name: secure, port: { number: 443 } } } }] } }]
`);
    const out = await runTollgate(['k8s', 'translate', '-f', manifests]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stderr, '');
    node = await startTollgate({ config: out.stdout });
  });
  after(async () => {
    await node?.stop();
    upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the gateway presents the Secret\'s certificate, trusts the CA Secret and sends the host header', async () => {
    const res = await request(`${node.proxy}/secure`);
    const body = await res.body.text();
    assert.equal(res.statusCode, 200, body);
    assert.deepEqual(JSON.parse(body), { client: 'tollgate-client', host: 'secure.internal' });
  });
});
