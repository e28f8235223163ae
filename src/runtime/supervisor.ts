import cluster, { type Worker } from 'node:cluster';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { Settings } from '../config/settings-types.ts';
import { readPem } from '../config/index.ts';
import { emptyFlatConfig, type FlatConfig } from '../declarative/index.ts';
import type { ConfigLoadOutcome, ConfigLoadRequest, NodeContext, ServerCounters, WorkerReport } from '../admin/context.ts';
import { startAdminServer } from '../admin/server.ts';
import { startStatusServer } from '../status/server.ts';
import { removeStatusListeners } from '../status/listeners-file.ts';
import { startAdminGui } from '../admin-gui/server.ts';
import { createLogger, errorLogWriter, type Logger, type LogLevel } from '../log/logger.ts';
import { EMPTY_HASH } from '../snapshot/compile.ts';
import { ensureDefaultCertificate } from '../tls/default-certificate.ts';
import { listenerTlsPolicy, type ListenerTlsPolicy } from '../tls/listener-tls.ts';
import { clientSslCertificate, dnsSettings } from './proxy-settings.ts';
import { createDnsLookup } from '../balancer/dns-lookup.ts';
import { openConfiguredStore, postgresSettings } from './database.ts';
import { nodeDatabaseKindOf } from './plugin-database.ts';
import { setNodeDatabaseKind } from '../pdk/index.ts';
import { enabledPlugins, pluginApis, pluginRegistry } from '../plugins/index.ts';
import { hiddenFamily, prometheusInstances } from '../plugins/prometheus/node-metrics.ts';
import { nodeMetricsText as prometheusNodeMetrics, type NodeMetricsSource } from '../plugins/prometheus/node-source.ts';
import type { NodeServices, PluginApiEndpoint } from '../pdk/index.ts';
import type { NodePlugins } from '../plugins/external/node-plugins.ts';
import { registerPlugins } from '../entities/index.ts';
import type { PluginSchemaRegistry } from '../schema/index.ts';
import type { Store } from '../store/index.ts';
import { runPluginDbRequest } from './plugin-db-server.ts';
import type { ServiceTelemetry } from '../proxy/traffic.ts';
import type { ClusterView } from '../admin/context.ts';
import type { SupervisorMessage, WorkerCounters, WorkerInit, WorkerMessage } from './messages.ts';
import { proxyRelevantPatch, type WorkerConfigPatch } from './config-patch.ts';
import { CoalescingRunner } from './coalescing-runner.ts';
import { prepareConfig } from './config-preparation.ts';
import { HealthChecker } from '../health/health-checker.ts';
import { setNodeServices, SharedStateServer, socketPathFor } from '../shared-state/index.ts';
import { REGEXP_ENGINE_FLAGS } from '../core/regex.ts';
import { enabledVaultBackends } from '../core/vault-backends.ts';
import { LogLevelControl, type LogLevelOutcome } from './log-level-control.ts';
import { pendingTimers } from './process-stats.ts';

interface WorkerSlot {
  index: number;
  worker: Worker;
  listening: boolean;
  /** Hash of the configuration this worker last applied. */
  hash: string;
  /** The configuration this worker last failed to apply, and why (null once it applies one). */
  failed: { hash: string; error: string } | null;
}

/** How long a configuration may take to reach every worker before POST /config gives up waiting. */
const APPLY_TIMEOUT_MS = 60_000;
const SHUTDOWN_TIMEOUT_MS = 10_000;
/** The longest wait between tries to read a changed configuration from an unreachable database. */
const REFRESH_RETRY_MAX_MS = 10_000;

export function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

/**
 * The supervisor: owns the configuration source, the Admin and Status APIs and the proxy workers. A new
 * configuration is validated here, then sent to every worker, which compiles and swaps it; readiness means
 * every worker serves the current hash.
 */
export class Supervisor implements NodeContext {
  readonly settings: Settings;
  readonly nodeId: string;
  readonly hostname = hostname();
  readonly startedAt = Date.now();
  readonly log: Logger;
  /** The plugins this node enables (its `plugins` setting); plugin entities are validated against them. */
  readonly plugins: PluginSchemaRegistry;
  /** Admin API endpoints of the enabled plugins (proxy-cache's purge endpoints). */
  readonly pluginApis: ReadonlyMap<string, readonly PluginApiEndpoint[]>;
  #config: FlatConfig = emptyFlatConfig();
  #hash = EMPTY_HASH;
  #loading = false;
  #stopping = false;
  /** Drained (`kong drain`): out of the load balancer's rotation, still serving. */
  #draining = false;
  readonly #slots = new Map<number, WorkerSlot>();
  #init: Omit<WorkerInit, 'workerIndex'> | null = null;
  readonly #waiters = new Set<() => void>();
  #servers: Server[] = [];
  /** The start waiting for every worker to listen, or null. */
  #listenWait: { resolve: () => void; reject: (err: Error) => void } | null = null;
  /** The database of a traditional node (null in DB-less mode); the Admin API writes there. */
  store: Store | null = null;
  #refreshTimer: NodeJS.Timeout | null = null;
  #refreshFailures = 0;
  /** Reads of the database never overlap: a slow early read finishing last would bring back older data. */
  readonly #refresher = new CoalescingRunner(() => this.#refreshFromStore());
  #expiryTimer: NodeJS.Timeout | null = null;
  #unwatch: (() => void) | null = null;
  #statsSeq = 0;
  /** Routes refused with 503 (a data plane lacking a plugin they use), sent to workers with the config. */
  #refusals: Record<string, string> = {};
  readonly #configListeners: ((config: FlatConfig, hash: string) => void)[] = [];
  readonly #stopHooks: (() => Promise<void> | void)[] = [];
  readonly #trafficWaiters = new Map<number, { pending: number; got: Record<string, ServiceTelemetry>[]; done: (g: Record<string, ServiceTelemetry>[]) => void }>();
  /** Hybrid mode, set by the cluster role that runs on this node. */
  clustering: ClusterView | null = null;
  /** Health of upstream targets, shared by the workers; null on a node without proxy workers. */
  health: HealthChecker | null = null;
  /** The unhealthy targets last announced, for workers that start later. */
  #unhealthy: string[] = [];
  readonly #statsWaiters = new Map<number, { pending: number; got: WorkerCounters[]; done: (c: WorkerCounters[]) => void }>();
  /**
   * The node's shared state (Kong's lua_shared_dict): counters, cache and metrics live here, in the
   * supervisor, so that they outlive any worker; workers reach them over a Unix socket in the prefix.
   */
  readonly sharedState: SharedStateServer;
  readonly #sharedStateToken = randomBytes(24).toString('base64url');
  /** The log level changed at run time through the Admin API (Kong's dynamic log level). */
  readonly logLevels: LogLevelControl;

  /** `loaded`: the plugins `loadNodePlugins` loaded (external ones included); default: the bundled ones enabled. */
  constructor(settings: Settings, nodeId?: string, loaded?: NodePlugins) {
    this.settings = settings;
    this.nodeId = nodeId ?? settings.node_id ?? randomUUID();
    // Plugin schemas refuse what needs a database this node lacks (rate-limiting's policy = cluster).
    setNodeDatabaseKind(nodeDatabaseKindOf(settings));
    // The enabled plugins' entities and migrations, before anything reads configuration.
    const enabled = loaded?.enabled ?? enabledPlugins(settings.plugins);
    registerPlugins(enabled);
    this.plugins = loaded?.registry ?? pluginRegistry(settings.plugins);
    this.pluginApis = pluginApis(enabled);
    this.log = createLogger({ level: settings.log_level as LogLevel, worker: 0, write: errorLogWriter(settings.proxy_error_log, settings.prefix) });
    this.sharedState = new SharedStateServer({
      cacheBytes: settings.memCacheSizeBytes,
      token: this.#sharedStateToken,
      warn: (message) => this.log.warn(message),
    });
    // Code running in the supervisor itself (plugin Admin API endpoints) reaches the same state directly.
    this.#localServices = this.sharedState.localServices();
    setNodeServices(this.#localServices);
    this.logLevels = new LogLevelControl(this.log, this.nodeId, (level) => {
      for (const slot of this.#slots.values()) sendTo(slot.worker, { type: 'log-level', level } satisfies SupervisorMessage);
    });
  }

  readonly #localServices: NodeServices;

  /** The node's shared state, as the Admin API's plugin endpoints reach it. */
  nodeServices(): NodeServices {
    return this.#localServices;
  }

  logLevel(): string {
    return this.logLevels.current;
  }

  setLogLevel(level: LogLevel, timeoutSeconds: number, scope: 'node' | 'cluster'): Promise<LogLevelOutcome> {
    return this.logLevels.set(level, timeoutSeconds, scope === 'cluster' ? this.store : null);
  }

  /**
   * Every metric of the node in the Prometheus text format: the prometheus plugin's node-level gauges, the shared
   * registry (after asking every worker to push what it counted), then hybrid mode's own.
   */
  async metrics(): Promise<string> {
    // The prometheus plugin's per-request families show only while an instance of it is configured (as in
    // Kong); its node-level ones whenever the plugin is enabled on the node.
    const instances = prometheusInstances(this.#config.plugins);
    const [local, shared] = await Promise.all([
      this.plugins.has('prometheus') ? prometheusNodeMetrics(this.#prometheusSource(), instances) : '',
      this.sharedState.renderMetrics(1000, hiddenFamily(instances)),
    ]);
    const clustering = this.clustering === null ? '' : await this.clustering.metrics();
    return local + shared + clustering + this.#metricsSources.map((source) => source()).join('');
  }

  readonly #metricsSources: (() => string)[] = [];

  /** More metrics for /metrics, from components running beside the node (the ingress controller). */
  addMetricsSource(source: () => string): void {
    this.#metricsSources.push(source);
  }

  #prometheusSource(): NodeMetricsSource {
    const store = this.store;
    const health = this.health;
    return {
      nodeId: this.nodeId,
      role: this.settings.role,
      currentConfig: () => this.currentConfig(),
      workerStats: () => this.#askWorkers(),
      // Counted among the workers, as GET /status counts it: it runs the Admin API, health checks and shared state.
      supervisorStats: () => ({ pid: process.pid, heapUsed: process.memoryUsage().heapUsed, timers: pendingTimers() }),
      pingDatastore: store === null ? null : () => store.configVersion(),
      targetsOf: health === null ? null : (upstreamId) => health.targetsOf(upstreamId),
      sharedDicts: () => Object.entries(this.sharedDicts()).map(([name, d]) => ({ name, bytes: d.allocated, capacity: d.capacity })),
      metricErrors: () => this.sharedState.metrics.conflicts.size,
    };
  }

  currentConfig(): { config: FlatConfig; hash: string } {
    return { config: this.#config, hash: this.#hash };
  }

  pids(): { master: number; workers: number[] } {
    return { master: process.pid, workers: [...this.#slots.values()].map((s) => s.worker.process.pid ?? 0) };
  }

  notReadyReason(): string | null {
    if (this.#stopping) return 'Tollgate is shutting down';
    if (this.#draining) return 'draining';
    const expected = this.#runsWorkers() ? this.settings.worker_processes : 0;
    if (this.#slots.size < expected) return 'not all workers are running';
    for (const slot of this.#slots.values()) if (!slot.listening) return 'not all workers are listening';
    // A DB-less node needs a configuration; a node with a database serves what the database holds, even nothing.
    if (this.store === null && this.#hash === EMPTY_HASH) return 'no configuration available (empty configuration present)';
    for (const slot of this.#slots.values()) {
      if (slot.hash !== this.#hash) return 'not all workers have applied the current configuration';
    }
    return null;
  }

  get sharedCache(): NonNullable<NodeContext['sharedCache']> {
    const cache = this.sharedState.cache;
    return {
      probe: (key) => cache.get(key, Date.now()),
      invalidate: (key) => cache.delete(key),
      purge: () => void cache.purge(''),
    };
  }

  drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    this.log.notice('draining: /status/ready answers 503 from now on; requests are still served');
  }

  /** A node without proxy listeners (an Admin-API-only node), or a control plane, runs no workers at all. */
  #runsWorkers(): boolean {
    return (this.settings.proxy_listeners.length > 0 || this.settings.stream_listeners.length > 0) && this.settings.role !== 'control_plane';
  }

  /** Calls `listener` whenever the configuration read from the database changes (a control plane pushes it). */
  onConfigChange(listener: (config: FlatConfig, hash: string) => void): void {
    this.#configListeners.push(listener);
  }

  /** Runs `hook` first when the node stops (cluster listeners and links). */
  addStopHook(hook: () => Promise<void> | void): void {
    this.#stopHooks.push(hook);
  }

  /** Starts listeners and workers, loads the initial configuration. Throws with a user-facing message. */
  async start(initial: { config: FlatConfig; hash: string; refusals?: Record<string, string> } | null): Promise<void> {
    const s = this.settings;
    mkdirSync(s.prefix, { recursive: true });
    writeFileSync(join(s.prefix, 'tollgate.pid'), `${process.pid}\n`);
    if (initial !== null) {
      this.#config = initial.config;
      this.#hash = initial.hash;
      this.#refusals = initial.refusals ?? {};
    }
    if (s.database !== 'off') {
      this.store = await openConfiguredStore(s);
      const { config, nextExpiry } = await this.store.exportSnapshot();
      this.#config = config;
      this.#hash = md5(JSON.stringify(config));
      this.#scheduleExpiry(nextExpiry);
      // Every committed write (here, or on another node sharing the database) reaches the workers.
      // On PostgreSQL other nodes' writes arrive as notifications; db_update_frequency is the fallback check.
      const pollMs = s.database === 'postgres' ? s.db_update_frequency * 1000 : undefined;
      this.#unwatch = this.store.watch(() => this.#scheduleRefresh(), { pollMs });
      this.logLevels.listen(this.store);
    }
    if (this.#runsWorkers()) {
      const dns = dnsSettings(s);
      this.health = new HealthChecker((unhealthy) => this.#announceHealth(unhealthy), this.log, dns === null ? null : createDnsLookup(dns));
      this.health.update(this.#config);
    }
    const needsTls = s.proxy_listeners.some((l) => l.ssl) || s.stream_listeners.some((l) => l.ssl);
    let tls: { cert: string; key: string; policy: ListenerTlsPolicy } | null = null;
    if (needsTls) {
      const policy = listenerTlsPolicy(s);
      if (s.ssl_cert.length > 0 && s.ssl_cert_key.length > 0) {
        tls = { cert: readPem(s.ssl_cert[0]), key: readPem(s.ssl_cert_key[0]), policy };
      } else {
        try {
          tls = { ...ensureDefaultCertificate(s.prefix), policy };
        } catch (err) {
          this.log.warn(`ssl proxy listeners disabled: could not create the default certificate with openssl (${(err as Error).message})`);
        }
      }
    }
    this.#init = {
      type: 'init',
      logLevel: s.log_level,
      flavor: s.router_flavor,
      routeMatchCalculation: s.route_match_calculation,
      listeners: s.proxy_listeners.map((l) => ({ ip: l.ip, port: l.port, ssl: l.ssl, http2: l.http2, reuseport: l.reuseport, backlog: l.backlog, proxy_protocol: l.proxy_protocol })),
      streamListeners: s.stream_listeners.map((l) => ({
        ip: l.ip, port: l.port, ssl: l.ssl, udp: l.udp, reuseport: l.reuseport, backlog: l.backlog, proxy_protocol: l.proxy_protocol,
      })),
      streamAccessLog: s.proxy_stream_access_log,
      tls,
      trustedIps: s.trusted_ips,
      realIpHeader: s.real_ip_header,
      realIpRecursive: s.real_ip_recursive,
      downstream: s.headersDownstream,
      upstreamRequestId: s.headersUpstream.requestId,
      errorDefaultType: s.error_default_type,
      errorTemplates: readErrorTemplates(s),
      argLimits: { requestHeaders: s.lua_max_req_headers, responseHeaders: s.lua_max_resp_headers, uriArgs: s.lua_max_uri_args, postArgs: s.lua_max_post_args },
      allowDebugHeader: s.allow_debug_header,
      hostPorts: s.port_maps.map((entry) => {
        const [host, listener] = entry.split(':').map(Number);
        return [listener, host] as [number, number];
      }),
      pool: {
        poolSize: s.upstream_keepalive_pool_size,
        keepAliveTimeout: s.upstream_keepalive_idle_timeout * 1000,
        maxRequestsPerConnection: s.upstream_keepalive_max_requests,
        defaultClientCertificate: clientSslCertificate(s),
      },
      dns: dnsSettings(s),
      shutdownTimeout: SHUTDOWN_TIMEOUT_MS,
      prefix: s.prefix,
      accessLog: s.proxy_access_log,
      accessLogFormat: s.proxy_access_log_format,
      syslogSocket: s.syslog_socket,
      errorLog: s.proxy_error_log,
      plugins: [...s.plugins],
      pluginPaths: [...s.plugin_paths],
      pluginServers: s.pluginServers.map((p) => ({ name: p.name, pluginsDirectory: p.pluginsDirectory })),
      nodeId: this.nodeId,
      hostname: hostname(),
      countTraffic: s.role === 'data_plane',
      tracing: { instrumentations: [...s.tracing_instrumentations], samplingRate: s.tracing_sampling_rate },
      sharedState: null,
      databaseKind: nodeDatabaseKindOf(s),
      pluginDatabase: nodeDatabaseKindOf(s) === 'postgres' ? postgresSettings(s) : null,
      vaults: { enabled: enabledVaultBackends(s.vaults), envPrefix: s.vault_env_prefix },
    };
    if (this.#runsWorkers()) {
      const path = socketPathFor(s.prefix);
      try {
        await this.sharedState.listen(path);
      } catch (err) {
        throw new Error(`could not listen on the shared-state socket ${path}: ${(err as Error).message}; check that the prefix ${s.prefix} is writable and on a file system that supports Unix sockets`);
      }
      // One worker at a time (a replacement is forked only after its predecessor exited): it can own the counters.
      this.#init.sharedState = { path, token: this.#sharedStateToken, soleWorker: s.worker_processes === 1 };
    }

    // Route regexes that backtrack too much finish on V8's linear-time engine (see src/core/regex.ts).
    const execArgv = ['--disable-warning=ExperimentalWarning', ...REGEXP_ENGINE_FLAGS];
    const profDir = process.env.TOLLGATE_CPU_PROF_DIR;
    if (profDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${profDir}`);
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({ execArgv, args: ['__worker'], silent: false });
    cluster.on('message', (worker, msg: WorkerMessage) => this.#onWorkerMessage(worker, msg));
    cluster.on('exit', (worker, code, signal) => this.#onWorkerExit(worker, code, signal));

    if (this.#runsWorkers()) {
      for (let i = 0; i < s.worker_processes; i++) this.#fork(i);
      // Every proxy listener is bound before the Admin and Status APIs answer: a client that saw them up
      // must not find the proxy port refusing connections.
      await new Promise<void>((resolve, reject) => {
        this.#listenWait = { resolve, reject };
        this.#checkListening();
      });
    }
    this.#servers.push(...(await startAdminServer(this, this.log)));
    this.#servers.push(...(await startStatusServer(this, this.log)));
    this.#servers.push(...(await startAdminGui(s, this.log)));
    const proxy = this.#runsWorkers()
      ? `${s.worker_processes} worker(s), proxy on ${s.proxy_listen.join(', ')}${s.stream_listeners.length > 0 ? `, stream on ${s.stream_listen.join(', ')}` : ''}`
      : s.role === 'control_plane' ? 'control plane (no proxy)' : 'no proxy';
    this.log.notice(`Tollgate started (role ${s.role}): ${proxy}, admin on ${s.admin_listen.join(', ') || 'off'}, status on ${s.status_listen.join(', ') || 'off'}`);
    for (const warning of s.deprecations) this.log.warn(warning);
    if (s.ignoredNginxDirectives.length > 0) {
      this.log.warn(`Kong nginx directives ignored (Tollgate runs no nginx): ${s.ignoredNginxDirectives.join('; ')}`);
    }
  }

  /** Settles the start's wait for the workers' listeners once every worker listens. */
  #checkListening(): void {
    const wait = this.#listenWait;
    if (wait === null || this.#slots.size < this.settings.worker_processes) return;
    for (const slot of this.#slots.values()) if (!slot.listening) return;
    this.#listenWait = null;
    wait.resolve();
  }

  #fork(index: number): void {
    const worker = cluster.fork({ TOLLGATE_WORKER_INDEX: String(index) });
    // A worker that died is still in the slots until its 'exit' arrives: a message sent to it meanwhile fails
    // with ERR_IPC_CHANNEL_CLOSED, an 'error' event that would otherwise take the whole node down with it.
    worker.on('error', (err: Error) => this.log.debug(`worker ${index + 1} (pid ${worker.process.pid ?? '?'}): ${err.message}`));
    this.#slots.set(worker.id, { index, worker, listening: false, hash: EMPTY_HASH, failed: null });
    sendTo(worker, { ...this.#init!, logLevel: this.logLevels.current, workerIndex: index + 1 } satisfies SupervisorMessage);
    if (this.#unhealthy.length > 0) sendTo(worker, { type: 'health', unhealthy: this.#unhealthy } satisfies SupervisorMessage);
    if (this.#hash !== EMPTY_HASH) this.#sendConfig(worker);
  }

  #announceHealth(unhealthy: string[]): void {
    this.#unhealthy = unhealthy;
    for (const slot of this.#slots.values()) sendTo(slot.worker, { type: 'health', unhealthy } satisfies SupervisorMessage);
  }

  #sendConfig(worker: Worker): void {
    const msg: SupervisorMessage = { type: 'config', hash: this.#hash, config: this.#config, refusals: this.#refusals };
    sendTo(worker, msg);
  }

  #onWorkerMessage(worker: Worker, msg: WorkerMessage): void {
    const slot = this.#slots.get(worker.id);
    if (slot === undefined) return;
    switch (msg.type) {
      case 'listening':
        slot.listening = true;
        this.#checkListening();
        break;
      case 'applied':
        slot.hash = msg.hash;
        slot.failed = null;
        break;
      case 'need-full':
        if (msg.hash === this.#hash) this.#sendConfig(worker);
        break;
      case 'apply-failed':
        this.log.error(`worker ${slot.index + 1} could not apply configuration ${msg.hash}: ${msg.error}`);
        slot.failed = { hash: msg.hash, error: msg.error.split('\n', 1)[0] };
        break;
      case 'listen-failed':
        this.log.crit(`worker ${slot.index + 1} could not listen: ${msg.error}`);
        if (this.#listenWait !== null) {
          this.#listenWait.reject(new Error(`could not open the proxy listeners (${[...this.settings.proxy_listen, ...this.settings.stream_listen].filter((l) => l !== 'off').join(', ')}): ${msg.error}; check that no other process uses these ports`));
          this.#listenWait = null;
        }
        break;
      case 'traffic': {
        const waiter = this.#trafficWaiters.get(msg.id);
        if (waiter) {
          waiter.got.push(msg.services);
          if (--waiter.pending === 0) waiter.done(waiter.got);
        }
        break;
      }
      case 'health-report':
        for (const [upstreamId, target, outcome] of msg.reports) this.health?.report(upstreamId, target, outcome);
        break;
      case 'db-request':
        runPluginDbRequest(this.store, msg.request).then(
          (value) => sendTo(worker, { type: 'db-reply', id: msg.id, ok: true, value } satisfies SupervisorMessage),
          (err: unknown) =>
            sendTo(worker, { type: 'db-reply', id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies SupervisorMessage),
        );
        return;
      case 'stats': {
        const waiter = this.#statsWaiters.get(msg.id);
        if (waiter) {
          waiter.got.push(msg.counters);
          if (--waiter.pending === 0) waiter.done(waiter.got);
        }
        break;
      }
    }
    for (const wake of this.#waiters) wake();
  }

  #onWorkerExit(worker: Worker, code: number | null, signal: string | null): void {
    const slot = this.#slots.get(worker.id);
    this.#slots.delete(worker.id);
    if (slot === undefined || this.#stopping) return;
    this.log.error(`worker ${slot.index + 1} (pid ${worker.process.pid}) exited (${signal ?? `code ${code}`}); starting a new one`);
    setTimeout(() => {
      if (!this.#stopping) this.#fork(slot.index);
    }, 200);
  }

  /**
   * Entities with a `ttl` (a plugin's credentials) leave the export when they expire, with no write to
   * announce it: a refresh is scheduled for that moment so that an expired key stops working on time.
   */
  #scheduleExpiry(nextExpiry: number | null): void {
    if (this.#expiryTimer !== null) clearTimeout(this.#expiryTimer);
    this.#expiryTimer = null;
    if (nextExpiry === null || this.#stopping) return;
    // Timers cannot wait longer than ~24.8 days; a later expiry is re-checked then.
    const delay = Math.min(Math.max(0, nextExpiry - Date.now()) + 10, 2 ** 31 - 1);
    this.#expiryTimer = setTimeout(() => {
      this.#expiryTimer = null;
      this.#scheduleRefresh();
    }, delay);
    this.#expiryTimer.unref();
  }

  /** Bursts of writes (an import, a script) are coalesced into one export and one push. */
  #scheduleRefresh(delayMs = 20): void {
    if (this.#refreshTimer !== null || this.#stopping) return;
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = null;
      this.#refresher.request();
    }, delayMs);
  }

  async #refreshFromStore(): Promise<void> {
    const store = this.store;
    if (store === null || this.#stopping) return;
    try {
      const { config, nextExpiry } = await store.exportSnapshot();
      this.#refreshFailures = 0;
      this.#scheduleExpiry(nextExpiry);
      const hash = md5(JSON.stringify(config));
      if (hash === this.#hash) return;
      this.#config = config;
      this.#hash = hash;
      this.health?.update(config);
      for (const slot of this.#slots.values()) this.#sendConfig(slot.worker);
      this.log.info(`configuration ${hash} from the database sent to the workers (${config.routes.length} routes)`);
      for (const listener of this.#configListeners) listener(config, hash);
    } catch (err) {
      // The write that triggered this refresh is committed and will not be announced again: keep trying.
      const retryMs = Math.min(REFRESH_RETRY_MAX_MS, 250 * 2 ** this.#refreshFailures++);
      this.log.error(`could not read the configuration from the database; the current one keeps serving, next try in ${retryMs} ms: ${(err as Error).message}`);
      this.#scheduleRefresh(retryMs);
    }
  }

  /** Resolves once every worker serves `hash`; rejects as soon as one fails to apply it, or after the timeout. */
  #waitForWorkers(hash: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.#hash !== hash) {
          cleanup();
          reject(new Error('superseded by a newer configuration'));
          return;
        }
        for (const slot of this.#slots.values()) {
          if (slot.failed?.hash === hash) {
            cleanup();
            reject(new Error(`worker ${slot.index + 1} could not apply configuration ${hash}: ${slot.failed.error}`));
            return;
          }
        }
        for (const slot of this.#slots.values()) if (slot.hash !== hash) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`workers did not apply configuration ${hash} within ${APPLY_TIMEOUT_MS / 1000} s`));
      }, APPLY_TIMEOUT_MS);
      const cleanup = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /**
   * Serves a configuration validated elsewhere (a data plane's, from its control plane) and resolves once
   * every worker serves it. Rejects when a newer one supersedes it or the workers time out.
   */
  async applyConfig(
    config: FlatConfig,
    hash: string,
    refusals: Record<string, string>,
    change?: { base: string; patch: WorkerConfigPatch },
  ): Promise<void> {
    this.#config = config;
    this.#hash = hash;
    this.#refusals = refusals;
    this.health?.update(config);
    const patch = change === undefined ? null : proxyRelevantPatch(change.patch);
    for (const slot of this.#slots.values()) {
      // A worker that serves the base gets only the change; any other gets everything.
      if (change !== undefined && patch !== null && slot.hash === change.base) {
        sendTo(slot.worker, { type: 'config-patch', base: change.base, hash, patch, refusals } satisfies SupervisorMessage);
      } else {
        this.#sendConfig(slot.worker);
      }
    }
    await this.#waitForWorkers(hash);
  }

  /** Per-service traffic counted by the workers since the last call (workers reset their counts). */
  collectTraffic(): Promise<Record<string, ServiceTelemetry>[]> {
    const slots = [...this.#slots.values()];
    if (slots.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const id = ++this.#statsSeq;
      const finish = (got: Record<string, ServiceTelemetry>[]) => {
        clearTimeout(timer);
        this.#trafficWaiters.delete(id);
        resolve(got);
      };
      const timer = setTimeout(() => finish(this.#trafficWaiters.get(id)?.got ?? []), 1000);
      this.#trafficWaiters.set(id, { pending: slots.length, got: [], done: finish });
      for (const slot of slots) sendTo(slot.worker, { type: 'traffic', id } satisfies SupervisorMessage);
    });
  }

  async loadConfig(request: ConfigLoadRequest): Promise<ConfigLoadOutcome> {
    if (this.settings.role === 'data_plane') {
      return { status: 'refused', message: 'this node is a data plane: its configuration comes from its control plane' };
    }
    if (this.store !== null) return { status: 'failed', message: 'this node uses a database; POST /config is for database = off' };
    if (this.#loading) return { status: 'busy' };
    this.#loading = true;
    try {
      // A large document is parsed off this event loop (see config-preparation.ts).
      const prepared = await prepareConfig(request, { currentHash: this.#hash, plugins: this.settings.plugins, registry: this.plugins });
      if (prepared.status !== 'valid') return prepared;
      const outcome = await this.#publish(prepared.config, prepared.hash);
      return outcome.status === 'loaded' && prepared.body !== undefined ? { ...outcome, body: prepared.body } : outcome;
    } catch (err) {
      return { status: 'failed', message: (err as Error).message };
    } finally {
      this.#loading = false;
    }
  }

  /**
   * Sends a validated configuration to every worker. When one cannot apply it (or they time out), the
   * previous configuration is restored everywhere — in what the Admin API shows and in every worker that
   * applied the new one — so that the Admin API never shows what the proxy does not serve.
   */
  async #publish(config: FlatConfig, hash: string): Promise<ConfigLoadOutcome> {
    const previous = { config: this.#config, hash: this.#hash, refusals: this.#refusals };
    this.#config = config;
    this.#hash = hash;
    this.health?.update(config);
    for (const slot of this.#slots.values()) this.#sendConfig(slot.worker);
    try {
      await this.#waitForWorkers(hash);
    } catch (err) {
      const message = (err as Error).message;
      if (this.#hash !== hash) return { status: 'failed', message };
      this.#config = previous.config;
      this.#hash = previous.hash;
      this.#refusals = previous.refusals;
      this.health?.update(previous.config);
      for (const slot of this.#slots.values()) if (slot.hash !== previous.hash) this.#sendConfig(slot.worker);
      this.log.error(`configuration ${hash} not loaded, configuration ${previous.hash} restored: ${message}`);
      try {
        await this.#waitForWorkers(previous.hash);
      } catch (restoreError) {
        this.log.error(`workers did not all return to configuration ${previous.hash}: ${(restoreError as Error).message}`);
      }
      return { status: 'failed', message: `${message}; the previous configuration keeps serving` };
    }
    this.log.notice(`configuration ${hash} loaded (${config.routes.length} routes, ${config.services.length} services)`);
    return { status: 'loaded', config, hash };
  }

  /** SIGHUP: re-read the declarative file; a bad file is logged and the old configuration keeps serving. */
  async reloadFromFile(): Promise<void> {
    const file = this.settings.declarative_config;
    if (this.settings.role === 'data_plane') {
      this.log.notice('SIGHUP received: a data plane takes its configuration from its control plane; nothing to reload');
      return;
    }
    if (file === null) {
      this.log.notice('SIGHUP received, but declarative_config is not set: nothing to reload');
      return;
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      this.log.error(`SIGHUP: could not read ${file}: ${(err as Error).message}; the current configuration keeps serving`);
      return;
    }
    const outcome = await this.loadConfig({ input: text, filename: file, flattenErrors: false, checkHash: true });
    if (outcome.status === 'invalid') {
      this.log.error(`SIGHUP: ${file} is invalid; the current configuration keeps serving: ${outcome.error.message}`);
    } else if (outcome.status === 'unchanged') {
      this.log.notice(`SIGHUP: ${file} is unchanged`);
    } else if (outcome.status !== 'loaded') {
      this.log.error(`SIGHUP: reload of ${file} did not complete: ${outcome.status === 'failed' ? outcome.message : outcome.status}`);
    }
  }

  async counters(): Promise<ServerCounters> {
    let accepted = 0, active = 0, requests = 0, inFlight = 0;
    for (const c of await this.#askWorkers()) {
      accepted += c.accepted;
      active += c.active;
      requests += c.requests;
      inFlight += c.inFlight;
    }
    return {
      connections_accepted: accepted,
      connections_active: active,
      connections_handled: accepted,
      connections_reading: 0,
      connections_writing: inFlight,
      connections_waiting: Math.max(0, active - inFlight),
      total_requests: requests,
    };
  }

  async workerReports(): Promise<WorkerReport[]> {
    const reports = (await this.#askWorkers()).map((c) => ({ pid: c.pid, heapUsed: c.heapUsed, timers: c.timers }));
    // The supervisor runs the Admin API, the health checks and the shared state: it is a worker in Kong's sense too.
    reports.unshift({ pid: process.pid, heapUsed: process.memoryUsage().heapUsed, timers: pendingTimers() });
    return reports;
  }

  /**
   * The node-wide stores, under the names of Kong's shared dictionaries: `kong_db_cache` is the bounded
   * entity cache; `kong` (Kong's node state: counters, locks) is the counter store, which has no bound of
   * its own, so its capacity is the heap it lives in (this process's V8 heap limit).
   */
  sharedDicts(): Record<string, { capacity: number; allocated: number }> {
    const cache = this.sharedState.cache;
    return {
      kong: { capacity: getHeapStatistics().heap_size_limit, allocated: this.sharedState.counters.approximateBytes() },
      kong_db_cache: { capacity: cache.limit, allocated: cache.bytes },
    };
  }

  /** Every worker's counters; a worker that does not answer within a second is left out. */
  #askWorkers(): Promise<WorkerCounters[]> {
    const slots = [...this.#slots.values()];
    if (slots.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const id = ++this.#statsSeq;
      const timer = setTimeout(() => {
        const w = this.#statsWaiters.get(id);
        this.#statsWaiters.delete(id);
        resolve(w?.got ?? []);
      }, 1000);
      this.#statsWaiters.set(id, {
        pending: slots.length,
        got: [],
        done: (got) => {
          clearTimeout(timer);
          this.#statsWaiters.delete(id);
          resolve(got);
        },
      });
      for (const slot of slots) sendTo(slot.worker, { type: 'stats', id } satisfies SupervisorMessage);
    });
  }

  /** SIGTERM/SIGINT: stop accepting, let in-flight requests finish within a bound, then exit. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.health?.stop();
    this.logLevels.stop();
    this.log.notice('stopping: no new connections; waiting for in-flight requests');
    for (const hook of this.#stopHooks) {
      try {
        await hook();
      } catch (err) {
        this.log.error(`while stopping: ${(err as Error).message}`);
      }
    }
    for (const server of this.#servers) {
      server.close();
      server.closeIdleConnections();
    }
    const exits = [...this.#slots.values()].map(
      (slot) =>
        new Promise<void>((resolve) => {
          if (slot.worker.isDead()) return resolve();
          slot.worker.once('exit', () => resolve());
          sendTo(slot.worker, { type: 'shutdown' } satisfies SupervisorMessage);
        }),
    );
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_TIMEOUT_MS + 2000).unref());
    await Promise.race([Promise.all(exits), deadline]);
    for (const slot of this.#slots.values()) if (!slot.worker.isDead()) slot.worker.process.kill('SIGKILL');
    if (this.#refreshTimer !== null) clearTimeout(this.#refreshTimer);
    if (this.#expiryTimer !== null) clearTimeout(this.#expiryTimer);
    await this.sharedState.close();
    this.#unwatch?.();
    await this.store?.close().catch(() => {});
    rmSync(join(this.settings.prefix, 'tollgate.pid'), { force: true });
    removeStatusListeners(this.settings.prefix);
    this.log.notice('stopped');
  }
}

/**
 * The error_template_* files, read when workers start (their paths were checked when the settings loaded);
 * a file removed since then is reported here rather than at the first error.
 */
function readErrorTemplates(s: Settings): { html?: string; json?: string; xml?: string; plain?: string } {
  const out: { html?: string; json?: string; xml?: string; plain?: string } = {};
  const paths = { html: s.error_template_html, json: s.error_template_json, xml: s.error_template_xml, plain: s.error_template_plain };
  for (const [format, path] of Object.entries(paths) as [keyof typeof paths, string | null][]) {
    if (path !== null) out[format] = readFileSync(path, 'utf8');
  }
  return out;
}

/** Sends to a worker that is still connected; one that died meanwhile is replaced when its 'exit' arrives. */
function sendTo(worker: Worker, msg: SupervisorMessage): void {
  if (worker.isConnected()) worker.send(msg);
}
