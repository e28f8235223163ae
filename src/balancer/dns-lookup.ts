/**
 * The proxy's own resolver for upstream host names when the node names its name servers (`dns_resolver` or
 * Kong's newer `resolver_address`): the hosts file first, then A/AAAA queries to those servers, answers
 * cached per name with Kong's TTL rules (`dns_valid_ttl`, `dns_stale_ttl`, `dns_not_found_ttl`,
 * `dns_error_ttl`, `dns_cache_size`, `dns_no_sync`). Without configured servers the proxy keeps Node's
 * `dns.lookup` (the system's getaddrinfo), which is what Kong does with resolv.conf and /etc/hosts.
 * The result is a `lookup` function for `net.connect`, so every connection of the pool goes through it.
 */
import type { LookupAddress, LookupOptions } from 'node:dns';
import { Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

export interface DnsSettings {
  /** `ip[:port]` name servers, as `dns.Resolver#setServers` takes them. */
  servers: readonly string[];
  /** Hosts file read once; '' for none. */
  hostsFile: string;
  /** Record types in order (`A`, `AAAA`; others are ignored: connections need addresses). */
  order: readonly string[];
  /** Seconds every answer is kept instead of its TTL; null uses the answer's TTL. */
  validTtl: number | null;
  staleTtl: number;
  notFoundTtl: number;
  errorTtl: number;
  cacheSize: number;
  noSync: boolean;
}

export type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type LookupFunction = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

interface Answer {
  /** Addresses, or null for a failed or empty answer. */
  addresses: LookupAddress[] | null;
  code: string;
  /** ms timestamps: fresh until `expires`, usable (addresses only) until `staleUntil`. */
  expires: number;
  staleUntil: number;
}

/** `name → addresses` from a hosts file; a missing or unreadable file gives none. */
export function readHostsFile(path: string): Map<string, LookupAddress[]> {
  const names = new Map<string, LookupAddress[]>();
  let text = '';
  try {
    text = path === '' ? '' : readFileSync(path, 'utf8');
  } catch {
    return names;
  }
  for (const line of text.split('\n')) {
    const fields = line.replace(/#.*/, '').trim().split(/\s+/);
    const family = isIP(fields[0] ?? '');
    if (family === 0) continue;
    for (const name of fields.slice(1)) {
      const key = name.toLowerCase();
      const list = names.get(key) ?? [];
      list.push({ address: fields[0], family });
      names.set(key, list);
    }
  }
  return names;
}

const NOT_FOUND = new Set(['ENOTFOUND', 'ENODATA', 'NOTFOUND', 'NODATA']);

/** A `net.connect` lookup over the configured name servers and hosts file. */
export function createDnsLookup(settings: DnsSettings): LookupFunction {
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([...settings.servers]);
  const hosts = readHostsFile(settings.hostsFile);
  const types = settings.order.filter((t) => t === 'A' || t === 'AAAA');
  if (types.length === 0) types.push('A');
  const cache = new Map<string, Answer>();
  const running = new Map<string, Promise<Answer>>();
  let turn = 0;

  const remember = (name: string, answer: Answer): Answer => {
    cache.delete(name);
    cache.set(name, answer);
    // A Map iterates in insertion order: the first key is the least recently used.
    if (cache.size > settings.cacheSize) cache.delete(cache.keys().next().value as string);
    return answer;
  };

  const query = async (name: string): Promise<Answer> => {
    let code = 'ENOTFOUND';
    for (const type of types) {
      try {
        const records = type === 'A' ? await resolver.resolve4(name, { ttl: true }) : await resolver.resolve6(name, { ttl: true });
        if (records.length === 0) continue;
        const ttl = settings.validTtl ?? Math.min(...records.map((r) => r.ttl));
        const now = Date.now();
        const family = type === 'A' ? 4 : 6;
        return remember(name, {
          addresses: records.map((r) => ({ address: r.address, family })),
          code: '',
          expires: now + ttl * 1000,
          staleUntil: now + (ttl + settings.staleTtl) * 1000,
        });
      } catch (err) {
        const errCode = (err as NodeJS.ErrnoException).code ?? 'ESERVFAIL';
        if (!NOT_FOUND.has(errCode)) code = errCode;
      }
    }
    const ttl = NOT_FOUND.has(code) ? settings.notFoundTtl : settings.errorTtl;
    const previous = cache.get(name);
    const now = Date.now();
    // A failed refresh keeps serving the stale addresses until their stale time runs out (Kong's resilience rule).
    if (previous !== undefined && previous.addresses !== null && previous.staleUntil > now) return previous;
    return remember(name, { addresses: null, code, expires: now + ttl * 1000, staleUntil: now + ttl * 1000 });
  };

  const refresh = (name: string): Promise<Answer> => {
    if (settings.noSync) return query(name);
    let pending = running.get(name);
    if (pending === undefined) {
      pending = query(name).finally(() => running.delete(name));
      running.set(name, pending);
    }
    return pending;
  };

  const reply = (hostname: string, addresses: readonly LookupAddress[], options: LookupOptions, callback: LookupCallback): void => {
    const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
    if (wanted.length === 0) {
      callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }), '');
      return;
    }
    // Successive connections take the records in turn, as Kong balances over a record set.
    const start = turn++ % wanted.length;
    const ordered = [...wanted.slice(start), ...wanted.slice(0, start)];
    if (options.all === true) callback(null, ordered);
    else callback(null, ordered[0].address, ordered[0].family);
  };

  return (hostname, options, callback) => {
    const family = isIP(hostname);
    if (family !== 0) {
      reply(hostname, [{ address: hostname, family }], options, callback);
      return;
    }
    const name = hostname.toLowerCase().replace(/\.$/, '');
    const fromHosts = hosts.get(name);
    if (fromHosts !== undefined) {
      reply(hostname, fromHosts, options, callback);
      return;
    }
    const now = Date.now();
    const cached = cache.get(name);
    const answer = (a: Answer): void => {
      if (a.addresses !== null) reply(hostname, a.addresses, options, callback);
      else callback(Object.assign(new Error(`DNS lookup of ${hostname} failed (${a.code})`), { code: a.code, hostname }), '');
    };
    if (cached !== undefined && cached.expires > now) {
      answer(cached);
      return;
    }
    if (cached !== undefined && cached.addresses !== null && cached.staleUntil > now) {
      // Stale but usable: answer now, refresh in the background.
      answer(cached);
      void refresh(name);
      return;
    }
    refresh(name).then(answer, (err: Error) => callback(Object.assign(err, { code: 'ESERVFAIL' }), ''));
  };
}
