/**
 * The contestants and how each is started on loopback, checked, and stopped. Every start either returns a
 * running contestant that answered `GET /` with the upstream's "ok", or throws a message saying what failed
 * and where its log is; the runner then skips that contestant and carries on.
 */
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManagedProcess } from './processes.ts';
import { freePort, probe, waitForHttp } from './net.ts';
import { nginxArgs, proxyNginxConfig, upstreamNginxConfig } from './nginx-config.ts';
import { benchRequestHeaders, tollgateDeclarativeConfig, tollgateEnvironment, type BenchPlugin } from './tollgate-config.ts';

/** Contestant names as used by `--only` and in the report, in report order. */
export const CONTESTANT_NAMES = [
  'upstream',
  'nginx',
  'minimal-node',
  'tollgate',
  'tollgate-noop',
  'tollgate-async',
  'tollgate-key-auth',
  'tollgate-basic-auth',
  'tollgate-jwt-hs256',
  'tollgate-jwt-rs256',
  'tollgate-prometheus',
  'tollgate-proxy-cache-hit',
  'tollgate-http-log-dead',
  'tollgate-key-auth-rl-local',
  'tollgate-key-auth-rl-redis',
  'tollgate-otel',
  'tollgate-baseline',
] as const;
export type ContestantName = (typeof CONTESTANT_NAMES)[number];

/** One-line descriptions for the report. */
export const CONTESTANT_DESCRIPTIONS: Readonly<Record<ContestantName, string>> = {
  upstream: 'nginx `return 200 "ok"` hit directly (the floor: no proxy at all)',
  nginx: 'nginx reverse proxy, HTTP/1.1 keep-alive pool to the upstream',
  'minimal-node': 'bench/minimal-proxy.ts: node:http + undici Pool, streaming, no routing or plugins',
  tollgate: 'bin/tollgate start, DB-less, one service + one route `/`, no plugins',
  'tollgate-noop': 'as tollgate, the route running one synchronous no-op plugin (bench/plugins/noop-sync.ts)',
  'tollgate-async': 'as tollgate, the route running one async (promise-returning) no-op plugin (bench/plugins/noop-async.ts)',
  'tollgate-key-auth': 'as tollgate, the route running key-auth (one consumer; the key in an `apikey` header)',
  'tollgate-basic-auth': 'as tollgate, the route running basic-auth (one consumer; `Authorization: Basic`, an scrypt-hashed password)',
  'tollgate-jwt-hs256': 'as tollgate, the route running jwt (one HS256 credential; the same `Bearer` token on every request)',
  'tollgate-jwt-rs256': 'as tollgate, the route running jwt (one RS256 credential, 2048-bit key; the same `Bearer` token on every request)',
  'tollgate-prometheus': 'as tollgate, the route running prometheus with every metric flag on',
  'tollgate-proxy-cache-hit': 'as tollgate, the route running proxy-cache (memory strategy): every measured request is a Hit answered from the node-wide cache, the upstream untouched',
  'tollgate-http-log-dead': 'as tollgate, the route running http-log to a collector that accepts connections and never answers',
  'tollgate-key-auth-rl-local': 'as tollgate-key-auth, plus rate-limiting per consumer, policy local (a limit never reached)',
  'tollgate-key-auth-rl-redis': 'as tollgate-key-auth, plus rate-limiting per consumer, policy redis at 127.0.0.1:6379 (a limit never reached)',
  'tollgate-otel':
    'as tollgate, with tracing_instrumentations=all and tracing_sampling_rate=1, the route running opentelemetry (every span exported as OTLP protobuf to the upstream nginx, which answers 200)',
  'tollgate-baseline': 'as tollgate, from the checkout given with --baseline (e.g. the previous release), no plugins',
};

/** What each Tollgate scenario runs: the route's plugin, and where bin/tollgate comes from. */
const TOLLGATE_SCENARIOS: Readonly<Record<TollgateContestant, { plugin: BenchPlugin; baseline: boolean }>> = {
  tollgate: { plugin: null, baseline: false },
  'tollgate-noop': { plugin: 'noop-sync', baseline: false },
  'tollgate-async': { plugin: 'noop-async', baseline: false },
  'tollgate-key-auth': { plugin: 'key-auth', baseline: false },
  'tollgate-basic-auth': { plugin: 'basic-auth', baseline: false },
  'tollgate-jwt-hs256': { plugin: 'jwt-hs256', baseline: false },
  'tollgate-jwt-rs256': { plugin: 'jwt-rs256', baseline: false },
  'tollgate-prometheus': { plugin: 'prometheus', baseline: false },
  'tollgate-proxy-cache-hit': { plugin: 'proxy-cache', baseline: false },
  'tollgate-http-log-dead': { plugin: 'http-log-dead', baseline: false },
  'tollgate-key-auth-rl-local': { plugin: 'key-auth-rl-local', baseline: false },
  'tollgate-key-auth-rl-redis': { plugin: 'key-auth-rl-redis', baseline: false },
  'tollgate-otel': { plugin: 'opentelemetry', baseline: false },
  'tollgate-baseline': { plugin: null, baseline: true },
};

type TollgateContestant = Extract<ContestantName, `tollgate${string}`>;

/** A contestant that is up and answering. */
export interface RunningContestant {
  name: ContestantName;
  workers: number;
  /** The URL load tools hit. */
  url: string;
  /** Request headers the load tools send (`name: value`), e.g. an API key. */
  headers?: readonly string[];
  /** The root process (master, supervisor or primary); CPU is summed over its whole tree. */
  process: ManagedProcess;
  /** Where CPU profiles land when profiling was asked for. */
  profileDir?: string;
  stop(): Promise<void>;
}

/** What every start needs to know. */
export interface StartContext {
  /** Scratch directory of this run (logs, configs, prefixes). */
  workDir: string;
  workers: number;
  nginxPath: string;
  /** Node 24 binary for the minimal proxy. */
  nodePath: string;
  /** Repository root (for bin/tollgate). */
  repoRoot: string;
  /** Directory to collect CPU profiles under, when `--profile` is on. */
  profileRoot?: string;
  /** Extra environment for Tollgate (`--tollgate-env`). */
  tollgateExtraEnv?: Readonly<Record<string, string>>;
  /** How long Tollgate may take to become ready. */
  tollgateReadyTimeoutMs?: number;
  /** Another checkout whose bin/tollgate the `tollgate-baseline` contestant runs (`--baseline`). */
  baselineRoot?: string;
  /** Command that starts Tollgate; defaults to `<repoRoot>/bin/tollgate` (tests substitute a fake). */
  tollgateCommand?: string;
}

const READY_TIMEOUT_MS = 10_000;
const MINIMAL_PROXY = fileURLToPath(new URL('../minimal-proxy.ts', import.meta.url));

function exitedReason(proc: ManagedProcess): () => string | undefined {
  return () => {
    const status = proc.exitStatus;
    if (!status) return undefined;
    return `${proc.name} exited (${status.signal ?? `code ${status.code}`}) before it became ready`;
  };
}

function failure(proc: ManagedProcess, reason: string): Error {
  const tail = proc.logTail(12);
  return new Error(`${reason}; log: ${proc.logPath}${tail ? `\n    ${tail.split('\n').join('\n    ')}` : ''}`);
}

/**
 * Waits until `readyUrl` answers (with 200 when `readyMeans200`, else with any status: a proxy is up once it
 * answers at all), then checks that `url` really proxies (200 with the upstream's body); on any failure stops
 * the process and throws.
 */
async function confirmServing(proc: ManagedProcess, readyUrl: string, url: string, timeoutMs: number, readyMeans200 = false, headers: readonly string[] = []): Promise<void> {
  const outcome = await waitForHttp(readyUrl, { timeoutMs, gaveUp: exitedReason(proc), accept: readyMeans200 ? undefined : () => true });
  if (!outcome.ready) {
    await proc.stop(1000);
    throw failure(proc, outcome.reason);
  }
  const check = await probe(url, 2000, headers);
  if (check.status !== 200 || check.body !== 'ok') {
    await proc.stop(1000);
    const got = check.error ?? `HTTP ${check.status} ${JSON.stringify((check.body ?? '').slice(0, 200))}`;
    throw failure(proc, `${proc.name} is up but GET ${url} did not return the upstream's 200 "ok" (got ${got})`);
  }
}

/** Each contestant's own directory under the run's scratch dir; also its working directory, so its processes can be recognised. */
function prefixFor(context: StartContext, name: string): string {
  const dir = join(context.workDir, `${name}-w${context.workers}`);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755); // nginx workers drop privileges when started as root
  return dir;
}

/** Starts the upstream nginx (`return 200 "ok"`) with `context.workers` workers. */
export async function startUpstream(context: StartContext): Promise<RunningContestant> {
  const dir = prefixFor(context, 'upstream');
  const port = await freePort();
  const configPath = join(dir, 'nginx.conf');
  writeFileSync(configPath, upstreamNginxConfig({ prefixDir: dir, workers: context.workers, listenPort: port }));
  const proc = new ManagedProcess({ name: 'upstream nginx', command: context.nginxPath, args: nginxArgs(dir, configPath), cwd: dir }, join(dir, 'output.log'));
  const url = `http://127.0.0.1:${port}/`;
  await confirmServing(proc, url, url, READY_TIMEOUT_MS);
  return { name: 'upstream', workers: context.workers, url, process: proc, stop: async () => { await proc.stop(); } };
}

/** Starts the nginx keep-alive reverse proxy in front of `upstreamPort`. */
export async function startNginxProxy(context: StartContext, upstreamPort: number): Promise<RunningContestant> {
  const dir = prefixFor(context, 'nginx');
  const port = await freePort();
  const configPath = join(dir, 'nginx.conf');
  writeFileSync(configPath, proxyNginxConfig({
    prefixDir: dir, workers: context.workers, listenPort: port, upstreamPort, upstreamKeepalive: 256,
  }));
  const proc = new ManagedProcess({ name: 'nginx proxy', command: context.nginxPath, args: nginxArgs(dir, configPath), cwd: dir }, join(dir, 'output.log'));
  const url = `http://127.0.0.1:${port}/`;
  await confirmServing(proc, url, url, READY_TIMEOUT_MS);
  return { name: 'nginx', workers: context.workers, url, process: proc, stop: async () => { await proc.stop(); } };
}

/** Starts bench/minimal-proxy.ts (cluster when workers > 1), optionally with `--cpu-prof`. */
export async function startMinimalNode(context: StartContext, upstreamPort: number): Promise<RunningContestant> {
  const dir = prefixFor(context, 'minimal-node');
  const port = await freePort();
  const profileDir = context.profileRoot ? join(context.profileRoot, `minimal-node-w${context.workers}`) : undefined;
  const nodeFlags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const proc = new ManagedProcess({
    name: 'minimal-node proxy',
    command: context.nodePath,
    args: [...nodeFlags, MINIMAL_PROXY, '--listen', `127.0.0.1:${port}`, '--upstream', `http://127.0.0.1:${upstreamPort}`, '--workers', String(context.workers)],
    cwd: dir,
  }, join(dir, 'output.log'));
  const url = `http://127.0.0.1:${port}/`;
  await confirmServing(proc, url, url, READY_TIMEOUT_MS);
  return { name: 'minimal-node', workers: context.workers, url, process: proc, profileDir, stop: async () => { await proc.stop(); } };
}

/**
 * A log collector that accepts connections, reads what it is sent and never answers: the worst collector for
 * http-log (each batch waits for its timeout). Runs in the harness's process; it does no work per request.
 */
export async function startDeadCollector(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/**
 * Starts Tollgate as `bin/tollgate start` with a declarative file and loopback listeners from the environment,
 * and waits for `GET /status/ready` to answer 200 (default 20 s).
 */
export async function startTollgate(context: StartContext, upstreamPort: number, name: TollgateContestant = 'tollgate'): Promise<RunningContestant> {
  const scenario = TOLLGATE_SCENARIOS[name];
  if (scenario.baseline && context.baselineRoot === undefined) throw new Error('tollgate-baseline needs --baseline <checkout>');
  const root = scenario.baseline ? context.baselineRoot! : context.repoRoot;
  const prefix = prefixFor(context, name);
  const [proxyPort, statusPort] = [await freePort(), await freePort()];
  const declarativePath = join(prefix, 'bench.yaml');
  const collector = scenario.plugin === 'http-log-dead' ? await startDeadCollector() : null;
  writeFileSync(declarativePath, tollgateDeclarativeConfig(upstreamPort, scenario.plugin, collector?.port ?? 0));
  const profileDir = context.profileRoot ? join(context.profileRoot, `${name}-w${context.workers}`) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const plugin = scenario.plugin;
  const pluginEnv: Record<string, string> =
    plugin === 'noop-sync' || plugin === 'noop-async'
      ? { TOLLGATE_PLUGINS: `bundled,${plugin}`, TOLLGATE_PLUGIN_PATHS: join(context.repoRoot, 'bench', 'plugins') }
      : plugin === 'opentelemetry'
        ? { TOLLGATE_TRACING_INSTRUMENTATIONS: 'all', TOLLGATE_TRACING_SAMPLING_RATE: '1' }
        : {};
  const env = tollgateEnvironment({
    base: process.env, prefix, declarativePath, proxyPort, statusPort, workers: context.workers, profileDir,
    extra: { ...pluginEnv, ...context.tollgateExtraEnv },
  });
  const command = scenario.baseline ? join(root, 'bin', 'tollgate') : (context.tollgateCommand ?? join(root, 'bin', 'tollgate'));
  const proc = new ManagedProcess({ name, command, args: ['start'], env, cwd: prefix }, join(prefix, 'output.log'));
  const url = `http://127.0.0.1:${proxyPort}/`;
  // Credentials in headers, as clients usually send them (so that the URL is the same as the plain route's).
  const headers = benchRequestHeaders(plugin);
  const timeoutMs = context.tollgateReadyTimeoutMs ?? 20_000;
  try {
    await confirmServing(proc, `http://127.0.0.1:${statusPort}/status/ready`, url, timeoutMs, true, headers);
  } catch (err) {
    await collector?.close();
    throw err;
  }
  // Workers write --cpu-prof files only on a clean exit: give the supervisor time to stop them in order.
  const stop = async () => {
    await proc.stop(profileDir ? 15_000 : 5000);
    await collector?.close();
  };
  return { name, workers: context.workers, url, headers, process: proc, profileDir, stop };
}

/** Starts the named proxy contestant in front of the upstream. */
export function startProxyContestant(name: Exclude<ContestantName, 'upstream'>, context: StartContext, upstreamPort: number): Promise<RunningContestant> {
  switch (name) {
    case 'nginx': return startNginxProxy(context, upstreamPort);
    case 'minimal-node': return startMinimalNode(context, upstreamPort);
    default: return startTollgate(context, upstreamPort, name);
  }
}
