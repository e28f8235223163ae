/** Store suite: paging, tag filters, foreign filters, the /tags listing. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ListOptions, Row, Store } from '../types.ts';
import { storeError } from './crud-cases.ts';
import { consumer, route, service } from './fixtures.ts';
import type { StoreHarness } from './harness.ts';

/** Every row of a collection, page by page; also returns the page sizes seen. */
async function allPages(store: Store, options: ListOptions): Promise<{ ids: string[]; sizes: number[]; offsets: (string | null)[] }> {
  const ids: string[] = [];
  const sizes: number[] = [];
  const offsets: (string | null)[] = [];
  let offset: string | null = null;
  do {
    const page = await store.list('consumers', { ...options, offset });
    ids.push(...page.data.map((row) => row.id));
    sizes.push(page.data.length);
    offsets.push(page.offset);
    offset = page.offset;
  } while (offset !== null && sizes.length < 100);
  return { ids, sizes, offsets };
}

function sortedIds(rows: readonly Row[]): string[] {
  return rows.map((row) => row.id).sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : Buffer.from(a) > Buffer.from(b) ? 1 : 0));
}

export function pagingCases(harness: () => StoreHarness): void {
  it('list pages by id order with size and offset; the last page has no offset', async () => {
    const store = await harness().fresh();
    const rows = await store.transaction(async (tx) => {
      const inserted: Row[] = [];
      for (let i = 0; i < 25; i++) inserted.push(await tx.insert('consumers', consumer(`user-${i}`)));
      return inserted;
    });
    const expected = sortedIds(rows);
    const byTen = await allPages(store, { size: 10 });
    assert.deepEqual(byTen.sizes, [10, 10, 5]);
    assert.deepEqual(byTen.ids, expected);
    assert.equal(byTen.offsets[2], null);
    // Kong's token: base64 of the JSON array holding the last id of the page.
    assert.deepEqual(JSON.parse(Buffer.from(byTen.offsets[0] ?? '', 'base64').toString()), [expected[9]]);
    // A page ending exactly at the last row has no offset (size + 1 rows are fetched to know).
    const byFive = await allPages(store, { size: 5 });
    assert.deepEqual(byFive.sizes, [5, 5, 5, 5, 5]);
    assert.deepEqual(byFive.ids, expected);
    const whole = await store.list('consumers', { size: 1000 });
    assert.equal(whole.offset, null);
    assert.deepEqual(whole.data.map((row) => row.id), expected);
  });

  it('a bad offset is an invalid_offset error with Kong\'s message; a bad size is refused', async () => {
    const store = await harness().fresh();
    const notBase64 = await storeError(store.list('services', { size: 10, offset: '!!' }), 'invalid_offset');
    assert.equal(notBase64.message, "'!!' is not a valid offset: bad base64 encoding");
    const notJson = Buffer.from('not json').toString('base64');
    const badJson = await storeError(store.list('services', { size: 10, offset: notJson }), 'invalid_offset');
    assert.equal(badJson.message, `'${notJson}' is not a valid offset: bad json encoding`);
    assert.deepEqual(badJson.fields, { offset: notJson });
    await assert.rejects(store.list('services', { size: 0 }), RangeError);
    await assert.rejects(store.list('services', { size: 1001 }), RangeError);
  });

  it('tag filters: `and` needs every tag, `or` any of them; filtered lists page too', async () => {
    const store = await harness().fresh();
    const tagged = async (name: string, tags: string[] | null) => store.insert('consumers', consumer(name, { tags }));
    const a = await tagged('a', ['red']);
    const ab = await tagged('ab', ['red', 'blue']);
    const b = await tagged('b', ['blue']);
    await tagged('c', ['green']);
    await tagged('none', null);
    const names = async (options: ListOptions) => (await store.list('consumers', options)).data.map((r) => r.username).sort();
    assert.deepEqual(await names({ size: 10, tags: { mode: 'and', tags: ['red', 'blue'] } }), ['ab']);
    assert.deepEqual(await names({ size: 10, tags: { mode: 'and', tags: ['red'] } }), ['a', 'ab']);
    assert.deepEqual(await names({ size: 10, tags: { mode: 'or', tags: ['red', 'blue'] } }), ['a', 'ab', 'b']);
    assert.deepEqual(await names({ size: 10, tags: { mode: 'or', tags: ['nothing'] } }), []);
    const paged = await allPages(store, { size: 2, tags: { mode: 'or', tags: ['red', 'blue'] } });
    assert.deepEqual(paged.sizes, [2, 1]);
    assert.deepEqual(paged.ids, sortedIds([a, ab, b]));
  });

  it('a foreign filter lists the children of one parent, paged', async () => {
    const store = await harness().fresh();
    const [one, two] = [await store.insert('services', service('one')), await store.insert('services', service('two'))];
    const ofOne: Row[] = [];
    for (let i = 0; i < 3; i++) ofOne.push(await store.insert('routes', route(one, { name: `one-${i}` })));
    await store.insert('routes', route(two, { name: 'two-0' }));
    const first = await store.list('routes', { size: 2, foreign: { field: 'service', id: one.id } });
    assert.equal(first.data.length, 2);
    assert.notEqual(first.offset, null);
    const rest = await store.list('routes', { size: 2, foreign: { field: 'service', id: one.id }, offset: first.offset });
    assert.equal(rest.offset, null);
    assert.deepEqual([...first.data, ...rest.data].map((r) => r.id), sortedIds(ofOne));
    assert.deepEqual((await store.list('routes', { size: 10, foreign: { field: 'service', id: two.id } })).data.map((r) => r.name), ['two-0']);
    await assert.rejects(store.list('routes', { size: 10, foreign: { field: 'host', id: one.id } }), /no foreign key 'host'/);
  });

  it('listTags gives every tag with its entity, by entity id then tag position; paged and filtered by tag', async () => {
    const store = await harness().fresh();
    const svc = await store.insert('services', service('tagged', { tags: ['t1', 't2'] }));
    const person = await store.insert('consumers', consumer('tagged', { tags: ['t2'] }));
    await store.insert('consumers', consumer('untagged'));
    const expected = [
      ...['t1', 't2'].map((tag) => ({ entity_name: 'services', entity_id: svc.id, tag })),
      { entity_name: 'consumers', entity_id: person.id, tag: 't2' },
    ].sort((x, y) => (x.entity_id < y.entity_id ? -1 : x.entity_id > y.entity_id ? 1 : 0));
    const all = await store.listTags({ size: 100 });
    assert.deepEqual(all, { data: expected, offset: null });
    const seen = [];
    let offset: string | null = null;
    do {
      const page = await store.listTags({ size: 1, offset });
      seen.push(...page.data);
      offset = page.offset;
    } while (offset !== null && seen.length < 10);
    assert.deepEqual(seen, expected, 'one tag per page, the two tags of one entity on two pages');
    const t2 = await store.listTags({ size: 100, tag: 't2' });
    assert.deepEqual(t2.data, expected.filter((row) => row.tag === 't2'));
    const t2First = await store.listTags({ size: 1, tag: 't2' });
    assert.equal(t2First.data.length, 1);
    const t2Next = await store.listTags({ size: 1, tag: 't2', offset: t2First.offset });
    assert.deepEqual([...t2First.data, ...t2Next.data], t2.data);
    assert.equal(t2Next.offset, null);
    await storeError(store.listTags({ size: 10, offset: '%%' }), 'invalid_offset');
  });
}
