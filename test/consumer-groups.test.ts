/**
 * Consumer groups through real `bin/tollgate` nodes: a declarative file in decK's shape (`consumers[].groups`,
 * `consumer_groups[].consumers` and `.plugins`) with group-scoped rate-limiting — Kong's precedence (consumer
 * over group over global; the first group by name), `limit_by = consumer-group` shared by the members, not
 * applied to a non-member — then the Admin API on SQLite: CRUD and Kong's errors, memberships from both sides,
 * group plugins taking effect on the proxy, cascades, and a db_export loaded again by a DB-less node.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';

type Body = Record<string, unknown>;

async function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Body; text: string }> {
  const res = await request(`${base}${path}`, {
    method: method as 'GET',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text === '' ? {} : (JSON.parse(text) as Body), text };
}

async function proxied(node: TollgateNode, key: string): Promise<{ status: number; limit: string | undefined }> {
  const res = await request(`${node.proxy}/api`, { headers: { apikey: key } });
  await res.body.text();
  const limit = res.headers['x-ratelimit-limit-hour'];
  return { status: res.statusCode, limit: typeof limit === 'string' ? limit : undefined };
}

/** Statuses of `n` requests one after the other. */
async function statuses(node: TollgateNode, key: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await proxied(node, key)).status);
  return out;
}

describe('consumer groups in a declarative file', () => {
  let upstream: TestUpstream;
  let node: TollgateNode;
  before(async () => {
    upstream = await startUpstream('cg');
    node = await startTollgate({
      config: `_format_version: "3.0"
services:
  - name: svc
    url: http://127.0.0.1:${upstream.port}
    routes:
      - name: api
        paths: [/api]
        plugins:
          - name: key-auth
plugins:
  - name: rate-limiting
    config: { hour: 100, limit_by: consumer }
consumer_groups:
  - name: gold
    consumers:
      - username: bob
    plugins:
      - name: rate-limiting
        config: { hour: 3, limit_by: consumer-group }
  - name: aaa-first
    plugins:
      - name: rate-limiting
        config: { hour: 7, limit_by: consumer }
  - name: empty
consumers:
  - username: alice
    groups: [{ name: gold }]
    keyauth_credentials: [{ key: alice-key }]
  - username: bob
    keyauth_credentials: [{ key: bob-key }]
  - username: carol
    keyauth_credentials: [{ key: carol-key }]
  - username: dave
    groups: [{ name: gold }, { name: aaa-first }]
    keyauth_credentials: [{ key: dave-key }]
  - username: erin
    groups: [{ name: gold }]
    keyauth_credentials: [{ key: erin-key }]
    plugins:
      - name: rate-limiting
        config: { hour: 11, limit_by: consumer }
`,
    });
  });
  after(async () => {
    await node?.stop();
    await upstream?.close();
  });

  test('the groups, their members and plugins are loaded and served by the Admin API', async () => {
    const groups = await call(node.admin, 'GET', '/consumer_groups');
    assert.equal(groups.status, 200, groups.text);
    assert.deepEqual((groups.body.data as Body[]).map((g) => g.name).sort(), ['aaa-first', 'empty', 'gold']);
    const gold = await call(node.admin, 'GET', '/consumer_groups/gold');
    assert.equal(gold.status, 200, gold.text);
    assert.equal((gold.body.consumer_group as Body).name, 'gold');
    assert.deepEqual((gold.body.consumers as Body[]).map((c) => c.username).sort(), ['alice', 'bob', 'dave', 'erin']);
    assert.deepEqual((gold.body.plugins as Body[]).map((p) => p.name), ['rate-limiting']);
    const dave = await call(node.admin, 'GET', '/consumers/dave/consumer_groups');
    assert.deepEqual((dave.body.data as Body[]).map((g) => g.name).sort(), ['aaa-first', 'gold']);
  });

  test("precedence: a consumer's own plugin, then its first group by name, then the global one", async () => {
    assert.equal((await proxied(node, 'carol-key')).limit, '100', 'a non-member gets the global plugin');
    assert.equal((await proxied(node, 'erin-key')).limit, '11', "the consumer's own plugin beats its group's");
    assert.equal((await proxied(node, 'dave-key')).limit, '7', "of two groups with a plugin, the first by name ('aaa-first' < 'gold')");
  });

  test('limit_by consumer-group: the members share one count; a non-member is not limited by it', async () => {
    const first = await proxied(node, 'alice-key');
    assert.equal(first.status, 200);
    assert.equal(first.limit, '3');
    assert.deepEqual(await statuses(node, 'bob-key', 2), [200, 200], 'bob counts in the same group window');
    assert.deepEqual(await statuses(node, 'alice-key', 1), [429]);
    assert.deepEqual(await statuses(node, 'bob-key', 1), [429]);
    assert.deepEqual(await statuses(node, 'carol-key', 4), [200, 200, 200, 200]);
  });
});
