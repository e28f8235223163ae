/**
 * Services: the upstream a route proxies to (protocol, host, port, path, timeouts, TLS settings).
 * `url` is an input shorthand for protocol/host/port/path.
 */
import { defineEntity, typedefs, parseUrl, type EntityType } from '../schema/index.ts';

const nonZeroTimeout = { type: 'integer', between: [1, 2 ** 31 - 2], default: 60000 } as const;

/** Protocols whose services have no path; TLS settings only apply to https and tls. */
const PATHLESS_PROTOCOLS = ['tcp', 'tls', 'udp', 'grpc', 'grpcs'] as const;
const TLS_PROTOCOLS = ['https', 'tls'] as const;

/** Splits `url` into service fields the way Kong does (port from the scheme when absent). */
function expandUrl(url: string): Record<string, unknown> | null {
  const parsed = parseUrl(url);
  if (!parsed) return null;
  const numericPort = parsed.port !== undefined && /^\s*\d+\s*$/.test(parsed.port) ? Number(parsed.port) : undefined;
  const protocol = parsed.scheme ?? (numericPort === 80 ? 'http' : numericPort === 443 ? 'https' : 'http');
  let port: unknown = numericPort ?? parsed.port;
  if (port === undefined) port = protocol === 'https' ? 443 : 80;
  return { protocol, host: parsed.host ?? null, port, path: parsed.path ?? null };
}

export const servicesSchema = defineEntity({
  name: 'services',
  primary_key: ['id'],
  endpoint_key: 'name',
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.auto_timestamp_s,
    updated_at: typedefs.auto_timestamp_s,
    name: typedefs.utf8_name,
    retries: {
      type: 'integer',
      default: 5,
      between: [0, 32767],
      description: 'How many times to retry a failed proxy attempt.',
    },
    protocol: { ...typedefs.protocol, required: true, default: 'http' },
    host: { ...typedefs.host, required: true },
    port: { ...typedefs.port, required: true, default: 80 },
    path: typedefs.path,
    connect_timeout: { ...nonZeroTimeout, description: 'Milliseconds to establish a connection upstream.' },
    write_timeout: { ...nonZeroTimeout, description: 'Milliseconds between two writes upstream.' },
    read_timeout: { ...nonZeroTimeout, description: 'Milliseconds between two reads from upstream.' },
    tags: typedefs.tags,
    client_certificate: {
      type: 'foreign',
      reference: 'certificates',
      description: 'Certificate presented to the upstream as client certificate.',
    },
    tls_verify: { type: 'boolean', description: 'Verify the upstream TLS certificate (null: node default).' },
    tls_verify_depth: {
      type: 'integer',
      default: null,
      between: [0, 64],
      description: 'Maximum certificate chain depth when verifying the upstream.',
    },
    ca_certificates: {
      type: 'array',
      elements: { type: 'string', uuid: true },
      description: 'Ids of CA certificates trusted when verifying the upstream.',
    },
    enabled: { type: 'boolean', required: true, default: true, description: 'Whether the service is active.' },
  },
  entity_checks: [
    {
      conditional: {
        if_field: 'protocol',
        if_match: { one_of: PATHLESS_PROTOCOLS },
        then_field: 'path',
        then_match: { eq: null },
      },
    },
    {
      conditional: {
        if_field: 'protocol',
        if_match: { not_one_of: TLS_PROTOCOLS },
        then_field: 'client_certificate',
        then_match: { eq: null },
      },
    },
    {
      conditional: {
        if_field: 'protocol',
        if_match: { not_one_of: TLS_PROTOCOLS },
        then_field: 'tls_verify',
        then_match: { eq: null },
      },
    },
    {
      conditional: {
        if_field: 'protocol',
        if_match: { not_one_of: TLS_PROTOCOLS },
        then_field: 'tls_verify_depth',
        then_match: { eq: null },
      },
    },
    {
      conditional: {
        if_field: 'protocol',
        if_match: { not_one_of: TLS_PROTOCOLS },
        then_field: 'ca_certificates',
        then_match: { eq: null },
      },
    },
  ],
  shorthand_fields: {
    // A null url has nothing to expand: the user's error on `url`, not a crash in the expansion.
    url: { type: 'string', ne: null, err: 'expected a string', func: expandUrl },
  },
});

export type Service = EntityType<typeof servicesSchema>;
