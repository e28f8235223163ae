/**
 * Targets: the addresses (`host:port`) an upstream balances over, with a weight. The target text is
 * normalised when loaded (`host:8000` when no port is given, IPv6 in brackets).
 */
import { defineEntity, formatHost, parseHost, typedefs, type EntityType } from '../schema/index.ts';

/** Port used when a target names none. */
export const DEFAULT_TARGET_PORT = 8000;

function validateTarget(target: string): string | null {
  return parseHost(target).ok ? null : `Invalid target ('${target}'); not a valid hostname or ip address`;
}

/** `host:port` form of a valid target text (default port 8000, IPv4 without leading zeros, IPv6 expanded). */
export function normalizeTarget(target: string): string {
  const parsed = parseHost(target);
  return parsed.ok ? formatHost(parsed.value, DEFAULT_TARGET_PORT) : target;
}

export const targetsSchema = defineEntity({
  name: 'targets',
  primary_key: ['id'],
  cache_key: ['upstream', 'target'],
  endpoint_key: 'target',
  workspaceable: true,
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.auto_timestamp_ms,
    updated_at: typedefs.auto_timestamp_ms,
    upstream: {
      type: 'foreign',
      reference: 'upstreams',
      required: true,
      on_delete: 'cascade',
      description: 'The upstream this target belongs to.',
    },
    target: {
      type: 'string',
      required: true,
      custom_validator: validateTarget,
      description: 'Address as host:port (port 8000 when omitted).',
    },
    weight: {
      type: 'integer',
      default: 100,
      between: [0, 65535],
      description: 'Share of traffic relative to the other targets; 0 disables the target.',
    },
    tags: typedefs.tags,
  },
});

export type Target = EntityType<typeof targetsSchema>;
