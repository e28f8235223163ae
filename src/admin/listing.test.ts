/**
 * Listing through the Admin API on a SQLite store: paging, `next` links, tag filters, nested lists,
 * `/tags`, and the consumers' `custom_id` search.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestAdmin, type TestAdmin } from './test-support.ts';

describe('listing', () => {
  let admin: TestAdmin;
  before(async () => {
    admin = await startTestAdmin();
    const tags = [['team-a'], ['team-b', 'shared'], ['team-a', 'shared'], ['team-c'], null];
    for (const [i, t] of tags.entries()) {
      const r = await admin.call('POST', '/services', { json: { name: `svc-${i}`, host: `s${i}.test`, tags: t } });
      assert.equal(r.status, 201, r.text);
    }
    for (let i = 0; i < 3; i++) await admin.call('POST', '/services/svc-0/routes', { json: { paths: [`/r${i}`], tags: ['route-tag'] } });
  });
  after(async () => {
    await admin.close();
  });

  test('an empty collection', async () => {
    const r = await admin.call('GET', '/consumers');
    assert.deepEqual(r.body, { data: [], next: null });
  });

  test('pages follow next to the end, in id order; an offset only while rows remain', async () => {
    const ids: string[] = [];
    let path: string | null = '/services?size=2';
    let pages = 0;
    while (path !== null) {
      const r = await admin.call('GET', path);
      assert.equal(r.status, 200);
      ids.push(...r.body.data.map((s: { id: string }) => s.id));
      if (r.body.next !== null) {
        assert.equal(r.body.next, `/services?offset=${encodeURIComponent(r.body.offset)}&size=2`);
      } else {
        assert.equal(r.body.offset, undefined);
      }
      path = r.body.next;
      pages++;
    }
    assert.equal(pages, 3);
    assert.equal(ids.length, 5);
    assert.deepEqual(ids, [...ids].sort());
    const exact = await admin.call('GET', '/services?size=5');
    assert.equal(exact.body.next, null, 'a page ending at the last row has no next');
    const all = await admin.call('GET', '/services');
    assert.equal(all.body.data.length, 5);
  });

  test('tags: a,b is AND, a/b is OR; next repeats tags and size', async () => {
    const and = await admin.call('GET', '/services?tags=team-a,shared');
    assert.deepEqual(and.body.data.map((s: { name: string }) => s.name), ['svc-2']);
    const or = await admin.call('GET', '/services?tags=team-a/team-c');
    assert.deepEqual(or.body.data.map((s: { name: string }) => s.name).sort(), ['svc-0', 'svc-2', 'svc-3']);
    const paged = await admin.call('GET', '/services?tags=team-a/team-c&size=1');
    assert.equal(paged.body.next, `/services?offset=${encodeURIComponent(paged.body.offset)}&tags=team-a%2Fteam-c&size=1`);
    const second = await admin.call('GET', paged.body.next);
    assert.equal(second.body.data.length, 1);
    assert.notEqual(second.body.data[0].id, paged.body.data[0].id);
  });

  test('nested lists: scoped to the parent, tags ignored, next without size', async () => {
    const all = await admin.call('GET', '/services/svc-0/routes?tags=nothing-has-this');
    assert.equal(all.body.data.length, 3);
    const first = await admin.call('GET', '/services/svc-0/routes?size=2');
    assert.equal(first.body.data.length, 2);
    assert.equal(first.body.next, `/services/svc-0/routes?offset=${encodeURIComponent(first.body.offset)}`);
    const rest = await admin.call('GET', `${first.body.next}&size=2`);
    assert.equal(rest.body.data.length, 1);
    assert.equal(rest.body.next, null);
    assert.deepEqual((await admin.call('GET', '/services/svc-1/routes')).body, { data: [], next: null });
  });

  test('/tags lists every tag with its entity; /tags/{tag} one tag', async () => {
    const all = await admin.call('GET', '/tags');
    assert.equal(all.status, 200);
    assert.equal(all.body.data.length, 6 + 3);
    const row = all.body.data.find((t: { tag: string }) => t.tag === 'team-c');
    assert.equal(row.entity_name, 'services');
    assert.match(row.entity_id, /^[0-9a-f-]{36}$/);
    const shared = await admin.call('GET', '/tags/shared');
    assert.deepEqual(shared.body.data.map((t: { tag: string }) => t.tag), ['shared', 'shared']);
    const paged = await admin.call('GET', '/tags/route-tag?size=2');
    assert.equal(paged.body.data.length, 2);
    assert.equal(paged.body.next, `/tags/route-tag?offset=${encodeURIComponent(paged.body.offset)}`);
    const next = await admin.call('GET', `${paged.body.next}&size=2`);
    assert.equal(next.body.data.length, 1);
    const top = await admin.call('GET', '/tags?size=4');
    assert.equal(top.body.next, `/tags?offset=${encodeURIComponent(top.body.offset)}&size=4`);
    const bad = await admin.call('GET', '/tags/%ff');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 10);
    assert.match(bad.body.message, /invalid utf-8/);
  });

  test('consumers by custom_id: an exact search as a list', async () => {
    await admin.call('POST', '/consumers', { json: { username: 'c1', custom_id: 'ext-1' } });
    const hit = await admin.call('GET', '/consumers?custom_id=ext-1');
    assert.deepEqual(hit.body.data.map((c: { username: string }) => c.username), ['c1']);
    assert.equal(hit.body.next, null);
    assert.deepEqual((await admin.call('GET', '/consumers?custom_id=none')).body, { data: [], next: null });
    const empty = await admin.call('GET', '/consumers?custom_id=');
    assert.deepEqual([empty.status, empty.body], [400, { message: 'custom_id must be an unempty string' }]);
  });
});
