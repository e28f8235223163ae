/**
 * What Tollgate is started with for the benchmark: a DB-less declarative file (one service, one catch-all
 * route, no plugins) and `TOLLGATE_*` variables that keep every listener on loopback.
 */

/** The key the key-auth scenario's requests carry (in the query: the load tools send no custom headers). */
export const BENCH_API_KEY = 'bench-key';

/** A plugin the route runs in a plugin scenario, or none. `http-log-dead`: http-log to a collector that never answers. */
export type BenchPlugin = 'noop-sync' | 'noop-async' | 'key-auth' | 'http-log-dead' | null;

/**
 * The declarative file: `_format_version: "3.0"`, one service pointing at the upstream, one route `paths: ["/"]`,
 * and in plugin scenarios that route's one plugin (key-auth with a consumer and its key; http-log sending to
 * `collectorPort`).
 */
export function tollgateDeclarativeConfig(upstreamPort: number, plugin: BenchPlugin = null, collectorPort = 0): string {
  const plugins =
    plugin === null
      ? ''
      : plugin === 'http-log-dead'
        ? `        plugins:\n          - name: http-log\n            config:\n              http_endpoint: http://127.0.0.1:${collectorPort}/\n`
        : `        plugins:\n          - name: ${plugin}\n`;
  const consumers = plugin === 'key-auth' ? `consumers:\n  - username: bench\n    keyauth_credentials:\n      - key: ${BENCH_API_KEY}\n` : '';
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
  env.TOLLGATE_WORKER_PROCESSES = String(options.workers);
  // The nginx contestants run with `access_log off`; Tollgate does the same so that both sides do the same
  // work. `--tollgate-env TOLLGATE_PROXY_ACCESS_LOG=logs/access.log` measures it with its default log.
  env.TOLLGATE_PROXY_ACCESS_LOG = 'off';
  if (options.profileDir) env.TOLLGATE_CPU_PROF_DIR = options.profileDir;
  Object.assign(env, options.extra ?? {});
  return env;
}
