/**
 * Consumer groups through real `bin/tollgate` nodes: a declarative file in decK's shape (`consumers[].groups`,
 * `consumer_groups[].consumers` and `.plugins`) with group-scoped rate-limiting — Kong's precedence (consumer
 * over group over global; the first group by name), `limit_by = consumer-group` shared by the members, not
 * applied to a non-member — then the Admin API on SQLite: CRUD and Kong's errors, memberships from both sides,
 * group plugins taking effect on the proxy, cascades, and a db_export loaded again by a DB-less node; last, a
 * control plane pushing groups, memberships and group plugins (and a membership's removal) to a data plane.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { admin, certsFor, makeHybridCerts, startControlPlane, startDataPlane, type ControlPlaneNode, type HybridCerts } from './helpers/hybrid.ts';
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
      - name: by-address
        paths: [/by-address]
        plugins:
          - name: key-auth
          - name: rate-limiting
            config: { hour: 2, limit_by: consumer-group }
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
  - username: frank
    keyauth_credentials: [{ key: frank-key }]
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

  test('limit_by consumer-group on a plugin not scoped to a group counts by the client address, as Kong does', async () => {
    const at = async (key: string) => {
      const res = await request(`${node.proxy}/by-address`, { headers: { apikey: key } });
      await res.body.text();
      return res.statusCode;
    };
    // Two consumers in no group, from one address: one count.
    assert.deepEqual([await at('carol-key'), await at('frank-key'), await at('carol-key')], [200, 200, 429]);
  });
});

describe('consumer groups through the Admin API (SQLite), and db_export', () => {
  let upstream: TestUpstream;
  let node: TollgateNode;
  let prefix: string;
  const env = (p: string) => ({ TOLLGATE_DATABASE: 'sqlite', TOLLGATE_PREFIX: p });
  const ids: Record<string, string> = {};
  before(async () => {
    upstream = await startUpstream('cg-db');
    prefix = mkdtempSync(join(tmpdir(), 'tg-cgroups-'));
    node = await startTollgate({ env: env(prefix), prefix, keepPrefix: true });
    const admin = (method: string, path: string, body?: unknown) => call(node.admin, method, path, body);
    assert.equal((await admin('POST', '/services', { name: 'svc', url: `http://127.0.0.1:${upstream.port}` })).status, 201);
    assert.equal((await admin('POST', '/services/svc/routes', { name: 'api', paths: ['/api'] })).status, 201);
    assert.equal((await admin('POST', '/routes/api/plugins', { name: 'key-auth' })).status, 201);
    for (const name of ['alice', 'bob', 'carol']) {
      const consumer = await admin('POST', '/consumers', { username: name });
      assert.equal(consumer.status, 201, consumer.text);
      ids[name] = consumer.body.id as string;
      assert.equal((await admin('POST', `/consumers/${name}/key-auth`, { key: `${name}-key` })).status, 201);
    }
  });
  after(async () => {
    await node?.stop();
    await upstream?.close();
    rmSync(prefix, { recursive: true, force: true });
  });

  test('CRUD, pagination and Kong\'s errors: 400 naming the field, 404, 409 on a taken name', async () => {
    const gold = await call(node.admin, 'POST', '/consumer_groups', { name: 'gold' });
    assert.equal(gold.status, 201, gold.text);
    assert.deepEqual(Object.keys(gold.body).sort(), ['created_at', 'id', 'name', 'tags', 'updated_at']);
    ids.gold = gold.body.id as string;
    assert.equal((await call(node.admin, 'PUT', '/consumer_groups/silver', { tags: ['metal'] })).status, 200);

    const taken = await call(node.admin, 'POST', '/consumer_groups', { name: 'gold' });
    assert.equal(taken.status, 409, taken.text);
    assert.equal(taken.body.name, 'unique constraint violation');
    assert.deepEqual(taken.body.fields, { name: 'gold' });
    const missing = await call(node.admin, 'POST', '/consumer_groups', {});
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body.fields, { name: 'required field missing' });
    const wrong = await call(node.admin, 'POST', '/consumer_groups', { name: 'x', colour: 'red' });
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.body.fields, { colour: 'unknown field' });

    const read = await call(node.admin, 'GET', '/consumer_groups/gold');
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, { consumer_group: gold.body, plugins: [], consumers: [] });
    assert.deepEqual(Object.keys((await call(node.admin, 'GET', '/consumer_groups/gold?list_consumers=false')).body).sort(), ['consumer_group', 'plugins']);
    const unknown = await call(node.admin, 'GET', '/consumer_groups/nope');
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.body, { message: "Group 'nope' not found" });

    const patched = await call(node.admin, 'PATCH', `/consumer_groups/${ids.gold}`, { tags: ['premium'] });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(patched.body.tags, ['premium']);

    const first = await call(node.admin, 'GET', '/consumer_groups?size=1');
    assert.equal((first.body.data as Body[]).length, 1);
    assert.match(first.body.next as string, /^\/consumer_groups\?offset=.+&size=1$/);
    const second = await call(node.admin, 'GET', first.body.next as string);
    assert.equal((second.body.data as Body[]).length, 1);
    assert.equal(second.body.next, null);
    assert.deepEqual(((await call(node.admin, 'GET', '/consumer_groups?tags=metal')).body.data as Body[]).map((g) => g.name), ['silver']);
  });

  test('memberships from both sides, with Kong\'s bodies and errors', async () => {
    const added = await call(node.admin, 'POST', '/consumer_groups/gold/consumers', { consumer: ['alice', ids.bob] });
    assert.equal(added.status, 201, added.text);
    assert.equal((added.body.consumer_group as Body).id, ids.gold);
    assert.deepEqual((added.body.consumers as Body[]).map((c) => c.username), ['alice', 'bob']);

    const again = await call(node.admin, 'POST', '/consumer_groups/gold/consumers', { consumer: 'alice' });
    assert.equal(again.status, 409);
    assert.deepEqual(again.body, { message: `Consumer 'alice' already in group '${ids.gold}'` });
    assert.deepEqual((await call(node.admin, 'POST', '/consumer_groups/gold/consumers', { consumer: 'nobody' })).body, { message: "Consumer 'nobody' not found" });
    const none = await call(node.admin, 'POST', '/consumer_groups/gold/consumers', {});
    assert.equal(none.status, 400);
    assert.deepEqual(none.body, { message: 'must provide consumer' });
    assert.equal((await call(node.admin, 'POST', '/consumer_groups/nope/consumers', { consumer: 'alice' })).status, 404);

    const members = await call(node.admin, 'GET', '/consumer_groups/gold/consumers');
    assert.equal(members.status, 200);
    assert.deepEqual((members.body.data as Body[]).map((c) => c.username).sort(), ['alice', 'bob']);
    assert.equal(members.body.next, null);
    const page = await call(node.admin, 'GET', '/consumer_groups/gold/consumers?size=1');
    assert.equal((page.body.data as Body[]).length, 1);
    assert.ok(typeof page.body.next === 'string');

    const joined = await call(node.admin, 'POST', '/consumers/carol/consumer_groups', { group: 'silver' });
    assert.equal(joined.status, 201, joined.text);
    assert.deepEqual((joined.body.consumer_groups as Body[]).map((g) => g.name), ['silver']);
    assert.equal((joined.body.consumer as Body).username, 'carol');
    assert.deepEqual((await call(node.admin, 'POST', '/consumers/carol/consumer_groups', { group: 'silver' })).body, {
      message: "Consumer 'carol' already in group 'silver'",
    });
    assert.deepEqual((await call(node.admin, 'POST', '/consumers/carol/consumer_groups', { group: 'nope' })).body, { message: "Group 'nope' not found" });
    assert.deepEqual((await call(node.admin, 'POST', '/consumers/carol/consumer_groups', {})).body, { message: 'must provide group' });
    assert.deepEqual((await call(node.admin, 'GET', '/consumers/nobody/consumer_groups')).body, { message: "Consumer 'nobody' not found" });

    const aliceGroups = await call(node.admin, 'GET', '/consumers/alice/consumer_groups');
    assert.deepEqual((aliceGroups.body.data as Body[]).map((g) => [g.name, g.consumers_count]), [['gold', 2]]);
    const counted = await call(node.admin, 'GET', '/consumer_groups?counter=true');
    assert.deepEqual(Object.fromEntries((counted.body.data as Body[]).map((g) => [g.name, g.consumers_count])), { gold: 2, silver: 1 });

    assert.deepEqual((await call(node.admin, 'GET', '/consumer_groups/gold/consumers/alice')).body.consumer, (added.body.consumers as Body[])[0]);
    assert.deepEqual((await call(node.admin, 'GET', '/consumers/alice/consumer_groups/gold')).body.consumer_group, (await call(node.admin, 'GET', '/consumer_groups/gold')).body.consumer_group);
    const notMember = await call(node.admin, 'DELETE', '/consumer_groups/gold/consumers/carol');
    assert.equal(notMember.status, 404);
    assert.deepEqual(notMember.body, { message: `Consumer '${ids.carol}' not found in Group '${ids.gold}'` });
    assert.equal((await call(node.admin, 'DELETE', '/consumers/carol/consumer_groups/silver')).status, 204);
    assert.deepEqual((await call(node.admin, 'DELETE', '/consumers/carol/consumer_groups')).body, { message: `Consumer '${ids.carol}' not in group` });
    assert.equal((await call(node.admin, 'POST', '/consumers/carol/consumer_groups', { group: ['silver'] })).status, 201);
  });

  test('a group-scoped plugin applies to members only; limit_by consumer-group is shared by them', async () => {
    const plugin = await call(node.admin, 'POST', '/consumer_groups/gold/plugins', { name: 'rate-limiting', config: { hour: 2, limit_by: 'consumer-group' } });
    assert.equal(plugin.status, 201, plugin.text);
    assert.deepEqual(plugin.body.consumer_group, { id: ids.gold });
    assert.equal(plugin.body.consumer, null);
    const both = await call(node.admin, 'POST', '/plugins', { name: 'rate-limiting', consumer: { id: ids.alice }, consumer_group: { id: ids.gold }, config: { hour: 5 } });
    assert.equal(both.status, 400, both.text);
    assert.deepEqual((both.body.fields as Body)['@entity'], ["only one or none of these fields must be set: 'consumer', 'consumer_group'"]);
    const listed = await call(node.admin, 'GET', '/consumer_groups/gold/plugins');
    assert.deepEqual((listed.body.data as Body[]).map((p) => p.id), [plugin.body.id]);
    assert.deepEqual((await call(node.admin, 'GET', `/plugins/${plugin.body.id as string}/consumer_group`)).body.name, 'gold');

    await waitUntil(async () => (await proxied(node, 'alice-key')).limit === '2', 20_000, 'the group plugin on the proxy');
    // alice spent one request above; bob shares the group's count.
    assert.deepEqual(await statuses(node, 'bob-key', 2), [200, 429]);
    assert.deepEqual(await statuses(node, 'alice-key', 1), [429]);
    const carol = await proxied(node, 'carol-key');
    assert.equal(carol.status, 200);
    assert.equal(carol.limit, undefined, 'a non-member runs without the group plugin');
  });

  test('deleting a group deletes its memberships and plugins', async () => {
    const extra = await call(node.admin, 'POST', '/consumer_groups', { name: 'short-lived' });
    await call(node.admin, 'POST', '/consumer_groups/short-lived/consumers', { consumer: 'carol' });
    const plugin = await call(node.admin, 'POST', '/consumer_groups/short-lived/plugins', { name: 'rate-limiting', config: { hour: 9 } });
    assert.equal(plugin.status, 201);
    assert.equal((await call(node.admin, 'DELETE', '/consumer_groups/short-lived')).status, 204);
    assert.equal((await call(node.admin, 'GET', `/plugins/${plugin.body.id as string}`)).status, 404);
    assert.deepEqual(((await call(node.admin, 'GET', '/consumers/carol/consumer_groups')).body.data as Body[]).map((g) => g.name), ['silver']);
    assert.equal((await call(node.admin, 'GET', `/consumer_groups/${extra.body.id as string}`)).status, 404);
  });

  test('db_export writes groups, memberships and group plugins; a DB-less node loads the file as they were', async () => {
    await node.stop();
    const exported = await runTollgate(['config', 'db_export'], env(prefix));
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /^consumer_groups:/m);
    assert.match(exported.stdout, /^consumer_group_consumers:/m);
    const dbless = await startTollgate({ config: exported.stdout });
    try {
      const gold = await call(dbless.admin, 'GET', '/consumer_groups/gold');
      assert.equal(gold.status, 200, gold.text);
      assert.equal((gold.body.consumer_group as Body).id, ids.gold);
      assert.deepEqual((gold.body.consumers as Body[]).map((c) => c.username).sort(), ['alice', 'bob']);
      assert.deepEqual((gold.body.plugins as Body[]).map((p) => p.name), ['rate-limiting']);
      const again = await call(dbless.admin, 'GET', '/config');
      assert.equal(again.status, 200);
      const config = (again.body.config as string) ?? again.text;
      for (const line of exported.stdout.split('\n').filter((l) => /^consumer_group/.test(l))) assert.ok(config.includes(line), line);
      // The group's limit is counted afresh on this node.
      assert.deepEqual(await statuses(dbless, 'alice-key', 3), [200, 200, 429]);
      assert.equal((await proxied(dbless, 'carol-key')).status, 200);
    } finally {
      await dbless.stop();
    }
  });
});

describe('consumer groups in hybrid mode', () => {
  let certs: HybridCerts;
  let upstream: TestUpstream;
  let cp: ControlPlaneNode;
  let dp: TollgateNode;
  before(async () => {
    certs = makeHybridCerts();
    upstream = await startUpstream('cg-hybrid');
    cp = await startControlPlane(certsFor('shared', certs, 'cp'));
    dp = await startDataPlane(certsFor('shared', certs, 'dp1'), [cp]);
  });
  after(async () => {
    await dp?.stop('SIGKILL');
    await cp?.stop('SIGKILL');
    await upstream?.close();
    if (certs !== undefined) rmSync(certs.pki.dir, { recursive: true, force: true });
  });

  test('the data plane gets groups, memberships and group plugins, and a removed membership', async () => {
    await admin(cp, 'POST', '/services', { name: 'svc', url: `http://127.0.0.1:${upstream.port}` });
    await admin(cp, 'POST', '/services/svc/routes', { name: 'api', paths: ['/api'] });
    await admin(cp, 'POST', '/routes/api/plugins', { name: 'key-auth' });
    for (const name of ['alice', 'bob']) {
      await admin(cp, 'POST', '/consumers', { username: name });
      await admin(cp, 'POST', `/consumers/${name}/key-auth`, { key: `${name}-key` });
    }
    await admin(cp, 'POST', '/consumer_groups', { name: 'gold' });
    await admin(cp, 'POST', '/consumer_groups/gold/consumers', { consumer: ['alice', 'bob'] });
    await admin(cp, 'POST', '/consumer_groups/gold/plugins', { name: 'rate-limiting', config: { hour: 50, limit_by: 'consumer-group' } });
    await waitUntil(async () => (await proxied(dp, 'bob-key')).limit === '50', 20_000, 'the group plugin on the data plane');
    assert.equal((await proxied(dp, 'alice-key')).limit, '50');

    await admin(cp, 'DELETE', '/consumer_groups/gold/consumers/bob');
    await waitUntil(async () => (await proxied(dp, 'bob-key')).limit === undefined, 20_000, 'bob out of the group on the data plane');
    assert.equal((await proxied(dp, 'alice-key')).limit, '50', 'alice is still a member');
  });
});
