/**
 * The proxy's resolver against a real DNS server on loopback (UDP packets built by hand): caching by TTL,
 * `dns_valid_ttl`, stale answers while refreshing, negative and error caching, the LRU bound, joined queries
 * (`dns_no_sync`), the hosts file and the record order.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { LookupAddress } from 'node:dns';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDnsLookup, type DnsSettings, type LookupFunction } from './dns-lookup.ts';

interface Zone {
  /** name → [IPv4 addresses, TTL]; a missing name is NXDOMAIN. */
  a: Map<string, [string[], number]>;
  aaaa: Map<string, string[]>;
  /** Names answered with SERVFAIL. */
  fail: Set<string>;
  /** Milliseconds to wait before answering. */
  delay: number;
}

const zone: Zone = { a: new Map(), aaaa: new Map(), fail: new Set(), delay: 0 };
const queries: string[] = [];
let server: Socket;
let port = 0;
const dir = mkdtempSync(join(tmpdir(), 'tollgate-dns-'));

function answer(msg: Buffer): Buffer {
  let offset = 12;
  const labels: string[] = [];
  while (msg[offset] !== 0) {
    labels.push(msg.subarray(offset + 1, offset + 1 + msg[offset]).toString('ascii'));
    offset += msg[offset] + 1;
  }
  const name = labels.join('.').toLowerCase();
  const type = msg.readUInt16BE(offset + 1);
  queries.push(`${name}/${type === 1 ? 'A' : type === 28 ? 'AAAA' : type}`);
  const known = zone.a.has(name) || zone.aaaa.has(name);
  const records: Buffer[] = [];
  if (type === 1) {
    const [addresses, ttl] = zone.a.get(name) ?? [[], 0];
    for (const address of addresses) {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0);
      rr.writeUInt16BE(1, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(ttl, 6);
      rr.writeUInt16BE(4, 10);
      address.split('.').forEach((b, i) => rr.writeUInt8(Number(b), 12 + i));
      records.push(rr);
    }
  } else if (type === 28) {
    for (const _ of zone.aaaa.get(name) ?? []) {
      const rr = Buffer.alloc(28);
      rr.writeUInt16BE(0xc00c, 0);
      rr.writeUInt16BE(28, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(60, 6);
      rr.writeUInt16BE(16, 10);
      rr.writeUInt8(1, 27); // ::1
      records.push(rr);
    }
  }
  const header = Buffer.alloc(12);
  msg.copy(header, 0, 0, 2);
  const rcode = zone.fail.has(name) ? 2 : known ? 0 : 3;
  header.writeUInt16BE(0x8180 | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(rcode === 0 ? records.length : 0, 6);
  return Buffer.concat([header, msg.subarray(12, offset + 5), ...(rcode === 0 ? records : [])]);
}

before(async () => {
  server = createSocket('udp4');
  server.on('message', (msg, peer) => {
    const reply = answer(msg);
    setTimeout(() => server.send(reply, peer.port, peer.address), zone.delay);
  });
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function settings(overrides: Partial<DnsSettings> = {}): DnsSettings {
  return {
    servers: [`127.0.0.1:${port}`], hostsFile: '', order: ['LAST', 'SRV', 'A', 'CNAME'], validTtl: null, staleTtl: 3600,
    notFoundTtl: 30, errorTtl: 1, cacheSize: 10000, noSync: false, ...overrides,
  };
}

/** One lookup as net.connect makes it (all addresses). */
function resolveAll(lookup: LookupFunction, name: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    lookup(name, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses as LookupAddress[])));
  });
}

function count(name: string): number {
  return queries.filter((q) => q === name).length;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('answers are cached for their TTL', async () => {
  zone.a.set('cached.test', [['127.0.0.11'], 60]);
  const lookup = createDnsLookup(settings());
  assert.deepEqual(await resolveAll(lookup, 'cached.test'), [{ address: '127.0.0.11', family: 4 }]);
  await resolveAll(lookup, 'CACHED.test.');
  assert.equal(count('cached.test/A'), 1);
});

test('dns_valid_ttl replaces the TTL of every answer', async () => {
  zone.a.set('short.test', [['127.0.0.12'], 3600]);
  const lookup = createDnsLookup(settings({ validTtl: 0.05, staleTtl: 0 }));
  await resolveAll(lookup, 'short.test');
  await sleep(80);
  await resolveAll(lookup, 'short.test');
  assert.equal(count('short.test/A'), 2);
});

test('an expired answer is served stale while a fresh one is fetched (dns_stale_ttl)', async () => {
  zone.a.set('stale.test', [['127.0.0.13'], 3600]);
  const lookup = createDnsLookup(settings({ validTtl: 0.05, staleTtl: 60 }));
  await resolveAll(lookup, 'stale.test');
  zone.a.set('stale.test', [['127.0.0.14'], 3600]);
  await sleep(80);
  assert.deepEqual(await resolveAll(lookup, 'stale.test'), [{ address: '127.0.0.13', family: 4 }], 'the stale answer, at once');
  // The background refresh lands soon after (polled: a loaded machine may take a while).
  let latest = '';
  for (let i = 0; i < 100 && latest !== '127.0.0.14'; i++) {
    await sleep(20);
    latest = (await resolveAll(lookup, 'stale.test'))[0].address;
  }
  assert.equal(latest, '127.0.0.14', 'the refreshed answer');
});

test('a failed refresh keeps the stale addresses', async () => {
  zone.a.set('flaky.test', [['127.0.0.15'], 3600]);
  const lookup = createDnsLookup(settings({ validTtl: 0.05, staleTtl: 60 }));
  await resolveAll(lookup, 'flaky.test');
  zone.fail.add('flaky.test');
  await sleep(80);
  await resolveAll(lookup, 'flaky.test');
  await sleep(100);
  assert.deepEqual(await resolveAll(lookup, 'flaky.test'), [{ address: '127.0.0.15', family: 4 }]);
});

test('an unknown name is cached for dns_not_found_ttl, a server failure for dns_error_ttl', async () => {
  const lookup = createDnsLookup(settings({ notFoundTtl: 30, errorTtl: 0.05 }));
  await assert.rejects(resolveAll(lookup, 'missing.test'), { code: 'ENOTFOUND' });
  await assert.rejects(resolveAll(lookup, 'missing.test'), { code: 'ENOTFOUND' });
  assert.equal(count('missing.test/A'), 1);
  zone.a.set('broken.test', [['127.0.0.16'], 60]);
  zone.fail.add('broken.test');
  await assert.rejects(resolveAll(lookup, 'broken.test'));
  await assert.rejects(resolveAll(lookup, 'broken.test'));
  const failures = count('broken.test/A');
  await sleep(80);
  zone.fail.delete('broken.test');
  assert.deepEqual(await resolveAll(lookup, 'broken.test'), [{ address: '127.0.0.16', family: 4 }]);
  assert.equal(count('broken.test/A'), failures + 1, 'the failure was cached, then retried once it expired');
});

test('dns_cache_size bounds the cache: the least recently used name is queried again', async () => {
  zone.a.set('one.test', [['127.0.0.17'], 60]);
  zone.a.set('two.test', [['127.0.0.18'], 60]);
  const lookup = createDnsLookup(settings({ cacheSize: 1 }));
  await resolveAll(lookup, 'one.test');
  await resolveAll(lookup, 'two.test');
  await resolveAll(lookup, 'one.test');
  assert.equal(count('one.test/A'), 2);
});

test('concurrent misses share one query unless dns_no_sync is on', async () => {
  zone.a.set('joined.test', [['127.0.0.19'], 60]);
  zone.a.set('apart.test', [['127.0.0.20'], 60]);
  zone.delay = 50;
  try {
    const joined = createDnsLookup(settings());
    await Promise.all([resolveAll(joined, 'joined.test'), resolveAll(joined, 'joined.test'), resolveAll(joined, 'joined.test')]);
    assert.equal(count('joined.test/A'), 1);
    const apart = createDnsLookup(settings({ noSync: true }));
    await Promise.all([resolveAll(apart, 'apart.test'), resolveAll(apart, 'apart.test'), resolveAll(apart, 'apart.test')]);
    assert.equal(count('apart.test/A'), 3);
  } finally {
    zone.delay = 0;
  }
});

test('the hosts file answers first; the order of A and AAAA is followed; IP addresses need no query', async () => {
  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, '# comment\n10.1.2.3 local.test alias.test # trailing\n::1 six.test\n');
  zone.a.set('dual.test', [['127.0.0.21'], 60]);
  zone.aaaa.set('dual.test', ['::1']);
  const lookup = createDnsLookup(settings({ hostsFile: hosts, order: ['AAAA', 'A'] }));
  assert.deepEqual(await resolveAll(lookup, 'alias.test'), [{ address: '10.1.2.3', family: 4 }]);
  assert.equal(count('alias.test/A'), 0);
  assert.deepEqual(await resolveAll(lookup, 'dual.test'), [{ address: '::1', family: 6 }]);
  assert.deepEqual(await resolveAll(lookup, '192.0.2.1'), [{ address: '192.0.2.1', family: 4 }]);
  const single = await new Promise<[string, number]>((resolve, reject) => {
    lookup('local.test', {}, (err, address, family) => (err ? reject(err) : resolve([address as string, family ?? 0])));
  });
  assert.deepEqual(single, ['10.1.2.3', 4]);
});
