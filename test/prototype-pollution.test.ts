/**
 * Prototype pollution through the Admin API, through a running `bin/tollgate`: the issue's
 * `curl :8001/consumers --data-urlencode '__proto__[x]=1' -d username=p` used to poison the supervisor so that
 * every later write was refused with `x: unknown field`. Such keys are now a 400 naming the field, in form,
 * multipart and JSON bodies, query strings, `POST /config` and declarative files, and later writes still work.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { runTollgate, startTollgate, type TollgateNode } from './helpers/tollgate.ts';

async function send(url: string, method: string, body: string | FormData | undefined, contentType?: string) {
  let payload: string | Buffer | undefined;
  if (body instanceof FormData) {
    // Encoded by the platform (undici's request takes only its own FormData).
    const encoded = new Response(body);
    contentType = encoded.headers.get('content-type')!;
    payload = Buffer.from(await encoded.arrayBuffer());
  } else payload = body;
  const res = await request(url, {
    method: method as 'POST',
    headers: contentType === undefined ? {} : { 'content-type': contentType },
    body: payload,
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>) };
}

describe('prototype keys in Admin API input (traditional mode, SQLite)', () => {
  let node: TollgateNode;
  before(async () => {
    node = await startTollgate({ env: { TOLLGATE_DATABASE: 'sqlite' } });
  });
  after(async () => {
    await node?.stop();
  });

  test("the issue's form body is a 400 naming the field, and later writes still work", async () => {
    const form = `${new URLSearchParams({ '__proto__[x]': '1' })}&username=p`;
    const poisoned = await send(`${node.admin}/consumers`, 'POST', form, 'application/x-www-form-urlencoded');
    assert.equal(poisoned.status, 400, JSON.stringify(poisoned.body));
    assert.equal(poisoned.body?.field, '__proto__[x]');
    assert.match(String(poisoned.body?.message), /__proto__/);
    const later = await send(`${node.admin}/consumers`, 'POST', 'username=after', 'application/x-www-form-urlencoded');
    assert.equal(later.status, 201, JSON.stringify(later.body));
    const service = await send(`${node.admin}/services`, 'POST', JSON.stringify({ name: 'svc', url: 'http://127.0.0.1:9' }), 'application/json');
    assert.equal(service.status, 201, JSON.stringify(service.body));
  });

  test('constructor/prototype in form names, multipart, JSON bodies and query strings: 400 naming the field', async () => {
    const cases: Array<{ body: string | FormData; type?: string; path?: string; field: string }> = [
      { body: 'username=c&constructor.prototype.x=1', type: 'application/x-www-form-urlencoded', field: 'constructor.prototype.x' },
      { body: 'username=c&tags[__proto__]=1', type: 'application/x-www-form-urlencoded', field: 'tags[__proto__]' },
      { body: JSON.stringify({ username: 'c' }).replace('}', ',"__proto__":{"x":1}}'), type: 'application/json', field: '__proto__' },
      { body: '{"username":"c","tags":[{"constructor":{"prototype":{"x":1}}}]}', type: 'application/json', field: 'tags[0].constructor' },
      { body: 'username=c', type: 'application/x-www-form-urlencoded', path: '/consumers?__proto__[x]=1', field: '__proto__[x]' },
    ];
    const multipart = new FormData();
    multipart.append('username', 'c');
    multipart.append('__proto__.x', '1');
    cases.push({ body: multipart, field: '__proto__.x' });
    for (const c of cases) {
      const r = await send(`${node.admin}${c.path ?? '/consumers'}`, 'POST', c.body, c.type);
      assert.equal(r.status, 400, `${c.field}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body?.field, c.field);
    }
    const later = await send(`${node.admin}/consumers`, 'POST', 'username=still-fine', 'application/x-www-form-urlencoded');
    assert.equal(later.status, 201, JSON.stringify(later.body));
    const list = await send(`${node.admin}/consumers`, 'GET', undefined);
    assert.deepEqual((list.body?.data as Array<{ username: string }>).map((c) => c.username).sort(), ['after', 'still-fine']);
  });
});

describe('prototype keys in declarative configuration (DB-less)', () => {
  let node: TollgateNode;
  before(async () => {
    node = await startTollgate({ config: '_format_version: "3.0"\n' });
  });
  after(async () => {
    await node?.stop();
  });

  test('POST /config refuses them (YAML, JSON, form) and keeps serving; the next /config loads', async () => {
    const yaml = '_format_version: "3.0"\nservices:\n  - name: s\n    url: http://127.0.0.1:9\n    __proto__:\n      x: 1\n';
    const viaYaml = await send(`${node.admin}/config`, 'POST', yaml, 'application/yaml');
    assert.equal(viaYaml.status, 400, JSON.stringify(viaYaml.body));
    assert.match(JSON.stringify(viaYaml.body), /services\[0\]\.__proto__/);
    const viaJson = await send(`${node.admin}/config`, 'POST', '{"_format_version":"3.0","__proto__":{"x":1}}', 'application/json');
    assert.equal(viaJson.status, 400, JSON.stringify(viaJson.body));
    const viaForm = await send(`${node.admin}/config`, 'POST', new URLSearchParams({ config: yaml }).toString(), 'application/x-www-form-urlencoded');
    assert.equal(viaForm.status, 400, JSON.stringify(viaForm.body));
    const good = await send(`${node.admin}/config`, 'POST', '_format_version: "3.0"\nconsumers:\n  - username: ok\n', 'application/yaml');
    assert.equal(good.status, 201, JSON.stringify(good.body));
  });

  test('config parse names the file and the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-proto-'));
    const file = join(dir, 'poisoned.yml');
    writeFileSync(file, '_format_version: "3.0"\nconsumers:\n  - username: a\n    constructor:\n      prototype: {x: 1}\n');
    const r = await runTollgate(['config', 'parse', file]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /consumers\[0\]\.constructor/);
    assert.ok(r.stderr.includes(file), r.stderr);
  });
});
