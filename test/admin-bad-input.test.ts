/**
 * A bad Admin API request is the client's error, never a 500: `{"url": null}` (JSON, form `url=`, and inside
 * `POST /config`), the targets `//` and `//services` (the latter is `/services` with slashes merged, never `/`),
 * and NUL characters in paths and bodies on PostgreSQL, which cannot store them. Then, for the class: a seeded
 * run of malformed bodies against every collection, through running nodes on SQLite and PostgreSQL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as rawRequest } from 'node:http';
import { request } from 'undici';
import { runTollgate, startTollgate, type TollgateNode } from './helpers/tollgate.ts';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.ts';
import { seededRandom } from './support/random.ts';

async function send(base: string, method: string, path: string, body?: string, contentType = 'application/json') {
  const res = await request(`${base}${path}`, {
    method: method as 'POST',
    headers: body === undefined ? {} : { 'content-type': contentType },
    body,
  });
  const text = await res.body.text();
  let parsed: Record<string, unknown> | null = null;
  try {
    parsed = text === '' ? null : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    parsed = { raw: text };
  }
  return { status: res.statusCode, body: parsed };
}

/** A request with the target exactly as written (fetch and undici would normalise `//`). */
function rawGet(port: number, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = rawRequest({ host: '127.0.0.1', port, path: target, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const random = seededRandom;

const ODD_VALUES: unknown[] = [null, '', 'a\u0000b', -1, 1e308, 2 ** 53 + 1, 1.5, true, [], {}, [null], [{}], { id: null }, { id: 'not-a-uuid' }, { name: null }, 'x'.repeat(5000), ['a\u0000'], { a: { b: { c: [] } } }];
const FIELDS = ['name', 'url', 'host', 'port', 'path', 'protocol', 'paths', 'hosts', 'methods', 'headers', 'service', 'route', 'consumer', 'tags', 'username', 'custom_id', 'key', 'target', 'weight', 'upstream', 'config', 'enabled', 'cert', 'key', 'snis', 'certificate', 'algorithm', 'healthchecks', 'retries', 'connect_timeout', 'id', 'ttl', 'created_at', 'strip_path', 'regex_priority', 'sources', 'destinations', 'client_certificate', 'ca_certificates'];
const COLLECTIONS = ['services', 'routes', 'consumers', 'upstreams', 'plugins', 'certificates', 'snis', 'ca_certificates', 'key-auths', 'keyauth_credentials'];

async function badInputChecks(node: TollgateNode): Promise<void> {
  // The instances.
  for (const body of ['{"url": null}', '{"name": "n1", "url": null}']) {
    const r = await send(node.admin, 'POST', '/services', body);
    assert.equal(r.status, 400, `${body}: ${JSON.stringify(r.body)}`);
    assert.equal((r.body?.fields as Record<string, unknown>)?.url, 'expected a string');
  }
  const form = await send(node.admin, 'POST', '/services', 'name=n2&url=', 'application/x-www-form-urlencoded');
  assert.equal(form.status, 400, JSON.stringify(form.body));
  assert.ok('url' in (form.body?.fields as Record<string, unknown>), JSON.stringify(form.body));
  const nul = await send(node.admin, 'POST', '/services', '{"name": "a\\u0000b", "url": "http://127.0.0.1:9"}');
  assert.equal(nul.status, 400, JSON.stringify(nul.body));
  assert.equal(nul.body?.field, 'name');

  const root = await rawGet(node.adminPort, '//');
  assert.equal(root.status, 200, root.body);
  const services = await rawGet(node.adminPort, '//services');
  assert.equal(services.status, 200, services.body);
  assert.ok('data' in JSON.parse(services.body), `//services is served as /services, not /: ${services.body.slice(0, 80)}`);
  for (const target of ['/services/a%00b', '/services/%00/routes', '/consumers/%00', '/routes/x%00']) {
    const r = await rawGet(node.adminPort, target);
    assert.equal(r.status, 404, `${target}: ${r.body}`);
  }
  const patchNul = await send(node.admin, 'PATCH', '/services/a%00b', '{"retries": 1}');
  assert.equal(patchNul.status, 404, JSON.stringify(patchNul.body));

  // The class: malformed bodies on every collection, seeded so a failure reproduces.
  const rnd = random(0x9a11);
  const failures: string[] = [];
  for (let i = 0; i < 300; i++) {
    const collection = COLLECTIONS[Math.floor(rnd() * COLLECTIONS.length)];
    const body: Record<string, unknown> = {};
    const n = 1 + Math.floor(rnd() * 4);
    for (let j = 0; j < n; j++) body[FIELDS[Math.floor(rnd() * FIELDS.length)]] = ODD_VALUES[Math.floor(rnd() * ODD_VALUES.length)];
    const method = rnd() < 0.6 ? 'POST' : rnd() < 0.5 ? 'PUT' : 'PATCH';
    const path = method === 'POST' ? `/${collection}` : `/${collection}/fuzz-${i % 7}`;
    const text = JSON.stringify(body);
    const r = await send(node.admin, method, path, text);
    if (r.status >= 500) failures.push(`${method} ${path} ${text.slice(0, 200)} -> ${r.status} ${JSON.stringify(r.body)}`);
    else if (r.status === 400) assert.ok(r.body?.fields !== undefined || r.body?.field !== undefined || typeof r.body?.message === 'string');
  }
  assert.deepEqual(failures, []);
  const fine = await send(node.admin, 'POST', '/services', '{"name": "after-fuzz", "url": "http://127.0.0.1:9"}');
  assert.equal(fine.status, 201, JSON.stringify(fine.body));
}

describe('bad Admin API input is a 400, never a 500', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
    const boot = await runTollgate(['migrations', 'bootstrap'], db.env);
    assert.equal(boot.code, 0, boot.stderr);
  });
  after(async () => {
    await db?.drop();
  });

  test('on SQLite', async () => {
    const node = await startTollgate({ env: { TOLLGATE_DATABASE: 'sqlite' } });
    try {
      await badInputChecks(node);
    } finally {
      await node.stop();
    }
  });

  test('on PostgreSQL', async () => {
    const node = await startTollgate({ env: db.env });
    try {
      await badInputChecks(node);
    } finally {
      await node.stop();
    }
  });

  test('POST /config with a null url is a 400 naming the field (DB-less)', async () => {
    const node = await startTollgate({ config: '_format_version: "3.0"\n' });
    try {
      const r = await send(node.admin, 'POST', '/config', JSON.stringify({ _format_version: '3.0', services: [{ name: 's', url: null }] }));
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.match(JSON.stringify(r.body), /"url":"expected a string"/);
      const yaml = await send(node.admin, 'POST', '/config', '_format_version: "3.0"\nservices:\n  - name: s\n    url: ~\n', 'application/yaml');
      assert.equal(yaml.status, 400, JSON.stringify(yaml.body));
      const good = await send(node.admin, 'POST', '/config', '_format_version: "3.0"\nservices:\n  - name: s\n    url: http://127.0.0.1:9\n', 'application/yaml');
      assert.equal(good.status, 201, JSON.stringify(good.body));
    } finally {
      await node.stop();
    }
  });
});
