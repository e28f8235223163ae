/**
 * The data plane's side of hybrid mode: dials a control plane over mutual TLS (failing over between the
 * listed ones, with jittered exponential back-off), says which configuration it serves, and applies what
 * it is sent — a delta on top of its replica, or a full snapshot — acknowledging every attempt. It never
 * applies a configuration it could not verify: a delta that does not produce the announced hash triggers a
 * request for a full snapshot.
 */
import type { Agent } from 'node:https';
import WebSocket, { type RawData } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../log/logger.ts';
import { ConfigReplica, SyncError } from './config-replica.ts';
import { decodeConfigMessage, type ConfigMessage, type DeltaConfigMessage } from './payload.ts';
import { dataPlaneWebSocketOptions, describeTlsError, type ClusterTlsSettings } from './tls.ts';
import { splitEndpoint } from './cluster-tls-settings.ts';
import {
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_TIMEOUT_MS,
  parseControlPlaneMessage,
  SYNC_PATH,
  SYNC_SUBPROTOCOL,
  type AppliedMessage,
  type HelloMessage,
  type SyncStatus,
} from './protocol.ts';

const BACKOFF_BASE_MS = 1000;
const BACKOFF_MAX_MS = 30_000;

/**
 * Back-off before the `attempt`-th retry round (0-based): 1 s doubling up to 30 s, with "equal jitter" (a
 * random point in the upper half), so that data planes that lost the same control plane spread out but
 * none waits much less than the back-off. `random` is in [0, 1).
 */
export function reconnectDelay(attempt: number, random: number): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16));
  return ceiling / 2 + random * (ceiling / 2);
}

export interface ApplyOutcome {
  ok: boolean;
  error: string | null;
  /** Routes refused because they use plugins this node lacks. */
  refusedRoutes: number;
}

export interface DataPlaneLinkOptions {
  endpoints: readonly string[];
  tls: ClusterTlsSettings;
  hello: Omit<HelloMessage, 'type' | 'config_hash'>;
  maxPayload: number;
  log: Logger;
  /** What the node serves at start (its cache, or its declarative file), as a replica to apply deltas to. */
  initial: ConfigReplica;
  /**
   * Validates and serves a configuration; resolves once every worker serves it (or it was refused). `delta`
   * is the change that produced it from the replica served now, when it came as one.
   */
  apply(replica: ConfigReplica, delta: DeltaConfigMessage | null): Promise<ApplyOutcome>;
  /** Opens the connections (a tunnel through `proxy_server` with `cluster_use_proxy`); absent: direct. */
  agent?: Agent;
  /** Test seam: back-off multiplier (1 in production). */
  backoffScale?: number;
}

/** What `/clustering/status` on the data plane shows about its link. */
export interface LinkStatus {
  connected: boolean;
  control_plane: string | null;
  control_plane_id: string | null;
  /** Seconds since the epoch when `connected` last changed. */
  since: number;
  config_hash: string;
  sequence: number;
  sync_status: SyncStatus;
  missing_plugins: string[];
  last_sync_at: number | null;
  last_error: string | null;
  reconnect_attempts: number;
}

export class DataPlaneLink {
  readonly #o: DataPlaneLinkOptions;
  #replica: ConfigReplica;
  #ws: WebSocket | null = null;
  #endpointIndex = 0;
  #attempts = 0;
  #stopped = false;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #pingTimer: NodeJS.Timeout | null = null;
  #deadline: NodeJS.Timeout | null = null;
  #applying: Promise<void> = Promise.resolve();
  readonly #status: LinkStatus;

  constructor(options: DataPlaneLinkOptions) {
    this.#o = options;
    this.#replica = options.initial;
    this.#status = {
      connected: false,
      control_plane: null,
      control_plane_id: null,
      since: Math.floor(Date.now() / 1000),
      config_hash: this.#replica.hash,
      sequence: this.#replica.sequence,
      sync_status: 'unknown',
      missing_plugins: [],
      last_sync_at: null,
      last_error: null,
      reconnect_attempts: 0,
    };
  }

  status(): LinkStatus {
    return { ...this.#status, config_hash: this.#replica.hash, sequence: this.#replica.sequence };
  }

  start(): void {
    this.#connect();
  }

  #connect(): void {
    if (this.#stopped) return;
    const endpoint = this.#o.endpoints[this.#endpointIndex % this.#o.endpoints.length];
    const { host, port } = splitEndpoint(endpoint);
    const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const log = this.#o.log;
    log.debug(`cluster: connecting to control plane ${endpoint}`);
    const ws = new WebSocket(`wss://${authority}${SYNC_PATH}`, SYNC_SUBPROTOCOL, {
      ...dataPlaneWebSocketOptions(this.#o.tls, host),
      ...(this.#o.agent === undefined ? {} : { agent: this.#o.agent }),
      maxPayload: this.#o.maxPayload,
      perMessageDeflate: false,
      handshakeTimeout: 5000,
    });
    this.#ws = ws;
    let failure: string | null = null;

    ws.on('unexpected-response', (_req, res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk.slice(0, 2000)));
      res.on('end', () => {
        failure = `control plane ${endpoint} refused the connection (HTTP ${res.statusCode ?? '?'}): ${body.trim() || res.statusMessage || ''}`;
        ws.terminate();
      });
    });
    ws.on('error', (err) => {
      failure ??= `cannot reach control plane ${endpoint}: ${describeTlsError(err)}`;
    });
    ws.on('open', () => {
      this.#send({ type: 'hello', ...this.#o.hello, config_hash: this.#replica.hash });
      this.#alive();
      this.#pingTimer = setInterval(() => {
        if (ws.readyState === WebSocket.OPEN) ws.ping(Buffer.from(this.#replica.hash, 'latin1'));
      }, HEARTBEAT_INTERVAL_MS);
      this.#pingTimer.unref();
    });
    ws.on('pong', () => this.#alive());
    ws.on('ping', () => this.#alive());
    ws.on('message', (data: RawData, isBinary: boolean) => {
      this.#alive();
      if (isBinary) {
        const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
        // One apply at a time, in arrival order; a failure must not stop the ones after it.
        this.#applying = this.#applying
          .then(() => this.#onConfig(buffer))
          .catch((err: unknown) => log.error(`cluster: applying a configuration failed unexpectedly: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
        return;
      }
      const message = parseControlPlaneMessage(data.toString());
      if (message === null) {
        log.warn(`cluster: control plane ${endpoint} sent a message this protocol does not know`);
      } else if (message.type === 'welcome') {
        this.#attempts = 0;
        this.#status.connected = true;
        this.#status.control_plane = endpoint;
        this.#status.control_plane_id = message.control_plane_id;
        this.#status.since = Math.floor(Date.now() / 1000);
        this.#status.sync_status = message.sync_status;
        this.#status.missing_plugins = message.missing_plugins;
        this.#status.last_error = null;
        log.notice(`cluster: connected to control plane ${endpoint} (${message.control_plane_id}, version ${message.version}); serving configuration ${this.#replica.hash}`);
        if (message.missing_plugins.length > 0) {
          log.error(`cluster: the configuration uses plugins this data plane does not have (${message.missing_plugins.join(', ')}); the routes that use them answer 503`);
        }
      } else {
        failure = `control plane ${endpoint} refused this data plane (${message.sync_status}): ${message.reason}`;
        this.#status.sync_status = message.sync_status;
      }
    });
    ws.on('close', (code: number, reason: Buffer) => {
      const wasConnected = this.#status.connected;
      this.#clearTimers();
      if (this.#ws === ws) this.#ws = null;
      if (wasConnected) {
        this.#status.connected = false;
        this.#status.since = Math.floor(Date.now() / 1000);
      }
      const why = failure ?? `control plane ${endpoint} closed the connection (${code}${reason.length > 0 ? `: ${reason.toString()}` : ''})`;
      this.#status.last_error = why;
      if (this.#stopped) return;
      // Never silent: a refused or lost link is an error the operator must see; the node keeps serving.
      log.error(`cluster: ${why}; serving configuration ${this.#replica.hash} meanwhile`);
      this.#scheduleReconnect();
    });
  }

  #scheduleReconnect(): void {
    this.#endpointIndex++;
    const cycled = this.#endpointIndex % this.#o.endpoints.length === 0;
    // Other control planes are tried at once; after a full round, back off exponentially with jitter so that
    // a control plane restart does not meet every data plane at the same instant.
    let delay = 50;
    if (cycled) {
      delay = reconnectDelay(this.#attempts, Math.random());
      this.#attempts++;
    }
    this.#status.reconnect_attempts++;
    delay *= this.#o.backoffScale ?? 1;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.#connect();
    }, delay);
  }

  #alive(): void {
    if (this.#deadline !== null) clearTimeout(this.#deadline);
    const ws = this.#ws;
    this.#deadline = setTimeout(() => {
      this.#o.log.warn(`cluster: no word from the control plane for ${HEARTBEAT_TIMEOUT_MS / 1000} s; reconnecting`);
      ws?.terminate();
    }, HEARTBEAT_TIMEOUT_MS);
    this.#deadline.unref();
  }

  #clearTimers(): void {
    if (this.#pingTimer !== null) clearInterval(this.#pingTimer);
    if (this.#deadline !== null) clearTimeout(this.#deadline);
    this.#pingTimer = null;
    this.#deadline = null;
  }

  #send(message: object): void {
    const ws = this.#ws;
    if (ws !== null && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  async #onConfig(buffer: Buffer): Promise<void> {
    const log = this.#o.log;
    const t0 = performance.now();
    let message: ConfigMessage;
    try {
      message = decodeConfigMessage(buffer, this.#o.maxPayload);
    } catch (err) {
      this.#report({ target: '?', ok: false, error: `undecodable configuration message: ${(err as Error).message}`, t0, refused: 0 });
      return;
    }
    let candidate: ConfigReplica;
    try {
      candidate = message.type === 'full' ? ConfigReplica.fromFull(message) : this.#replica.applyDelta(message);
    } catch (err) {
      if (err instanceof SyncError) {
        log.warn(`cluster: ${message.type} configuration ${message.hash} does not apply to ${this.#replica.hash} (${err.message}); asking for a full one`);
        this.#send({ type: 'resync', config_hash: this.#replica.hash, reason: err.message });
        return;
      }
      this.#report({ target: message.hash, ok: false, error: (err as Error).message, t0, refused: 0 });
      return;
    }
    const outcome = await this.#o.apply(candidate, message.type === 'delta' ? message : null);
    if (outcome.ok) {
      this.#replica = candidate;
      this.#status.last_sync_at = Math.floor(Date.now() / 1000);
      log.info(`cluster: ${message.type} configuration ${candidate.hash} (#${candidate.sequence}) applied in ${(performance.now() - t0).toFixed(1)} ms`);
    }
    this.#report({ target: candidate.hash, ok: outcome.ok, error: outcome.error, t0, refused: outcome.refusedRoutes });
  }

  #report(r: { target: string; ok: boolean; error: string | null; t0: number; refused: number }): void {
    if (!r.ok) {
      this.#status.last_error = r.error;
      this.#o.log.error(`cluster: could not apply configuration ${r.target}; still serving ${this.#replica.hash}: ${r.error ?? ''}`);
    }
    const ack: AppliedMessage = {
      type: 'applied',
      config_hash: this.#replica.hash,
      target_hash: r.target,
      ok: r.ok,
      error: r.error,
      apply_ms: performance.now() - r.t0,
      refused_routes: r.refused,
    };
    this.#send(ack);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#reconnectTimer !== null) clearTimeout(this.#reconnectTimer);
    this.#clearTimers();
    this.#ws?.close(1001, 'data plane shutting down');
  }
}

