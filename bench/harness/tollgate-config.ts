/**
 * What Tollgate is started with for the benchmark: a DB-less declarative file (one service, one catch-all
 * route, no plugins) and `TOLLGATE_*` variables that keep every listener on loopback.
 */
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

/** The key the key-auth scenario's requests carry (in an `apikey` header). */
export const BENCH_API_KEY = 'bench-key';
/** The basic-auth scenario's credential. */
export const BENCH_BASIC_USER = 'bench';
export const BENCH_BASIC_PASSWORD = 'bench-password';
/** The jwt scenarios' credential key (the tokens' `iss`) and HS256 secret. */
export const BENCH_JWT_ISS = 'bench-iss';
export const BENCH_JWT_SECRET = 'bench-jwt-secret';

/** A plugin the route runs in a plugin scenario, or none. */
export type BenchPlugin = 'noop-sync' | 'noop-async' | 'key-auth' | 'basic-auth' | 'jwt-hs256' | 'jwt-rs256' | 'prometheus' | 'proxy-cache' | 'http-log-dead' | 'key-auth-rl-local' | 'key-auth-rl-redis' | 'opentelemetry' | null;

/** Where the rate-limiting Redis scenario counts (the test machine's shared Redis; a database of its own). */
export const BENCH_REDIS = { host: '127.0.0.1', port: 6379, database: 9 } as const;

/** A per-minute limit no benchmark reaches, so rate-limiting counts every request and refuses none. */
export const BENCH_RATE_LIMIT = 1_000_000_000;

/** The prometheus scenario's config: every metric family recorded, the consumer label filled. */
const PROMETHEUS_ALL_FLAGS = `            config:
              per_consumer: true
              status_code_metrics: true
              latency_metrics: true
              bandwidth_metrics: true
              upstream_health_metrics: true
`;

/** The plugin entity's name for a scenario (the jwt scenarios both run `jwt`; `http-log-dead` runs http-log). */
export function benchPluginName(plugin: Exclude<BenchPlugin, null>): string {
  if (plugin === 'http-log-dead') return 'http-log';
  return plugin.startsWith('jwt-') ? 'jwt' : plugin;
}

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

let rsaPair: { publicKey: KeyObject; privateKey: KeyObject } | null = null;
/** One RSA key pair per bench process, so that the file's public key and the requests' token agree. */
function benchRsaKeys(): { publicKey: KeyObject; privateKey: KeyObject } {
  rsaPair ??= generateKeyPairSync('rsa', { modulusLength: 2048 });
  return rsaPair;
}

/** The token the jwt scenarios send: no `exp`, so it stays valid for the whole run. */
export function benchJwt(algorithm: 'HS256' | 'RS256'): string {
  const input = `${base64url({ alg: algorithm, typ: 'JWT' })}.${base64url({ iss: BENCH_JWT_ISS, sub: 'bench' })}`;
  const signature = algorithm === 'HS256'
    ? createHmac('sha256', BENCH_JWT_SECRET).update(input).digest()
    : sign('sha256', Buffer.from(input), benchRsaKeys().privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

/** The request headers (`name: value`) a scenario's load carries, if any. */
export function benchRequestHeaders(plugin: BenchPlugin): string[] | undefined {
  switch (plugin) {
    case 'key-auth':
    case 'key-auth-rl-local':
    case 'key-auth-rl-redis':
      return [`apikey: ${BENCH_API_KEY}`];
    case 'basic-auth': return [`authorization: Basic ${Buffer.from(`${BENCH_BASIC_USER}:${BENCH_BASIC_PASSWORD}`).toString('base64')}`];
    case 'jwt-hs256': return [`authorization: Bearer ${benchJwt('HS256')}`];
    case 'jwt-rs256': return [`authorization: Bearer ${benchJwt('RS256')}`];
    default: return undefined;
  }
}

/** The consumer (and its credential) a plugin scenario needs, as a declarative `consumers:` block. */
function benchConsumers(plugin: BenchPlugin): string {
  const head = 'consumers:\n  - username: bench\n';
  switch (plugin) {
    case 'key-auth':
    case 'key-auth-rl-local':
    case 'key-auth-rl-redis':
      return `${head}    keyauth_credentials:\n      - key: ${BENCH_API_KEY}\n`;
    case 'basic-auth': return `${head}    basicauth_credentials:\n      - username: ${BENCH_BASIC_USER}\n        password: ${BENCH_BASIC_PASSWORD}\n`;
    case 'jwt-hs256': return `${head}    jwt_secrets:\n      - key: ${BENCH_JWT_ISS}\n        algorithm: HS256\n        secret: ${BENCH_JWT_SECRET}\n`;
    case 'jwt-rs256': {
      const pem = benchRsaKeys().publicKey.export({ type: 'spki', format: 'pem' }).toString().trim();
      const block = pem.split('\n').map((line) => `          ${line}`).join('\n');
      return `${head}    jwt_secrets:\n      - key: ${BENCH_JWT_ISS}\n        algorithm: RS256\n        rsa_public_key: |\n${block}\n`;
    }
    default: return '';
  }
}

/**
 * The declarative file: `_format_version: "3.0"`, one service pointing at the upstream, one route `paths: ["/"]`,
 * and in plugin scenarios that route's one plugin (with the consumer and credential its requests carry; prometheus
 * with every metric flag on; http-log sending to `collectorPort`).
 */
export function tollgateDeclarativeConfig(upstreamPort: number, plugin: BenchPlugin = null, collectorPort = 0): string {
  // proxy-cache in memory: after the readiness probe's Miss every request is a Hit; http-log to a collector that never answers.
  const config =
    plugin === 'prometheus' ? PROMETHEUS_ALL_FLAGS
    : plugin === 'proxy-cache' ? '            config: { strategy: memory }\n'
    : plugin === 'http-log-dead' ? `            config:\n              http_endpoint: http://127.0.0.1:${collectorPort}/\n`
    // The upstream nginx answers 200 to any request, which is all an OTLP receiver has to do here.
    : plugin === 'opentelemetry' ? `            config:\n              traces_endpoint: http://127.0.0.1:${upstreamPort}/v1/traces\n`
    : '';
  const consumers = benchConsumers(plugin);
  let plugins = '';
  if (plugin === 'key-auth-rl-local' || plugin === 'key-auth-rl-redis') {
    const redis = plugin === 'key-auth-rl-redis'
      ? `, policy: redis, redis: { host: ${BENCH_REDIS.host}, port: ${BENCH_REDIS.port}, database: ${BENCH_REDIS.database} }`
      : '';
    plugins = `        plugins:\n          - name: key-auth\n          - name: rate-limiting\n            config: { minute: ${BENCH_RATE_LIMIT}, limit_by: consumer${redis} }\n`;
  } else if (plugin !== null) plugins = `        plugins:\n          - name: ${benchPluginName(plugin)}\n${config}`;
  return `_format_version: "3.0"
services:
  - name: bench-upstream
    url: http://127.0.0.1:${upstreamPort}
    routes:
      - name: bench-all
        paths: ["/"]
${plugins}${consumers}`;
}

/** Inputs of {@link tollgateEnvironment}. */
export interface TollgateEnvironmentOptions {
  base: NodeJS.ProcessEnv;
  prefix: string;
  declarativePath: string;
  proxyPort: number;
  statusPort: number;
  workers: number;
  /** Set to make every worker run with `--cpu-prof` into this directory. */
  profileDir?: string;
  /** Passed through last, so `--tollgate-env` can override anything (e.g. TOLLGATE_PROXY_ACCESS_LOG=logs/access.log). */
  extra?: Readonly<Record<string, string>>;
}

/**
 * The environment for `bin/tollgate start`. Inherited `TOLLGATE_*` variables are dropped so a developer's
 * shell cannot change what is measured by accident.
 */
export function tollgateEnvironment(options: TollgateEnvironmentOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(options.base)) {
    if (!key.startsWith('TOLLGATE_')) env[key] = value;
  }
  env.TOLLGATE_PREFIX = options.prefix;
  env.TOLLGATE_DATABASE = 'off';
  env.TOLLGATE_DECLARATIVE_CONFIG = options.declarativePath;
  env.TOLLGATE_PROXY_LISTEN = `127.0.0.1:${options.proxyPort}`;
  env.TOLLGATE_ADMIN_LISTEN = 'off';
  env.TOLLGATE_STATUS_LISTEN = `127.0.0.1:${options.statusPort}`;
  env.TOLLGATE_ADMIN_GUI_LISTEN = 'off';
  env.TOLLGATE_WORKER_PROCESSES = String(options.workers);
  // The nginx contestants run with `access_log off`; Tollgate does the same so that both sides do the same
  // work. `--tollgate-env TOLLGATE_PROXY_ACCESS_LOG=logs/access.log` measures it with its default log.
  env.TOLLGATE_PROXY_ACCESS_LOG = 'off';
  if (options.profileDir) env.TOLLGATE_CPU_PROF_DIR = options.profileDir;
  Object.assign(env, options.extra ?? {});
  return env;
}
