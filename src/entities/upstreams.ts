/**
 * Upstreams: a named pool of targets with a load-balancing algorithm and health checks. A service whose
 * host equals an upstream name is balanced over that upstream's targets.
 */
import { defineEntity, parseHost, typedefs, type EntityType } from '../schema/index.ts';
import { healthchecksField } from './upstream-healthchecks.ts';

const HASH_INPUTS = ['none', 'consumer', 'ip', 'header', 'cookie', 'path', 'query_arg', 'uri_capture'] as const;
const hashOn = { type: 'string', default: 'none', one_of: HASH_INPUTS } as const;
const simpleParam = { type: 'string', len_min: 1 } as const;

function validateUpstreamName(name: string): string | null {
  const parsed = parseHost(name);
  if (!parsed.ok) return `Invalid name ('${name}'); must be a valid hostname`;
  if (parsed.value.kind !== 'name') return `Invalid name ('${name}'); no ip addresses allowed`;
  if (parsed.value.port !== null) return `Invalid name ('${name}'); no port allowed`;
  return null;
}

/** `hash_fallback` must be one of these when `hash_on` is the key (no falling back to the same input). */
function fallbackWhenHashingOn(hashOnValue: string, allowed: readonly string[]) {
  return {
    conditional: {
      if_field: 'hash_on',
      if_match: { match: `^${hashOnValue}$` },
      then_field: 'hash_fallback',
      then_match: { one_of: allowed },
    },
  } as const;
}

function requiredWhen(ifField: string, value: string, thenField: string) {
  return {
    conditional: {
      if_field: ifField,
      if_match: { match: `^${value}$` },
      then_field: thenField,
      then_match: { required: true },
    },
  } as const;
}

export const upstreamsSchema = defineEntity({
  name: 'upstreams',
  primary_key: ['id'],
  endpoint_key: 'name',
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.auto_timestamp_s,
    name: {
      type: 'string',
      required: true,
      unique: true,
      custom_validator: validateUpstreamName,
      description: 'A hostname; services whose host equals it are balanced over this upstream.',
    },
    updated_at: typedefs.auto_timestamp_s,
    algorithm: {
      type: 'string',
      default: 'round-robin',
      one_of: ['consistent-hashing', 'least-connections', 'round-robin', 'latency'],
      description: 'Load-balancing algorithm.',
    },
    hash_on: hashOn,
    hash_fallback: hashOn,
    hash_on_header: typedefs.header_name,
    hash_fallback_header: typedefs.header_name,
    hash_on_cookie: typedefs.cookie_name,
    hash_on_cookie_path: { ...typedefs.path, default: '/' },
    hash_on_query_arg: simpleParam,
    hash_fallback_query_arg: simpleParam,
    hash_on_uri_capture: simpleParam,
    hash_fallback_uri_capture: simpleParam,
    slots: {
      type: 'integer',
      default: 10000,
      between: [10, 2 ** 16],
      description: 'Slots in the consistent-hashing ring.',
    },
    healthchecks: healthchecksField,
    tags: typedefs.tags,
    host_header: typedefs.host_with_optional_port,
    client_certificate: {
      type: 'foreign',
      reference: 'certificates',
      description: 'Certificate presented to targets as client certificate.',
    },
    use_srv_name: { type: 'boolean', default: false, description: 'Use the SRV record name as upstream host.' },
  },
  entity_checks: [
    requiredWhen('hash_on', 'header', 'hash_on_header'),
    requiredWhen('hash_fallback', 'header', 'hash_fallback_header'),
    requiredWhen('hash_on', 'cookie', 'hash_on_cookie'),
    requiredWhen('hash_fallback', 'cookie', 'hash_on_cookie'),
    fallbackWhenHashingOn('none', ['none']),
    fallbackWhenHashingOn('cookie', ['none']),
    fallbackWhenHashingOn('consumer', ['none', 'ip', 'header', 'cookie', 'path', 'query_arg', 'uri_capture']),
    fallbackWhenHashingOn('ip', ['none', 'consumer', 'header', 'cookie', 'path', 'query_arg', 'uri_capture']),
    fallbackWhenHashingOn('path', ['none', 'consumer', 'header', 'cookie', 'query_arg', 'ip', 'uri_capture']),
    { distinct: ['hash_on_header', 'hash_fallback_header'] },
    requiredWhen('hash_on', 'query_arg', 'hash_on_query_arg'),
    requiredWhen('hash_fallback', 'query_arg', 'hash_fallback_query_arg'),
    { distinct: ['hash_on_query_arg', 'hash_fallback_query_arg'] },
    requiredWhen('hash_on', 'uri_capture', 'hash_on_uri_capture'),
    requiredWhen('hash_fallback', 'uri_capture', 'hash_fallback_uri_capture'),
    { distinct: ['hash_on_uri_capture', 'hash_fallback_uri_capture'] },
  ],
  // Setting an algorithm or a hash input adjusts the other, so old configurations keep working.
  shorthand_fields: {
    algorithm: {
      type: 'string',
      func: (value: string) =>
        value === 'least-connections' || value === 'latency' ? { algorithm: value, hash_on: null } : { algorithm: value },
    },
    hash_on: {
      type: 'string',
      func: (value: string | null) => {
        if (value === null) return { hash_on: 'none' };
        if (value === 'none') return { hash_on: value, algorithm: 'round-robin' };
        return { hash_on: value, algorithm: 'consistent-hashing' };
      },
    },
  },
});

export type Upstream = EntityType<typeof upstreamsSchema>;
