import { readPem } from '../config/index.ts';
import type { Settings } from '../config/settings-types.ts';
import type { ClusterTlsSettings } from './tls.ts';

/** The cluster TLS material of a node, read once at start (certificate files are read here, not per connection). */
export function clusterTlsFromSettings(s: Settings): ClusterTlsSettings {
  if (s.cluster_cert === null || s.cluster_cert_key === null) throw new Error('cluster_cert and cluster_cert_key are required in hybrid mode');
  const serverName = s.cluster_server_name;
  return {
    mode: s.cluster_mtls,
    cert: readPem(s.cluster_cert),
    key: readPem(s.cluster_cert_key),
    caCert: s.cluster_ca_cert === null ? null : readPem(s.cluster_ca_cert),
    serverName: serverName === null || serverName === '' ? null : serverName,
    allowedCommonNames: s.cluster_allowed_common_names,
    ocsp: s.cluster_ocsp,
  };
}

/** `host:port` (IPv6 in brackets) split for dialing. */
export function splitEndpoint(endpoint: string): { host: string; port: number } {
  const colon = endpoint.lastIndexOf(':');
  let host = endpoint.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port: Number(endpoint.slice(colon + 1)) };
}
