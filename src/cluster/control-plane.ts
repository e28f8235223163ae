/**
 * The control plane's side of hybrid mode: the mutual-TLS `cluster_listen` endpoint data planes dial, one
 * session per data plane, and the push of every configuration version as nothing, a delta or a full
 * snapshot. Payloads are built once per version (and once per delta base) by ConfigHistory, never once per
 * data plane.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import type { Settings } from '../config/settings-types.ts';
import type { Logger } from '../log/logger.ts';
import type { Store } from '../store/index.ts';
import { VERSION } from '../core/version.ts';
import { ConfigHistory, type ConfigHistoryMetrics, type PublishedVersion } from './config-history.ts';
import type { WireConfig } from './config-version.ts';
import { captureDataPlaneChains, controlPlaneServerOptions, verifyDataPlane, type ClusterTlsSettings, type PeerCheck } from './tls.ts';
import {
  CLOSE_CODES,
  configuredPlugins,
  HEARTBEAT_TIMEOUT_MS,
  parseDataPlaneMessage,
  SYNC_PATH,
  SYNC_SUBPROTOCOL,
  TELEMETRY_PATH,
  TELEMETRY_SUBPROTOCOL,
  versionIncompatibility,
  type HelloMessage,
  type SyncStatus,
  type TelemetryReport,
} from './protocol.ts';
import { clusterTrafficFrom, mergeClusterTraffic, TelemetryAggregator, type ClusterTraffic } from './telemetry.ts';
import { DataPlaneRegistry, type DataPlaneRecord } from './data-plane-registry.ts';

export type { DataPlaneRecord };

const EMPTY_HASH = '0'.repeat(32);
const HELLO_TIMEOUT_MS = 10_000;
const TELEMETRY_WRITE_DELAY_MS = 2000;

interface Session {
  ws: WebSocket;
  record: DataPlaneRecord;
  pluginSet: Set<string>;
  /** Hash of the configuration sent and not yet acknowledged, and when it was sent. */
  awaiting: { hash: string; sentAt: number } | null;
  /** A configuration whose apply failed: not re-sent until a newer version exists. */
  failedHash: string | null;
  heartbeat: NodeJS.Timeout | null;
}

export interface PushCounters {
  full: { count: number; bytes: number };
  delta: { count: number; bytes: number };
  /** Versions published. */
  versions: number;
}

export interface ControlPlaneOptions {
  settings: Settings;
  tls: ClusterTlsSettings;
  nodeId: string;
  log: Logger;
  /** Where control planes sharing a database keep their data planes' records (null: only in memory). */
  store?: () => Store | null;
}

export class ControlPlane {
  readonly #options: ControlPlaneOptions;
  readonly #log: Logger;
  readonly #history = new ConfigHistory();
  readonly #sessions = new Map<string, Session>();
  readonly #registry: DataPlaneRegistry;
  /** Publication time of every version still in the history, for lag in seconds. */
  readonly #versionTimes = new Map<string, { sequence: number; createdAt: number }>();
  readonly #wss: WebSocketServer;
  readonly #telemetryWss: WebSocketServer;
  readonly #servers: Server[] = [];
  readonly telemetry = new TelemetryAggregator();
  #telemetryTimer: NodeJS.Timeout | null = null;
  readonly counters: PushCounters = { full: { count: 0, bytes: 0 }, delta: { count: 0, bytes: 0 }, versions: 0 };

  constructor(options: ControlPlaneOptions) {
    this.#options = options;
    this.#log = options.log;
    this.#registry = new DataPlaneRegistry({
      nodeId: options.nodeId,
      store: options.store ?? (() => null),
      purgeDelaySeconds: options.settings.cluster_data_plane_purge_delay,
      log: options.log,
    });
    const common = { noServer: true, perMessageDeflate: false, maxPayload: options.settings.cluster_max_payload };
    this.#wss = new WebSocketServer({ ...common, handleProtocols: (protocols) => (protocols.has(SYNC_SUBPROTOCOL) ? SYNC_SUBPROTOCOL : false) });
    this.#telemetryWss = new WebSocketServer({
      ...common,
      handleProtocols: (protocols) => (protocols.has(TELEMETRY_SUBPROTOCOL) ? TELEMETRY_SUBPROTOCOL : false),
    });
  }

  async start(): Promise<Server[]> {
    const s = this.#options.settings;
    for (const l of s.cluster_listeners) {
      this.#servers.push(await this.#listen(l.ip, l.port, SYNC_PATH, (ws, req, check) => this.#onSync(ws, req, check)));
      this.#log.info(`cluster listener on ${l.listener}`);
    }
    for (const l of s.cluster_telemetry_listeners) {
      this.#servers.push(await this.#listen(l.ip, l.port, TELEMETRY_PATH, (ws, req) => this.#onTelemetry(ws, req)));
      this.#log.info(`cluster telemetry listener on ${l.listener}`);
    }
    return this.#servers;
  }

  #listen(
    ip: string,
    port: number,
    path: string,
    onSocket: (ws: WebSocket, req: IncomingMessage, check: PeerCheck & { ok: true }) => void,
  ): Promise<Server> {
    const server = createServer(controlPlaneServerOptions(this.#options.tls), (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('this endpoint only speaks WebSocket\n');
    });
    // Node forgets a client's intermediates once the handshake ends; they are needed for the depth and OCSP checks.
    captureDataPlaneChains(server);
    const wss = path === SYNC_PATH ? this.#wss : this.#telemetryWss;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.#upgrade(req, socket as TLSSocket, head, path, wss, onSocket);
    });
    // The peer's address is gone once a handshake fails, so it is noted when the connection opens.
    const peers = new WeakMap<object, string>();
    server.on('connection', (raw: Duplex & { remoteAddress?: string }) => peers.set(raw, raw.remoteAddress ?? 'unknown'));
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket & { _parent?: object }) => {
      const peer = socket.remoteAddress ?? (socket._parent !== undefined ? peers.get(socket._parent) : undefined) ?? 'a client';
      this.#log.warn(`cluster: TLS handshake with ${peer} failed: ${explainHandshakeFailure(err, this.#options.tls.mode)}`);
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: ip, port }, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  }

  async #upgrade(
    req: IncomingMessage,
    socket: TLSSocket,
    head: Buffer,
    path: string,
    wss: WebSocketServer,
    onSocket: (ws: WebSocket, req: IncomingMessage, check: PeerCheck & { ok: true }) => void,
  ): Promise<void> {
    const peer = socket.remoteAddress ?? 'unknown';
    const refuse = (status: number, reason: string) => {
      const body = `${reason}\n`;
      socket.end(`HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Not Found'}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    };
    if ((req.url ?? '').split('?')[0] !== path) return refuse(404, `unknown cluster endpoint ${req.url ?? ''}`);
    let check: PeerCheck;
    try {
      check = await verifyDataPlane(socket, this.#options.tls);
    } catch (err) {
      check = { ok: false, reason: `certificate check failed: ${(err as Error).message}` };
    }
    if (!check.ok) {
      this.#log.warn(`cluster: refused data plane at ${peer}: ${check.reason}`);
      return refuse(403, check.reason);
    }
    if (check.warning !== undefined) this.#log.warn(`cluster: data plane at ${peer}: ${check.warning}`);
    const accepted = check;
    wss.handleUpgrade(req, socket, head, (ws) => onSocket(ws, req, accepted));
  }

  /** A new configuration from the database: every connected data plane gets what it lacks. */
  publish(config: WireConfig): PublishedVersion | null {
    const t0 = performance.now();
    const version = this.#history.publish(config);
    if (version === null) return null;
    this.counters.versions++;
    this.#versionTimes.set(version.hash, { sequence: version.sequence, createdAt: version.createdAt });
    for (const hash of this.#versionTimes.keys()) if (this.#history.versionsBehind(hash) === null && hash !== version.hash) this.#versionTimes.delete(hash);
    const configured = configuredPlugins(version.config);
    for (const session of this.#sessions.values()) {
      this.#updateCompatibility(session, configured);
      this.#push(session);
    }
    this.#log.info(`cluster: configuration ${version.hash} (#${version.sequence}, ${version.entityCount} entities) published to ${this.#sessions.size} data plane(s) in ${(performance.now() - t0).toFixed(1)} ms`);
    return version;
  }

  /** Sizes and encoding times of the payloads built for the current version. */
  historyMetrics(): ConfigHistoryMetrics {
    return this.#history.metrics();
  }

  currentHash(): string {
    return this.#history.current()?.hash ?? EMPTY_HASH;
  }

  /** Every data plane known here or, through the shared database, to the other control planes. */
  async dataPlanes(): Promise<DataPlaneRecord[]> {
    const all = await this.#registry.list();
    return all.map((r) => ({ ...r, lag: this.#lag(r), in_sync: r.config_hash === this.currentHash() }));
  }

  #lag(r: DataPlaneRecord): DataPlaneRecord['lag'] {
    const current = this.#history.current();
    if (current === null || r.config_hash === current.hash) return { versions_behind: 0, seconds: 0 };
    const behind = this.#history.versionsBehind(r.config_hash);
    // The first version the data plane lacks: the one after its own, or (unknown base) the current one.
    const own = this.#versionTimes.get(r.config_hash);
    let firstMissing = current.createdAt;
    if (own !== undefined) {
      for (const v of this.#versionTimes.values()) if (v.sequence === own.sequence + 1) firstMissing = v.createdAt;
    }
    return { versions_behind: behind, seconds: Math.max(0, (Date.now() - firstMissing) / 1000) };
  }

  #onSync(ws: WebSocket, req: IncomingMessage, check: PeerCheck & { ok: true }): void {
    const ip = req.socket.remoteAddress ?? '';
    const helloTimer = setTimeout(() => ws.close(CLOSE_CODES.protocolViolation, 'no hello received'), HELLO_TIMEOUT_MS);
    ws.once('message', (data, isBinary) => {
      clearTimeout(helloTimer);
      const hello = isBinary ? null : parseDataPlaneMessage(data.toString());
      if (hello === null || hello.type !== 'hello') {
        this.#log.warn(`cluster: data plane at ${ip} did not start with a hello message; closing`);
        ws.close(CLOSE_CODES.protocolViolation, 'expected a hello message');
        return;
      }
      this.#onHello(ws, hello, ip, check);
    });
  }

  #onHello(ws: WebSocket, hello: HelloMessage, ip: string, check: PeerCheck & { ok: true }): void {
    const now = Date.now() / 1000;
    const previous = this.#registry.get(hello.node_id);
    const record: DataPlaneRecord = {
      id: hello.node_id,
      hostname: hello.hostname,
      ip,
      version: hello.version,
      labels: hello.labels,
      plugins: hello.plugins.map((p) => p.name).sort(),
      config_hash: hello.config_hash,
      last_seen: Math.floor(now),
      updated_at: Math.floor(now),
      sync_status: 'unknown',
      sync_status_reason: null,
      in_sync: false,
      connected: true,
      connected_since: Math.floor(now),
      disconnected_since: null,
      control_plane_id: this.#options.nodeId,
      missing_plugins: [],
      refused_routes: 0,
      last_apply_error: previous?.last_apply_error ?? null,
      lag: { versions_behind: null, seconds: 0 },
      last_push_ms: null,
      last_apply_ms: null,
      last_payload: null,
      cert_details: { expiry_timestamp: Math.floor(check.expiresAt / 1000), common_name: check.commonName },
    };
    this.#registry.set(record);

    const incompatible = versionIncompatibility(hello.version, VERSION);
    if (incompatible !== null) {
      record.sync_status = 'kong_version_incompatible';
      record.sync_status_reason = incompatible;
      record.connected = false;
      record.disconnected_since = record.connected_since;
      this.#log.error(`cluster: refused data plane ${record.id} (${record.hostname}, ${ip}): ${incompatible}`);
      this.#registry.persist(record);
      ws.send(JSON.stringify({ type: 'refused', sync_status: record.sync_status, reason: incompatible }));
      ws.close(CLOSE_CODES.incompatibleVersion, truncateReason(incompatible));
      return;
    }

    const stale = this.#sessions.get(record.id);
    if (stale !== undefined) {
      this.#log.notice(`cluster: data plane ${record.id} connected again; closing its previous session`);
      this.#detach(stale);
      stale.ws.close(CLOSE_CODES.replaced, 'replaced by a newer session');
    }
    const session: Session = { ws, record, pluginSet: new Set(record.plugins), awaiting: null, failedHash: null, heartbeat: null };
    this.#sessions.set(record.id, session);
    const current = this.#history.current();
    this.#updateCompatibility(session, current === null ? new Set() : configuredPlugins(current.config));
    this.#log.notice(`cluster: data plane ${record.id} (${record.hostname}, ${ip}, version ${record.version}) connected with configuration ${record.config_hash}`);

    ws.send(JSON.stringify({
      type: 'welcome',
      control_plane_id: this.#options.nodeId,
      version: VERSION,
      sync_status: record.sync_status,
      missing_plugins: record.missing_plugins,
    }));
    this.#alive(session);
    ws.on('ping', (payload: Buffer) => {
      const hash = payload.toString('latin1');
      if (/^[0-9a-f]{32}$/.test(hash)) record.config_hash = hash;
      this.#alive(session);
      this.#registry.persist(record, true);
    });
    ws.on('message', (data: RawData, isBinary: boolean) => this.#onMessage(session, data, isBinary));
    ws.on('close', () => this.#onClose(session));
    ws.on('error', (err) => this.#log.warn(`cluster: data plane ${record.id}: ${err.message}`));
    this.#registry.persist(record);
    this.#push(session);
  }

  #updateCompatibility(session: Session, configured: Set<string>): void {
    const r = session.record;
    r.missing_plugins = [...configured].filter((name) => !session.pluginSet.has(name)).sort();
    const status: SyncStatus = r.missing_plugins.length > 0 ? 'plugin_set_incompatible' : 'normal';
    if (status !== r.sync_status) {
      r.sync_status = status;
      r.sync_status_reason = status === 'normal' ? null
        : `the configuration uses plugins this data plane lacks: ${r.missing_plugins.join(', ')}; it refuses (503) the routes that use them and serves the rest`;
      if (status !== 'normal') this.#log.warn(`cluster: data plane ${r.id} (${r.hostname}): ${r.sync_status_reason}`);
      this.#registry.persist(r);
    }
  }

  #alive(session: Session): void {
    session.record.last_seen = Math.floor(Date.now() / 1000);
    if (session.heartbeat !== null) clearTimeout(session.heartbeat);
    session.heartbeat = setTimeout(() => {
      this.#log.warn(`cluster: data plane ${session.record.id} silent for ${HEARTBEAT_TIMEOUT_MS / 1000} s; dropping the connection`);
      session.ws.terminate();
    }, HEARTBEAT_TIMEOUT_MS);
    session.heartbeat.unref();
  }

  #onMessage(session: Session, data: RawData, isBinary: boolean): void {
    this.#alive(session);
    const r = session.record;
    const message = isBinary ? null : parseDataPlaneMessage(data.toString());
    if (message === null || message.type === 'hello') {
      this.#log.warn(`cluster: data plane ${r.id} sent a message this protocol does not know; closing`);
      session.ws.close(CLOSE_CODES.protocolViolation, 'unexpected message');
      return;
    }
    r.updated_at = Math.floor(Date.now() / 1000);
    if (message.type === 'resync') {
      this.#log.notice(`cluster: data plane ${r.id} asks for a full configuration: ${message.reason}`);
      r.config_hash = message.config_hash;
      session.awaiting = null;
      this.#push(session, true);
      return;
    }
    // applied
    if (session.awaiting !== null && session.awaiting.hash === message.target_hash) {
      r.last_push_ms = Date.now() - session.awaiting.sentAt;
    }
    session.awaiting = null;
    r.config_hash = message.config_hash;
    r.last_apply_ms = message.apply_ms;
    r.refused_routes = message.refused_routes;
    if (message.ok) {
      session.failedHash = null;
    } else {
      session.failedHash = message.target_hash;
      r.last_apply_error = { message: message.error ?? 'unknown error', config_hash: message.target_hash, at: Math.floor(Date.now() / 1000) };
      this.#log.error(`cluster: data plane ${r.id} (${r.hostname}) could not apply configuration ${message.target_hash}; it keeps serving ${message.config_hash}: ${message.error ?? ''}`);
    }
    this.#registry.persist(r);
    this.#push(session);
  }

  /** Sends the data plane what it lacks, unless a send is still unacknowledged (the ack triggers the next). */
  #push(session: Session, forceFull = false): void {
    const current = this.#history.current();
    const r = session.record;
    if (current === null || session.awaiting !== null) return;
    if (r.config_hash === current.hash || session.failedHash === current.hash) return;
    const plan = forceFull ? this.#history.planFor(null) : this.#history.planFor(r.config_hash);
    if (plan.kind === 'none') return;
    const limit = this.#options.settings.cluster_max_payload;
    if (plan.payload.length > limit) {
      // The data plane would drop the connection on it and reconnect forever; say so instead.
      session.failedHash = current.hash;
      const message = `the ${plan.kind} configuration is ${plan.payload.length} bytes compressed, over cluster_max_payload (${limit}); raise it on control and data planes`;
      r.last_apply_error = { message, config_hash: current.hash, at: Math.floor(Date.now() / 1000) };
      this.#registry.persist(r);
      this.#log.error(`cluster: not sending configuration ${current.hash} to ${r.id}: ${message}`);
      return;
    }
    session.awaiting = { hash: current.hash, sentAt: Date.now() };
    const bytes = plan.payload.length;
    r.last_payload = { kind: plan.kind, bytes };
    this.counters[plan.kind].count++;
    this.counters[plan.kind].bytes += bytes;
    const why = plan.kind === 'full' ? ` (${plan.reason})` : ` (${plan.changes} changes)`;
    this.#log.info(`cluster: sending ${plan.kind} configuration ${current.hash} to ${r.id}: ${bytes} bytes${why}`);
    session.ws.send(plan.payload, { binary: true });
  }

  #detach(session: Session): void {
    if (session.heartbeat !== null) clearTimeout(session.heartbeat);
    if (this.#sessions.get(session.record.id) === session) this.#sessions.delete(session.record.id);
  }

  #onClose(session: Session): void {
    const r = session.record;
    const wasCurrent = this.#sessions.get(r.id) === session;
    this.#detach(session);
    if (!wasCurrent) return;
    r.connected = false;
    r.disconnected_since = Math.floor(Date.now() / 1000);
    r.updated_at = r.disconnected_since;
    this.#registry.persist(r);
    this.#log.notice(`cluster: data plane ${r.id} (${r.hostname}) disconnected`);
  }

  #onTelemetry(ws: WebSocket, req: IncomingMessage): void {
    const ip = req.socket.remoteAddress ?? '';
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return;
      let report: TelemetryReport;
      try {
        report = JSON.parse(data.toString()) as TelemetryReport;
      } catch {
        return;
      }
      if (report.type !== 'telemetry' || typeof report.node_id !== 'string' || typeof report.services !== 'object' || report.services === null) {
        this.#log.warn(`cluster: malformed telemetry from ${ip}`);
        return;
      }
      this.telemetry.add(report);
      this.#scheduleTelemetryWrite();
    });
    ws.on('error', () => {});
  }

  /**
   * Shares this control plane's traffic totals through the database, at most every few seconds, so that
   * any control plane can show the whole cluster's traffic.
   */
  #scheduleTelemetryWrite(): void {
    if (this.#telemetryTimer !== null || (this.#options.store?.() ?? null) === null) return;
    this.#telemetryTimer = setTimeout(() => void this.#writeTelemetry(), TELEMETRY_WRITE_DELAY_MS);
    this.#telemetryTimer.unref();
  }

  async #writeTelemetry(): Promise<void> {
    this.#telemetryTimer = null;
    const store = this.#options.store?.() ?? null;
    if (store === null) return;
    try {
      await store.putTelemetry({ control_plane_id: this.#options.nodeId, updated_at: Date.now() / 1000, totals: this.telemetry.snapshot() as unknown as Record<string, unknown> });
    } catch (err) {
      this.#log.warn(`cluster: could not share telemetry through the database: ${(err as Error).message}`);
    }
  }

  /** Traffic reported by every data plane of the cluster: this control plane's and, through the database, the others'. */
  async clusterTraffic(): Promise<ClusterTraffic> {
    const own = this.telemetry.snapshot();
    const store = this.#options.store?.() ?? null;
    if (store === null) return own;
    try {
      const since = Date.now() / 1000 - this.#options.settings.cluster_data_plane_purge_delay;
      const others = (await store.listTelemetry(since)).filter((e) => e.control_plane_id !== this.#options.nodeId);
      return mergeClusterTraffic([own, ...others.map((e) => clusterTrafficFrom(e.totals))]);
    } catch (err) {
      this.#log.warn(`cluster: could not read other control planes' telemetry from the database: ${(err as Error).message}`);
      return own;
    }
  }

  async stop(): Promise<void> {
    if (this.#telemetryTimer !== null) {
      clearTimeout(this.#telemetryTimer);
      await this.#writeTelemetry();
    }
    for (const session of [...this.#sessions.values()]) {
      this.#detach(session);
      session.record.connected = false;
      session.record.disconnected_since = Math.floor(Date.now() / 1000);
      this.#registry.persist(session.record);
      session.ws.close(CLOSE_CODES.shuttingDown, 'control plane shutting down');
    }
    await this.#registry.flush();
    for (const ws of this.#telemetryWss.clients) ws.terminate();
    for (const server of this.#servers) {
      server.close();
      server.closeAllConnections();
    }
  }
}

/** Close reasons are limited to 123 bytes by the WebSocket protocol. */
function truncateReason(reason: string): string {
  return Buffer.byteLength(reason) <= 123 ? reason : `${Buffer.from(reason).subarray(0, 120).toString()}...`;
}

/** Why a data plane's TLS handshake failed, in words an operator can act on. */
function explainHandshakeFailure(err: NodeJS.ErrnoException, mode: 'shared' | 'pki'): string {
  if (err.code === 'ECONNRESET' || /socket hang up/.test(err.message)) {
    const hint = mode === 'shared'
      ? 'in shared mode this means it holds a different cluster certificate than this control plane'
      : 'check that it trusts the CA that signed this control plane\'s certificate and expects its name (cluster_server_name)';
    return `the data plane ended the handshake, it does not accept this control plane's certificate (${hint})`;
  }
  return `${err.message}${err.code !== undefined ? ` (${err.code})` : ''}`;
}
