/**
 * The data plane's telemetry channel: a second mutual-TLS WebSocket, to `cluster_telemetry_endpoint`, that
 * carries per-service traffic reports. Traffic counted while the channel is down is kept (merged, so its
 * size is bounded by the number of services) and sent once it is back.
 */
import type { Agent } from 'node:https';
import WebSocket from 'ws';
import type { Logger } from '../log/logger.ts';
import { splitEndpoint } from './cluster-tls-settings.ts';
import { TELEMETRY_PATH, TELEMETRY_SUBPROTOCOL, type TelemetryReport } from './protocol.ts';
import type { ServiceTelemetry } from '../proxy/traffic.ts';
import { mergeServiceMaps } from './telemetry.ts';
import { dataPlaneWebSocketOptions, describeTlsError, type ClusterTlsSettings } from './tls.ts';

export interface TelemetryLinkOptions {
  endpoints: readonly string[];
  tls: ClusterTlsSettings;
  nodeId: string;
  log: Logger;
  /** Opens the connections (a tunnel through `proxy_server` with `cluster_use_proxy`); absent: direct. */
  agent?: Agent;
}

export class TelemetryLink {
  readonly #o: TelemetryLinkOptions;
  #ws: WebSocket | null = null;
  #index = 0;
  #stopped = false;
  #timer: NodeJS.Timeout | null = null;
  #pending: { from: number; to: number; services: Record<string, ServiceTelemetry> } | null = null;
  #failures = 0;

  constructor(options: TelemetryLinkOptions) {
    this.#o = options;
  }

  start(): void {
    this.#connect();
  }

  get connected(): boolean {
    return this.#ws !== null && this.#ws.readyState === WebSocket.OPEN;
  }

  #connect(): void {
    if (this.#stopped) return;
    const endpoint = this.#o.endpoints[this.#index % this.#o.endpoints.length];
    const { host, port } = splitEndpoint(endpoint);
    const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const ws = new WebSocket(`wss://${authority}${TELEMETRY_PATH}`, TELEMETRY_SUBPROTOCOL, {
      ...dataPlaneWebSocketOptions(this.#o.tls, host),
      ...(this.#o.agent === undefined ? {} : { agent: this.#o.agent }),
      perMessageDeflate: false,
      handshakeTimeout: 5000,
    });
    this.#ws = ws;
    ws.on('open', () => {
      this.#failures = 0;
      this.#o.log.info(`cluster: telemetry channel to ${endpoint} open`);
      this.#flush();
    });
    let refused = false;
    ws.on('error', (err) => {
      if (this.#failures === 0 && !refused) this.#o.log.warn(`cluster: telemetry channel to ${endpoint}: ${describeTlsError(err)}`);
    });
    ws.on('unexpected-response', (_req, res) => {
      refused = true;
      if (this.#failures === 0) this.#o.log.warn(`cluster: telemetry endpoint ${endpoint} refused the connection (HTTP ${res.statusCode ?? '?'})`);
      ws.terminate();
    });
    ws.on('close', () => {
      if (this.#ws === ws) this.#ws = null;
      if (this.#stopped) return;
      this.#failures++;
      this.#index++;
      const delay = Math.min(30_000, 1000 * 2 ** Math.min(this.#failures, 5)) * (0.5 + Math.random() / 2);
      this.#timer = setTimeout(() => this.#connect(), delay);
      this.#timer.unref();
    });
  }

  /** Queues one interval's traffic and sends whatever is queued if the channel is open. */
  report(interval: { from: number; to: number; services: Record<string, ServiceTelemetry> }): void {
    if (this.#pending === null) this.#pending = interval;
    else {
      this.#pending = {
        from: this.#pending.from,
        to: interval.to,
        services: mergeServiceMaps([this.#pending.services, interval.services]),
      };
    }
    this.#flush();
  }

  #flush(): void {
    const ws = this.#ws;
    if (this.#pending === null || ws === null || ws.readyState !== WebSocket.OPEN) return;
    const report: TelemetryReport = { type: 'telemetry', node_id: this.#o.nodeId, ...this.#pending };
    ws.send(JSON.stringify(report));
    this.#pending = null;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#ws?.close(1001, 'data plane shutting down');
  }
}
