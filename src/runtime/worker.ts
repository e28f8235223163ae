import { instrumentationMask, type TracingOptions } from '../tracing/instrumentations.ts';
import { traceDaoCalls, traceQueries } from '../tracing/db-query.ts';
import { traceOutboundCalls } from '../tracing/outbound.ts';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { listenMaybeProxied } from '../core/proxy-protocol-listener.ts';
import type { SecureContext, TLSSocket } from 'node:tls';
import { runCertificatePhase } from '../proxy/certificate-phase.ts';
import { serverTlsOptions } from '../tls/listener-tls.ts';
import { createSecureServer as createHttp2SecureServer, type ServerHttp2Session } from 'node:http2';
import { ConnectionPools } from '../balancer/connection-pools.ts';
import { createDnsLookup, type LookupFunction } from '../balancer/dns-lookup.ts';
import { compileIpMatcher } from '../core/cidr.ts';
import { createLogger, errorLogWriter, type Logger, type LogLevel } from '../log/logger.ts';
import { AccessLog } from '../log/access-log.ts';
import { openLogSink } from '../log/file-sink.ts';
import { ProxyCore } from '../proxy/handler.ts';
import type { ProxyOptions } from '../proxy/options.ts';
import { configureErrorTemplates } from '../proxy/error-response.ts';
import { applyHealth, compileSnapshot, EMPTY_HASH } from '../snapshot/compile.ts';
import type { HealthOutcome } from '../health/target-health.ts';
import { registerPlugins } from '../entities/index.ts';
import { loadNodePlugins } from '../plugins/external/node-plugins.ts';
import { setNodeDatabaseKind, setPluginDatabase, type PluginHandler } from '../pdk/index.ts';
import { openPluginDatabase } from './plugin-database.ts';
import type { RouterFlavor } from '../router/types.ts';
import type { RouteMatchCalculation } from '../router/index.ts';
import { TrafficCounter } from '../proxy/traffic.ts';
import type { ListenerSpec, SupervisorMessage, WorkerInit, WorkerMessage } from './messages.ts';
import { applyWorkerPatch } from './config-patch.ts';
import { PluginDbClient } from './plugin-db-client.ts';
import { pendingTimers } from './process-stats.ts';
import { maybeNodeServices, startWorkerNodeServices, stopWorkerNodeServices } from '../shared-state/index.ts';
import type { SnapshotInput } from '../snapshot/types.ts';
import type { FieldDef } from '../schema/index.ts';
import { VaultResolver, type VaultEntityFields } from '../vaults/resolver.ts';
import { resolveConfigReferences } from '../vaults/resolve-config.ts';
import { drainAll as drainLogPlugins } from '../plugins/shared/worker-exit.ts';
import { openStreamListeners, type StreamListenerHandle } from '../stream/listeners.ts';
import { streamAccessLog, streamAccessLogPath } from '../stream/access-log.ts';

/**
 * A proxy worker: listens on the proxy ports, compiles each configuration it is sent into a snapshot and
 * swaps it in. It holds no configuration source of its own; the supervisor is its only input.
 */

function send(msg: WorkerMessage): void {
  // After the supervisor is gone a send would raise an error event; the worker is shutting down then anyway.
  if (process.connected) process.send?.(msg);
}

/** `kong.db` calls wait at most this long for the supervisor's answer. */
const DB_TIMEOUT_MS = 30_000;

/** The worker's `kong.db`: calls run by the supervisor against the node's store. */
const dbClient = new PluginDbClient(send, DB_TIMEOUT_MS);

const EMPTY_INPUT: SnapshotInput = { services: [], routes: [], upstreams: [], targets: [], plugins: [], consumers: [] };

export function runWorker(): void {
  let core: ProxyCore | null = null;
  let pools: ConnectionPools | null = null;
  let dnsLookup: LookupFunction | null = null;
  let flavor: RouterFlavor = 'traditional_compatible';
  let routeMatchCalculation: RouteMatchCalculation = 'strict';
  let servers: Server[] = [];
  let log = createLogger({ level: 'notice', worker: 0 });
  let shutdownTimeout = 10_000;
  let handlers: ReadonlyMap<string, PluginHandler> = new Map();
  /** The enabled plugins' `config` definitions: where their referenceable fields are. */
  let pluginConfigs: ReadonlyMap<string, FieldDef> = new Map();
  /** Vault references resolve in each worker, from its own environment (a data plane's, not its control plane's). */
  const vaults = new VaultResolver(process.env);
  let rotation: NodeJS.Timeout | null = null;
  let traffic: TrafficCounter | null = null;
  /** The configuration this worker serves (references unresolved), kept so that a patch can be applied to it. */
  let served: { input: SnapshotInput; hash: string; refusals: Record<string, string> | undefined } | null = null;
  /** Targets the supervisor's health checks find unhealthy; every snapshot's balancers skip them. */
  let unhealthy: ReadonlySet<string> = new Set();
  /** Passive health outcomes not yet sent: one message per event-loop turn, not one per request. */
  const healthReports: [string, string, HealthOutcome][] = [];
  const flushHealthReports = (): void => send({ type: 'health-report', reports: healthReports.splice(0) });
  const reportHealth = (upstreamId: string, target: string, outcome: HealthOutcome): void => {
    if (healthReports.push([upstreamId, target, outcome]) === 1) setImmediate(flushHealthReports);
  };

  /** Re-reads secrets when their ttl is up; a changed one recompiles the configuration being served. */
  const scheduleRotation = (): void => {
    if (rotation !== null) clearTimeout(rotation);
    rotation = null;
    const due = vaults.nextDue();
    if (due === null) return;
    rotation = setTimeout(() => {
      rotation = null;
      if (served !== null && vaults.refresh()) {
        log.notice(`a secret referenced by configuration ${served.hash} changed; recompiling`);
        apply(served.input, served.hash, served.refusals, false);
      } else {
        scheduleRotation();
      }
    }, Math.max(1000, due - Date.now()));
    rotation.unref();
  };

  const apply = (input: SnapshotInput, hash: string, refusals: Record<string, string> | undefined, report = true): void => {
    if (core === null || pools === null) return;
    const t0 = performance.now();
    try {
      vaults.setVaults((input.vaults ?? []) as readonly VaultEntityFields[]);
      const resolved = resolveConfigReferences(input, vaults, pluginConfigs);
      for (const error of resolved.errors) log.error(error);
      const next = compileSnapshot(resolved.input, {
        flavor,
        routeMatchCalculation,
        pools,
        hash,
        handlers,
        refusals,
        previousCertificates: core.snapshot.certificates,
        previousBalancers: core.snapshot.balancers,
        onCertificateError: (id, error) => log.error(`certificate ${id} could not be loaded, its SNIs get the default certificate: ${error.message}`),
      });
      applyHealth(next, unhealthy);
      core.swap(next);
      pools.retainOnly(next.poolKeys);
      served = { input, hash, refusals };
      scheduleRotation();
      const ms = performance.now() - t0;
      log.debug(`configuration ${hash} applied in ${ms.toFixed(1)} ms (${next.routeCount} routes)`);
      if (report) send({ type: 'applied', hash, ms });
    } catch (err) {
      const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
      log.error(`could not apply configuration ${hash}; the previous one keeps serving: ${text}`);
      if (report) send({ type: 'apply-failed', hash, error: text });
    }
  };

  const initialize = (msg: WorkerInit, workerPools: ConnectionPools): void => {
    core = new ProxyCore(
      compileSnapshot(EMPTY_INPUT, { flavor, routeMatchCalculation, pools: workerPools, hash: EMPTY_HASH, handlers }),
      proxyOptions(msg, (message) => log.error(message), reportHealth, (level, message) => writeLog(log, level, message)),
      msg.accessLog === 'off' ? null : new AccessLog(openLogSink(msg.accessLog, msg.prefix), msg.accessLogFormat),
    );
    core.pools = workerPools;
    if (msg.countTraffic) {
      traffic = new TrafficCounter();
      core.traffic = traffic;
    }
    if (msg.sharedState !== null) startNodeServices(msg.sharedState, core);
    setNodeDatabaseKind(msg.databaseKind);
    if (msg.pluginDatabase !== null) setPluginDatabase(traceQueries(openPluginDatabase(msg.pluginDatabase)));
    traceOutboundCalls(core.options.tracing?.mask ?? 0);
    const started = core;
    initPlugins(handlers, log)
      .then(async () => {
        const opened = await listenAll(started, msg);
        const specs = msg.streamListeners ?? [];
        const streamLog = specs.length === 0 || (msg.streamAccessLog ?? 'off') === 'off' ? null : streamAccessLog(openLogSink(streamAccessLogPath(msg.streamAccessLog), msg.prefix));
        streamListeners = await openStreamListeners(
          specs,
          { snapshot: () => started.snapshot, reportHealth, log: (level, message) => (level === 'error' ? log.error(message) : log.info(message)), accessLog: streamLog, lookup: dnsLookup },
          msg.tls,
        );
        return opened;
      })
      .then(
      (s) => {
        servers = s;
        send({ type: 'listening' });
      },
      (err: Error) => {
        log.crit(`could not open proxy listener: ${err.message}`);
        send({ type: 'listen-failed', error: err.message });
        process.exit(1);
      },
    );
  };

  /** Set while external plugins load at init: messages that arrive meanwhile wait for it, in order. */
  let loading: Promise<void> | null = null;
  const onMessage = (msg: SupervisorMessage): void => {
    switch (msg.type) {
      case 'init': {
        log = createLogger({ level: msg.logLevel as LogLevel, worker: msg.workerIndex, write: errorLogWriter(msg.errorLog, msg.prefix) });
        flavor = msg.flavor;
        routeMatchCalculation = msg.routeMatchCalculation;
        shutdownTimeout = msg.shutdownTimeout;
        vaults.setNodeDefaults(msg.vaults);
        // One resolver (and cache) for the worker's HTTP and stream upstream connections.
        dnsLookup = msg.dns === null ? null : createDnsLookup(msg.dns);
        const workerPools = new ConnectionPools({ ...msg.pool, lookup: dnsLookup });
        pools = workerPools;
        loading = workerHandlers(msg).then(
          (loaded) => {
            loading = null;
            handlers = loaded.handlers;
            pluginConfigs = loaded.configs;
            initialize(msg, workerPools);
          },
          (err: Error) => {
            log.crit(`could not load plugins: ${err.message}`);
            send({ type: 'listen-failed', error: err.message });
            process.exit(1);
          },
        );
        break;
      }
      case 'config':
        apply(msg.config, msg.hash, msg.refusals);
        break;
      case 'health':
        unhealthy = new Set(msg.unhealthy);
        if (core !== null) applyHealth(core.snapshot, unhealthy);
        break;
      case 'config-patch':
        if (served === null || served.hash !== msg.base) {
          send({ type: 'need-full', hash: msg.hash });
          break;
        }
        apply(applyWorkerPatch(served.input, msg.patch), msg.hash, msg.refusals);
        break;
      case 'db-reply':
        dbClient.onReply(msg);
        break;
      case 'shutdown':
        shutdown(servers, pools, shutdownTimeout);
        break;
      case 'log-level':
        log.level = msg.level as LogLevel;
        break;
      case 'stats':
        send({
          type: 'stats',
          id: msg.id,
          counters: {
            accepted: core?.connectionsAccepted ?? 0,
            active: core?.connectionsActive ?? 0,
            requests: core?.requests ?? 0,
            inFlight: core?.inFlight ?? 0,
            pid: process.pid,
            heapUsed: process.memoryUsage().heapUsed,
            timers: pendingTimers(),
          },
        });
        break;
      case 'traffic':
        send({ type: 'traffic', id: msg.id, services: traffic?.take().services ?? {} });
        break;
    }
  };
  process.on('message', (msg: SupervisorMessage) => {
    if (loading !== null) void loading.then(() => onMessage(msg));
    else onMessage(msg);
  });
  // The supervisor going away (crash, kill -9) must not leave orphan workers holding the ports.
  process.on('disconnect', () => shutdown(servers, pools, shutdownTimeout));
}

/**
 * Handlers of the enabled plugins only (a plugin entity for a disabled plugin, say in a database, never runs),
 * external ones loaded here from the same settings as the supervisor's.
 */
async function workerHandlers(init: WorkerInit): Promise<{ handlers: ReadonlyMap<string, PluginHandler>; configs: ReadonlyMap<string, FieldDef> }> {
  const { enabled } = await loadNodePlugins({ plugins: init.plugins, plugin_paths: init.pluginPaths, pluginServers: init.pluginServers });
  // The enabled plugins' entities too, so this worker knows the collections it is sent.
  registerPlugins(enabled);
  return {
    handlers: new Map(enabled.map((p) => [p.handler.name, p.handler])),
    configs: new Map(enabled.map((p) => [p.schema.name, p.schema.config])),
  };
}

/**
 * Connects this worker to the node's shared state, once, before any plugin runs; `nodeServices()` (from
 * src/shared-state/index.ts) returns it from then on. The worker's request total is folded into the node's
 * metrics at each push, so the request path pays nothing for it.
 */
function startNodeServices(sharedState: { path: string; token: string; soleWorker: boolean }, core: ProxyCore): void {
  let reported = 0;
  let requests: { inc(labels: readonly string[], by?: number): void } | null = null;
  const client = startWorkerNodeServices({
    ...sharedState,
    beforePush: () => {
      const now = core.requests;
      if (now > reported) requests!.inc([], now - reported);
      reported = now;
    },
  });
  requests = client.metrics.counter({ name: 'tollgate_proxy_requests_total', help: 'Requests received by the proxy workers of this node.' });
}

/**
 * Runs each enabled plugin's `init_worker` once, before the worker listens (Kong's init_worker phase). A
 * failure is logged with the plugin's name; the worker still serves, and that plugin's phases run as they can.
 */
async function initPlugins(handlers: ReadonlyMap<string, PluginHandler>, log: Logger): Promise<void> {
  const services = maybeNodeServices();
  for (const handler of handlers.values()) {
    if (handler.init_worker === undefined) continue;
    if (services === null) {
      log.error(`plugin '${handler.name}': init_worker skipped, this node has no shared state`);
      continue;
    }
    try {
      await handler.init_worker(services);
    } catch (err) {
      log.error(`plugin '${handler.name}' failed in init_worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
}

/** Writes a plugin's log line at one of Kong's levels (alert and emerg are logged as crit). */
function writeLog(log: Logger, level: string, message: string): void {
  switch (level) {
    case 'debug':
      log.debug(message);
      return;
    case 'info':
      log.info(message);
      return;
    case 'notice':
      log.notice(message);
      return;
    case 'warn':
      log.warn(message);
      return;
    case 'error':
      log.error(message);
      return;
    default:
      log.crit(message);
  }
}

/** Most bytes of a request body a plugin may read. */
const MAX_PLUGIN_BODY_BYTES = 8 * 1024 * 1024;

function proxyOptions(
  init: WorkerInit,
  logUpstreamError: (message: string) => void,
  reportHealth: (upstreamId: string, target: string, outcome: HealthOutcome) => void,
  logAt: (level: string, message: string) => void,
): ProxyOptions {
  const isTrusted = compileIpMatcher(init.trustedIps);
  const hostPorts = init.hostPorts.length === 0 ? null : new Map(init.hostPorts);
  configureErrorTemplates(init.errorTemplates);
  return {
    logUpstreamError,
    logPluginError: (message) => logAt('error', message),
    pdk: {
      get services() {
        return maybeNodeServices();
      },
      nodeId: init.nodeId,
      hostname: init.hostname,
      syslogSocket: init.syslogSocket,
      isTrusted,
      log: logAt,
      maxBodyBytes: MAX_PLUGIN_BODY_BYTES,
      // Kong's DAO calls are connector queries: traced on a node with a database (`db_query`).
      db: init.databaseKind === 'postgres' || init.databaseKind === 'sqlite' ? traceDaoCalls(dbClient.db, init.databaseKind) : dbClient.db,
      tracingSamplingRate: init.tracing?.samplingRate ?? 0.01,
      hostPorts,
      argLimits: init.argLimits,
    },
    reportHealth,
    isTrusted,
    realIpHeader: init.realIpHeader.toLowerCase() === 'proxy_protocol' ? null : init.realIpHeader.toLowerCase(),
    realIpRecursive: init.realIpRecursive,
    downstream: init.downstream,
    upstreamRequestId: init.upstreamRequestId,
    errorDefaultType: init.errorDefaultType,
    hostPorts,
    allowDebugHeader: init.allowDebugHeader,
    shutdownTimeout: init.shutdownTimeout,
    tracing: tracingOptions(init.tracing),
  };
}

/** The node's tracing settings, or null when no instrumentation is on (then requests carry no trace). */
function tracingOptions(tracing: WorkerInit['tracing'] | undefined): TracingOptions | null {
  const mask = tracing === undefined ? 0 : instrumentationMask(tracing.instrumentations);
  return mask === 0 ? null : { mask, samplingRate: tracing!.samplingRate };
}

async function listenAll(core: ProxyCore, init: WorkerInit): Promise<Server[]> {
  const servers: Server[] = [];
  for (const spec of init.listeners) {
    if (spec.ssl && init.tls === null) continue;
    servers.push(await listen(core, spec, init));
  }
  return servers;
}

function listen(core: ProxyCore, spec: ListenerSpec, init: WorkerInit): Promise<Server> {
  const serverOptions = {
    keepAliveTimeout: 60_000,
    headersTimeout: 60_000,
    requestTimeout: 0,
    noDelay: true,
    maxHeaderSize: 32 * 1024,
    // A request without Content-Length or Transfer-Encoding has no body (RFC 9112 §6.3): Node then skips the
    // request stream's life cycle, which the proxy never reads for such requests.
    optimizeEmptyRequests: true,
  };
  // The listener's certificate is the default; `certificates` with matching `snis` are served by name, from
  // whichever snapshot is current when the handshake starts.
  const tlsOptions = {
    cert: init.tls?.cert,
    key: init.tls?.key,
    // Versions, ciphers, DH parameters and session settings (`ssl_cipher_suite` and friends). A context chosen
    // by SNI below switches only the certificate: OpenSSL keeps these from the listener's own context.
    ...(init.tls === null ? {} : serverTlsOptions(init.tls.policy)),
    // A function, not an arrow: Node calls it on the TLS socket of the handshake.
    SNICallback(this: TLSSocket, servername: string, done: (err: Error | null, context?: SecureContext) => void): void {
      const pick = (failure: Error | null): void => (failure === null ? done(null, core.snapshot.certificates.contextFor(servername)) : done(failure));
      const ran = runCertificatePhase(core, this, servername);
      if (ran instanceof Promise) ran.then(pick);
      else pick(ran);
    },
  };
  // `http2` listeners speak HTTP/2 over TLS (ALPN h2) and still accept HTTP/1.1 clients.
  const server: Server = spec.ssl
    ? spec.http2
      ? (createHttp2SecureServer({ ...tlsOptions, allowHTTP1: true }) as unknown as Server)
      : createHttpsServer({ ...serverOptions, ...tlsOptions })
    : createHttpServer(serverOptions);
  if (spec.ssl && spec.http2) {
    const sessions = new Set<ServerHttp2Session>();
    h2Sessions.set(server, sessions);
    server.on('session', (session: ServerHttp2Session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
    });
  }
  server.on('request', core.handleRequest);
  server.on(spec.ssl ? 'secureConnection' : 'connection', core.handleConnection);
  // A client that sends no server name never reaches SNICallback: global plugins' certificate phase then runs
  // once the handshake is done (it can no longer choose the certificate, but it still sees every connection).
  if (spec.ssl) server.on('secureConnection', (socket: TLSSocket) => certificatePhaseWithoutSni(core, socket));
  server.on('upgrade', core.handleUpgrade);
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer; bytesParsed?: number }, socket) => {
    if (socket.writable && err.code !== 'ECONNRESET') {
      socket.end(requestLineTooLong(err) ? URI_TOO_LONG : BAD_REQUEST);
    } else {
      socket.destroy();
    }
  });
  // On a `proxy_protocol` entry a TCP server listens and passes connections on once their header is read.
  return listenMaybeProxied(server, spec, spec.ssl, {
    backlog: spec.backlog ?? 511,
    // SO_REUSEPORT lets the kernel spread connections over the workers' own sockets; with port 0 the
    // workers must share one socket instead, or each would get a different port.
    reusePort: spec.reuseport && spec.port !== 0,
  });
}

/** The certificate phase for a TLS connection whose client sent no server name (see listen()). */
function certificatePhaseWithoutSni(core: ProxyCore, socket: TLSSocket): void {
  if (typeof socket.servername === 'string' && socket.servername !== '') return;
  const ran = runCertificatePhase(core, socket, '');
  const verdict = (failure: Error | null): void => {
    if (failure !== null) socket.destroy(failure);
  };
  if (ran instanceof Promise) ran.then(verdict);
  else verdict(ran);
}

const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';
const URI_TOO_LONG = 'HTTP/1.1 414 Request-URI Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

/**
 * Whether a head over maxHeaderSize overflowed in its request line (nginx answers 414 there, 400 for long
 * headers). Node reports only the read in which the limit was crossed: with no line end before the failure
 * point in it, the request line is taken to be still going (a header value longer than a whole read would
 * also look so).
 */
function requestLineTooLong(err: NodeJS.ErrnoException & { rawPacket?: Buffer; bytesParsed?: number }): boolean {
  if (err.code !== 'HPE_HEADER_OVERFLOW' || !Buffer.isBuffer(err.rawPacket)) return false;
  const end = Math.min(err.rawPacket.length, err.bytesParsed ?? err.rawPacket.length);
  const lineEnd = err.rawPacket.indexOf('\n');
  return lineEnd === -1 || lineEnd >= end;
}

let stopping = false;
/** The worker's `stream_listen` sockets; closed with the HTTP listeners at shutdown. */
let streamListeners: StreamListenerHandle[] = [];
/** Longest a stopping worker waits for its log queues to be sent. */
const LOG_DRAIN_MS = 5000;

/** HTTP/2 sessions per server: they have no idle-connection API, so shutdown sends each a GOAWAY. */
const h2Sessions = new WeakMap<Server, Set<ServerHttp2Session>>();

function closeIdle(server: Server): void {
  const sessions = h2Sessions.get(server);
  // close() lets the session's open streams finish, then ends it.
  if (sessions !== undefined) for (const session of sessions) session.close();
  else server.closeIdleConnections();
}

function closeAll(server: Server): void {
  const sessions = h2Sessions.get(server);
  if (sessions !== undefined) for (const session of sessions) session.destroy();
  else server.closeAllConnections();
}

function shutdown(servers: Server[], pools: ConnectionPools | null, timeout: number): void {
  if (stopping) return;
  stopping = true;
  let open = servers.length;
  const finish = () => {
    // Log entries still queued or buffered go out before the worker leaves (as Kong's queues do), within a bound.
    void drainLogPlugins(Math.min(timeout, LOG_DRAIN_MS)).finally(() => {
      stopWorkerNodeServices();
      pools?.closeAll().finally(() => process.exit(0));
    });
  };
  // Streams have no request boundary to finish at: new ones are refused now, open ones are cut when the worker exits.
  for (const listener of streamListeners) listener.close();
  if (open === 0) finish();
  for (const server of servers) {
    server.close(() => {
      if (--open === 0) finish();
    });
    // In-flight requests finish; keep-alive connections go as soon as they are idle.
    closeIdle(server);
  }
  const sweep = setInterval(() => {
    for (const server of servers) closeIdle(server);
  }, 100);
  sweep.unref();
  setTimeout(() => {
    for (const server of servers) closeAll(server);
    process.exit(0);
  }, timeout).unref();
}
