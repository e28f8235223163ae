/**
 * Node settings turned into the plain values proxy workers are started with (files read once, here, in the
 * supervisor): the `client_ssl` certificate and the DNS resolver settings.
 */
import type { DnsSettings } from '../balancer/dns-lookup.ts';
import { readPem } from '../config/value-parsers.ts';
import type { SettingValues } from '../config/settings-types.ts';
import { ensureDefaultCertificate } from '../tls/default-certificate.ts';

/** `client_ssl_cert`/`client_ssl_cert_key` when `client_ssl` is on; unset, the node's default certificate (as Kong's). */
export function clientSslCertificate(s: Pick<SettingValues, 'client_ssl' | 'client_ssl_cert' | 'client_ssl_cert_key' | 'prefix'>): { cert: string; key: string } | null {
  if (!s.client_ssl) return null;
  if (s.client_ssl_cert !== null && s.client_ssl_cert_key !== null) return { cert: readPem(s.client_ssl_cert), key: readPem(s.client_ssl_cert_key) };
  return ensureDefaultCertificate(s.prefix);
}

const DEFAULT_DNS_ORDER = 'LAST,SRV,A,CNAME';

/**
 * The resolver settings, or null when no name server is configured (the system resolver is then used).
 * Kong's `dns_*` names win; each newer `resolver_*` name applies where its `dns_*` twin is left at its default.
 */
export function dnsSettings(s: SettingValues): DnsSettings | null {
  const servers = s.dns_resolver.length > 0 ? s.dns_resolver : s.resolver_address;
  if (servers.length === 0) return null;
  return {
    servers: [...servers],
    hostsFile: s.dns_hostsfile !== '/etc/hosts' ? s.dns_hostsfile : s.resolver_hosts_file,
    order: s.dns_order.join(',') !== DEFAULT_DNS_ORDER ? [...s.dns_order] : [...s.resolver_family],
    validTtl: s.dns_valid_ttl ?? s.resolver_valid_ttl,
    staleTtl: s.dns_stale_ttl !== 3600 ? s.dns_stale_ttl : s.resolver_stale_ttl,
    notFoundTtl: s.dns_not_found_ttl !== 30 ? s.dns_not_found_ttl : s.resolver_error_ttl !== 1 ? s.resolver_error_ttl : 30,
    errorTtl: s.dns_error_ttl !== 1 ? s.dns_error_ttl : s.resolver_error_ttl,
    cacheSize: s.dns_cache_size !== 10000 ? s.dns_cache_size : s.resolver_lru_cache_size,
    noSync: s.dns_no_sync,
  };
}
