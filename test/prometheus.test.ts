/**
 * The prometheus plugin end to end: a two-worker node with the plugin (every flag) and an upstream under active
 * health checks serves traffic; a private, real Prometheus scrapes its Status API every second; then every query
 * of Kong's official Grafana dashboard (panels and template variables) runs through Prometheus's HTTP API and
 * must return data.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { freePort } from './helpers/ports.ts';
import { ROOT, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import { readDashboard, type DashboardQueries } from './support/grafana-dashboard.ts';

/** Kong's dashboard itself where this checkout sits next to it; its queries are kept in the fixture for other machines. */
const DASHBOARD = process.env.KONG_GRAFANA_DASHBOARD ?? join(ROOT, '..', 'shared', 'kong-grafana-dashboard.json');
const FIXTURE = join(ROOT, 'test', 'support', 'kong-dashboard-queries.json');

/** Grafana's substitution of a multi-value variable inside a regex matcher: the values, escaped, as alternatives. */
function regexOf(values: string[]): string {
  return `(${values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&')).join('|')})`;
}

function substitute(expr: string, values: Map<string, string[]>): string {
  let out = expr.replace(/\$__rate_interval|\$\{__rate_interval\}/g, '4s').replace(/\$__interval|\$\{__interval\}/g, '1s').replace(/\$__range|\$\{__range\}/g, '1m');
  for (const [name, vals] of values) out = out.replace(new RegExp(`\\$\\{${name}(:[a-z]+)?\\}|\\$${name}\\b`, 'g'), () => regexOf(vals));
  assert.doesNotMatch(out, /\$[a-zA-Z_{]/, `a dashboard variable is left in ${out}`);
  return out;
}

interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

describe('prometheus plugin with a real Prometheus and Kong\'s Grafana dashboard', () => {
  let good: TestUpstream;
  let bad: TestUpstream;
  let node: TollgateNode;
  let prom: ChildProcess | null = null;
  let promDir = '';
  let promUrl = '';
  let promOutput = '';
  let traffic: Promise<void> | null = null;
  let stopTraffic = false;
  let sent = 0;

  const proxyGet = async (path: string, headers: Record<string, string> = {}, body?: string) => {
    const res = await request(`${node.proxy}${path}`, { method: body === undefined ? 'GET' : 'POST', headers, body });
    await res.body.text();
    // Kong records nothing for a request that matched no route (the global instance still runs for it).
    if (res.statusCode !== 404) sent++;
    return res.statusCode;
  };

  const drive = async (): Promise<void> => {
    while (!stopTraffic) {
      await proxyGet('/orders');
      await proxyGet('/orders/new', { 'content-type': 'application/json' }, '{"item":"book"}');
      await proxyGet('/billing', { apikey: 'ann-key' });
      await proxyGet('/billing');
      assert.equal(await proxyGet('/nowhere'), 404);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  const promQuery = async (expr: string): Promise<PromResult[]> => {
    const res = await request(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.body.json()) as { status: string; error?: string; data?: { resultType: string; result: PromResult[] | [number, string] } };
    assert.equal(body.status, 'success', `${expr}: ${body.error ?? res.statusCode}`);
    const data = body.data!;
    if (data.resultType === 'scalar') return [{ metric: {}, value: data.result as [number, string] }];
    return data.result as PromResult[];
  };

  const scrapeText = async (): Promise<string> => {
    const res = await request(`${node.status}/metrics`);
    assert.equal(res.statusCode, 200);
    return res.body.text();
  };

  before(async () => {
    good = await startUpstream('good');
    bad = await startUpstream('bad', (_req, res) => {
      res.writeHead(500);
      res.end('down');
    });
    const config = `_format_version: "3.0"
consumers:
  - username: ann
    keyauth_credentials:
      - key: ann-key
upstreams:
  - name: billing-pool
    healthchecks:
      active:
        http_path: /health
        timeout: 1
        healthy: { interval: 0.5, successes: 1 }
        unhealthy: { interval: 0.5, http_failures: 1 }
    targets:
      - target: 127.0.0.1:${good.port}
      - target: 127.0.0.1:${bad.port}
services:
  - name: orders
    url: http://127.0.0.1:${good.port}
    routes:
      - name: orders-route
        paths: [/orders]
  - name: billing
    host: billing-pool
    retries: 0
    routes:
      - name: billing-route
        paths: [/billing]
        plugins:
          - name: key-auth
plugins:
  - name: prometheus
    config:
      per_consumer: true
      status_code_metrics: true
      latency_metrics: true
      bandwidth_metrics: true
      upstream_health_metrics: true
`;
    node = await startTollgate({ workers: 2, config });
    stopTraffic = false;
    traffic = drive();

    promDir = mkdtempSync(join(tmpdir(), 'tollgate-prometheus-'));
    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    writeFileSync(
      join(promDir, 'prometheus.yml'),
      `global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: tollgate
    static_configs:
      - targets: ['127.0.0.1:${node.statusPort}']
`,
    );
    prom = spawn('prometheus', [
      `--config.file=${join(promDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(promDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    prom.stdout!.on('data', (c: Buffer) => (promOutput += c.toString()));
    prom.stderr!.on('data', (c: Buffer) => (promOutput += c.toString()));
    await waitUntil(async () => {
      try {
        const res = await request(`${promUrl}/-/ready`);
        await res.body.text();
        return res.statusCode === 200;
      } catch {
        return false;
      }
    }, 60_000, `Prometheus ready (output: ${promOutput.slice(-2000)})`);
  });

  after(async () => {
    stopTraffic = true;
    await traffic?.catch(() => {});
    if (prom !== null && prom.exitCode === null) {
      const exited = new Promise((r) => prom!.once('exit', r));
      prom.kill('SIGTERM');
      await exited;
    }
    if (promDir !== '') rmSync(promDir, { recursive: true, force: true });
    await node?.stop();
    await good?.close();
    await bad?.close();
  });

  it('Prometheus scrapes the status listener', async () => {
    await waitUntil(async () => {
      const up = await promQuery('up{job="tollgate"}');
      return up.length === 1 && up[0].value[1] === '1';
    }, 60_000, 'the tollgate target up in Prometheus');
  });

  it('every query of the dashboard returns data', async () => {
    const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as DashboardQueries;
    // The fixture must be what the dashboard holds (regenerate it with test/support/grafana-dashboard.ts when not).
    if (existsSync(DASHBOARD)) assert.deepEqual(readDashboard(readFileSync(DASHBOARD, 'utf8')), fixture);
    const { queries, variables } = fixture;
    assert.ok(queries.length >= 40, `only ${queries.length} queries found in the dashboard`);
    assert.deepEqual(variables.map((v) => v.name).sort(), ['instance', 'route', 'service', 'upstream']);

    // Template variables first, as Grafana fills them: each must offer values.
    const values = new Map<string, string[]>();
    for (const v of variables) {
      let found: string[] = [];
      await waitUntil(async () => {
        const res = await request(`${promUrl}/api/v1/label/${v.label}/values?match[]=${encodeURIComponent(v.metric)}`);
        found = ((await res.body.json()) as { data: string[] }).data.filter((x) => x !== '');
        return found.length > 0;
      }, 60_000, `values of dashboard variable ${v.name} (label_values(${v.metric}, ${v.label}))`);
      values.set(v.name, found);
    }
    assert.deepEqual(values.get('service')!.sort(), ['billing', 'orders']);
    assert.deepEqual(values.get('route')!.sort(), ['billing-route', 'orders-route']);
    assert.deepEqual(values.get('upstream'), ['billing-pool']);
    assert.deepEqual(values.get('instance'), [`127.0.0.1:${node.statusPort}`]);

    const empty: string[] = [];
    for (const q of queries) {
      const expr = substitute(q.expr, values);
      let last: PromResult[] = [];
      try {
        await waitUntil(async () => {
          last = await promQuery(expr);
          return last.some((r) => Number.isFinite(Number(r.value[1])));
        }, 60_000, `${q.where}: ${expr}`);
      } catch {
        empty.push(`${q.where}: ${expr} -> ${JSON.stringify(last)}`);
      }
    }
    assert.deepEqual(empty, [], 'dashboard queries without data');
  });

  it('the node sums both workers: requests counted equal requests sent, one heap per process', async () => {
    stopTraffic = true;
    await traffic;
    traffic = null;
    // Each request's log phase runs after its answer; wait until the counts settle on what was sent.
    await waitUntil(async () => {
      const text = await scrapeText();
      let total = 0;
      for (const m of text.matchAll(/^kong_http_requests_total\{[^}]*\} (\d+)$/gm)) total += Number(m[1]);
      return total === sent;
    }, 30_000, `kong_http_requests_total summing to the ${sent} requests sent`);
    const text = await scrapeText();
    // The two workers and the supervisor, as GET /status lists them.
    assert.equal(text.match(/^kong_memory_workers_lua_vms_bytes\{/gm)?.length, 3);
    assert.match(text, /^kong_http_requests_total\{service="billing",route="billing-route",code="200",source="service",workspace="default",consumer="ann"\} \d+$/m);
    assert.match(text, /^kong_http_requests_total\{service="billing",route="billing-route",code="401",source="kong",workspace="default",consumer=""\} \d+$/m);
    assert.match(text, /^kong_upstream_target_health\{upstream="billing-pool",target="127\.0\.0\.1:\d+",address="127\.0\.0\.1:\d+",state="unhealthy",subsystem="http"\} 1$/m);
    assert.match(text, /^kong_datastore_reachable 1$/m);
    assert.match(text, /^# TYPE kong_nginx_connections_total gauge$/m);
    assert.ok(Number(/^kong_nginx_connections_total\{[^}]*state="total"\} (\d+)$/m.exec(text)![1]) >= sent);
  });

  it('a bad configuration is refused with a 400 naming the field; the flags default to false', async () => {
    const postConfig = async (doc: unknown) => {
      const res = await request(`${node.admin}/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) });
      return { status: res.statusCode, body: await res.body.text() };
    };
    const bad = await postConfig({ _format_version: '3.0', plugins: [{ name: 'prometheus', config: { status_code_metrics: 'yes' } }] });
    assert.equal(bad.status, 400, bad.body);
    assert.match(bad.body, /"status_code_metrics":"expected a boolean"/);
    const unknown = await postConfig({ _format_version: '3.0', plugins: [{ name: 'prometheus', config: { status_codes: true } }] });
    assert.equal(unknown.status, 400, unknown.body);
    assert.match(unknown.body, /"status_codes":"unknown field"/);
    const ok = await postConfig({ _format_version: '3.0', plugins: [{ name: 'prometheus' }] });
    assert.equal(ok.status, 201, ok.body);
    const plugins = await request(`${node.admin}/plugins`);
    const list = ((await plugins.body.json()) as { data: { name: string; config: Record<string, unknown> }[] }).data;
    assert.deepEqual(list.find((p) => p.name === 'prometheus')?.config, {
      per_consumer: false,
      status_code_metrics: false,
      ai_metrics: false,
      latency_metrics: false,
      bandwidth_metrics: false,
      upstream_health_metrics: false,
      wasm_metrics: false,
    });
  });

  it('without a prometheus instance only the node-level metrics are exported', async () => {
    const res = await request(`${node.admin}/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ _format_version: '3.0', services: [{ name: 'orders', url: `http://127.0.0.1:${good.port}`, routes: [{ name: 'orders-route', paths: ['/orders'] }] }] }),
    });
    await res.body.text();
    assert.equal(res.statusCode, 201);
    await waitUntil(async () => {
      const text = await scrapeText();
      return !/kong_http_requests_total/.test(text);
    }, 30_000, 'per-request families hidden');
    const text = await scrapeText();
    assert.doesNotMatch(text, /kong_(bandwidth_bytes|kong_latency_ms|upstream_latency_ms|request_latency_ms|upstream_target_health)/);
    assert.match(text, /^kong_nginx_connections_total\{/m);
    assert.match(text, /^kong_node_info\{/m);
  });
});
