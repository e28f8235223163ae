/**
 * The `redis` record shared by rate-limiting and response-ratelimiting: Kong 3.x's fields (host, port,
 * timeouts, AUTH, database, TLS) plus Kong Enterprise's Sentinel and Cluster fields, the deprecated flat
 * `redis_*` shorthands, and the checks tying them to `policy = redis`. One definition, so both plugins accept
 * exactly the same configuration.
 */
import { typedefs } from '../../schema/index.ts';

/** Kong Enterprise's roles a Sentinel may hand out. */
export const SENTINEL_ROLES = ['master', 'slave', 'any'] as const;

export const redisRecord = {
  type: 'record',
  description: 'Redis configuration (policy = redis): one server (host/port), Sentinel (sentinel_*) or Cluster (cluster_*).',
  fields: {
    host: typedefs.host,
    port: { ...typedefs.port, default: 6379 },
    timeout: { ...typedefs.timeout, default: 2000 },
    connect_timeout: { ...typedefs.timeout, description: 'Connect timeout in ms (default: timeout).' },
    send_timeout: { ...typedefs.timeout, description: 'Send timeout in ms (default: timeout).' },
    read_timeout: { ...typedefs.timeout, description: 'Read timeout in ms (default: timeout).' },
    username: { type: 'string', referenceable: true, description: 'Redis ACL username (Redis 6+); a vault reference is accepted.' },
    password: {
      type: 'string',
      len_min: 0,
      encrypted: true,
      referenceable: true,
      description: 'Password for AUTH; unset sends none. A vault reference is accepted.',
    },
    database: { type: 'integer', default: 0, description: 'The Redis database number (not with cluster_nodes).' },
    ssl: { type: 'boolean', required: false, default: false, description: 'Connect with TLS.' },
    ssl_verify: { type: 'boolean', required: false, default: false, description: "Verify the server's certificate." },
    server_name: { ...typedefs.sni, required: false, description: 'SNI server name for TLS.' },
    sentinel_master: { type: 'string', description: 'Sentinel: the name of the monitored master.' },
    sentinel_role: { type: 'string', one_of: SENTINEL_ROLES, description: "Sentinel: the role to connect to ('master' for rate limiting, which writes)." },
    sentinel_nodes: {
      type: 'array',
      len_min: 1,
      description: 'Sentinel: the sentinels to ask for the master, as {host, port}.',
      elements: {
        type: 'record',
        fields: {
          host: { ...typedefs.host, required: true, default: '127.0.0.1' },
          port: { ...typedefs.port, default: 6379 },
        },
      },
    },
    sentinel_username: { type: 'string', referenceable: true, description: 'Sentinel: ACL username for the sentinels (Redis 6.2+); a vault reference is accepted.' },
    sentinel_password: {
      type: 'string',
      len_min: 0,
      encrypted: true,
      referenceable: true,
      description: 'Sentinel: password for the sentinels. A vault reference is accepted.',
    },
    cluster_nodes: {
      type: 'array',
      len_min: 1,
      description: 'Cluster: seed nodes of the Redis Cluster, as {ip, port}.',
      elements: {
        type: 'record',
        fields: {
          ip: { ...typedefs.host, required: true, default: '127.0.0.1' },
          port: { ...typedefs.port, default: 6379 },
        },
      },
    },
    cluster_max_redirections: { type: 'integer', default: 5, description: 'Cluster: how many MOVED/ASK redirections a command may follow.' },
  },
  entity_checks: [
    { mutually_exclusive_sets: { set1: ['sentinel_master', 'sentinel_role', 'sentinel_nodes'], set2: ['host'] } },
    { mutually_exclusive_sets: { set1: ['sentinel_master', 'sentinel_role', 'sentinel_nodes'], set2: ['cluster_nodes'] } },
    { mutually_exclusive_sets: { set1: ['cluster_nodes'], set2: ['host'] } },
    { mutually_required: ['sentinel_master', 'sentinel_role', 'sentinel_nodes'] },
  ],
} as const;

/** A deprecated flat `redis_<name>` field, expanded into `redis.<name>` as Kong 3.x still does (removal in 4.0). */
function redisShorthand<T extends 'string' | 'integer' | 'boolean'>(name: string, type: T, extra: Record<string, unknown> = {}) {
  return {
    type,
    ...extra,
    description: `Deprecated: use config.redis.${name}.`,
    func: (value: unknown) => ({ redis: { [name]: value } }),
  } as const;
}

/** Kong 3.x's deprecated flat fields. */
export const redisShorthands = {
  redis_host: redisShorthand('host', 'string'),
  redis_port: redisShorthand('port', 'integer'),
  redis_password: redisShorthand('password', 'string', { len_min: 0, referenceable: true }),
  redis_username: redisShorthand('username', 'string', { referenceable: true }),
  redis_ssl: redisShorthand('ssl', 'boolean'),
  redis_ssl_verify: redisShorthand('ssl_verify', 'boolean'),
  redis_server_name: redisShorthand('server_name', 'string'),
  redis_timeout: redisShorthand('timeout', 'integer'),
  redis_database: redisShorthand('database', 'integer'),
} as const;

/** With `policy = redis`: a server to reach (host, Sentinel or Cluster) and a timeout. */
export const redisPolicyChecks = [
  {
    conditional_at_least_one_of: {
      if_field: 'config.policy',
      if_match: { eq: 'redis' },
      then_at_least_one_of: ['config.redis.host', 'config.redis.sentinel_nodes', 'config.redis.cluster_nodes'],
      then_err: 'must set one of %s when policy is redis',
    },
  },
  { conditional: { if_field: 'config.policy', if_match: { eq: 'redis' }, then_field: 'config.redis.port', then_match: { required: true } } },
  { conditional: { if_field: 'config.policy', if_match: { eq: 'redis' }, then_field: 'config.redis.timeout', then_match: { required: true } } },
] as const;
