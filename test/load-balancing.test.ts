/**
 * Kong's balancing algorithms through bin/tollgate, against real upstream servers: consistent hashing on a
 * header and on a cookie, least-connections and latency. One worker, so that one set of counts is measured.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { request } from 'undici';
import { startTollgate, type TollgateNode } from './helpers/tollgate.ts';
import { echoHandler, startUpstream, type TestUpstream } from './helpers/upstream.ts';

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; server: string; setCookie: string | undefined }> {
  const res = await request(url, { headers });
  const text = await res.body.text();
  const setCookie = res.headers['set-cookie'];
  return {
    status: res.statusCode,
    server: res.statusCode === 200 ? (JSON.parse(text) as { server: string }).server : '',
    setCookie: Array.isArray(setCookie) ? setCookie[0] : setCookie,
  };
}


describe('load balancing algorithms', () => {
  const ups: TestUpstream[] = [];
  /** Requests the holding upstream has not answered yet. */
  const held: ServerResponse[] = [];
  let hold: TestUpstream;
  let quick: TestUpstream;
  let slow: TestUpstream;
  let fast: TestUpstream;
  let node: TollgateNode;
  let config: string;

  before(async () => {
    for (const name of ['a', 'b', 'c']) ups.push(await startUpstream(name));
    hold = await startUpstream('hold', (_req, res) => held.push(res));
    quick = await startUpstream('quick');
    slow = await startUpstream('slow', (req, res) => setTimeout(() => echoHandler('slow', req, res), 150));
    fast = await startUpstream('fast');
    const targets = (list: TestUpstream[]) => list.map((u) => `      - target: 127.0.0.1:${u.port}`).join('\n');
    config = `_format_version: "3.0"
upstreams:
  - name: by-header
    algorithm: consistent-hashing
    hash_on: header
    hash_on_header: X-User
    targets:
${targets(ups)}
  - name: by-cookie
    hash_on: cookie
    hash_on_cookie: sticky
    hash_on_cookie_path: /cookie
    targets:
${targets(ups)}
  - name: least
    algorithm: least-connections
    targets:
${targets([hold, quick])}
  - name: fastest
    algorithm: latency
    targets:
${targets([slow, fast])}
services:
  - name: header
    host: by-header
    routes: [{ name: header, paths: [/header] }]
  - name: cookie
    host: by-cookie
    routes: [{ name: cookie, paths: [/cookie] }]
  - name: least
    host: least
    read_timeout: 20000
    routes: [{ name: least, paths: [/least] }]
  - name: latency
    host: fastest
    routes: [{ name: latency, paths: [/latency] }]
`;
    node = await startTollgate({ workers: 1, config });
  });

  after(async () => {
    for (const res of held) res.end();
    await node?.stop();
    for (const u of [...ups, hold, quick, slow, fast]) await u?.close();
  });

  it('consistent-hashing on a header: each user always reaches the same target, users spread', async () => {
    const seen = new Map<string, Set<string>>();
    for (let round = 0; round < 3; round++) {
      for (let user = 0; user < 31; user++) {
        const r = await get(`${node.proxy}/header`, { 'x-user': `user-${user}` });
        assert.equal(r.status, 200);
        const set = seen.get(`user-${user}`) ?? new Set();
        set.add(r.server);
        seen.set(`user-${user}`, set);
      }
    }
    for (const [user, servers] of seen) assert.equal(servers.size, 1, `${user} reached ${[...servers].join(', ')}`);
    const used = new Set([...seen.values()].map((s) => [...s][0]));
    assert.equal(used.size, 3, `31 users spread over ${[...used].join(', ')}`);
  });

  it('consistent-hashing on a cookie: a client without it gets one, and then sticks', async () => {
    const first = await get(`${node.proxy}/cookie`);
    assert.equal(first.status, 200);
    assert.match(first.setCookie ?? '', /^sticky=[0-9a-f-]{36}; Path=\/cookie; SameSite=Lax; HttpOnly$/);
    const cookie = first.setCookie!.split(';')[0];
    for (let k = 0; k < 10; k++) {
      const r = await get(`${node.proxy}/cookie`, { cookie });
      assert.equal(r.server, first.server);
      assert.equal(r.setCookie, undefined, 'no new cookie once the client has one');
    }
    const servers = new Set<string>();
    for (let k = 0; k < 30; k++) servers.add((await get(`${node.proxy}/cookie`)).server);
    assert.ok(servers.size >= 2, 'new clients are spread');
  });

  it('least-connections: a target busy with unanswered requests gets no more', async () => {
    const pending: Promise<unknown>[] = [];
    for (let k = 0; k < 10; k++) {
      // Each request is either answered (the quick target) or held, before the next one is sent.
      const heldBefore = held.length;
      const answered = get(`${node.proxy}/least`);
      pending.push(answered);
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (held.length > heldBefore) done();
        }, 5);
        const done = () => {
          clearInterval(poll);
          resolve();
        };
        answered.then(done, done);
      });
    }
    // Round-robin would have sent five of the ten to the holding target.
    assert.ok(hold.count <= 1, `the holding target got ${hold.count} requests`);
    assert.ok(quick.count >= 9, `the quick target got ${quick.count}`);
    for (const res of held.splice(0)) echoHandler('hold', res.req, res);
    await Promise.all(pending);
  });

  it('latency: the faster target takes the traffic once both are measured', async () => {
    for (let k = 0; k < 30; k++) assert.equal((await get(`${node.proxy}/latency`)).status, 200);
    // Round-robin would have sent fifteen to each. One each to measure both, and a little room for a fast
    // answer slowed down by a loaded machine.
    assert.ok(slow.count <= 5, `the slow target got ${slow.count} of 30`);
    assert.ok(fast.count >= 25, `the fast target got ${fast.count} of 30`);
  });

  it('a new configuration that leaves an upstream unchanged keeps its balancer and what it measured', async () => {
    const before = slow.count;
    const extra = `  - name: extra\n    url: http://127.0.0.1:${fast.port}\n    routes: [{ name: extra, paths: [/extra] }]\n`;
    const res = await request(`${node.admin}/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ config: config + extra }),
    });
    assert.equal(res.statusCode, 201, await res.body.text());
    assert.equal((await get(`${node.proxy}/extra`)).status, 200);
    // A rebuilt latency balancer would know neither target and try the slow one again.
    for (let k = 0; k < 10; k++) assert.equal((await get(`${node.proxy}/latency`)).status, 200);
    assert.equal(slow.count, before, 'the slow target stayed avoided');
  });
});
