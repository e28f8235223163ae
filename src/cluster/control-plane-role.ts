/**
 * A node with `role = control_plane`: its database is the source, every change read from it (a write here,
 * or on another control plane sharing the database) is published to the connected data planes. It proxies
 * nothing.
 */
import type { ClusterView } from '../admin/context.ts';
import type { Supervisor } from '../runtime/supervisor.ts';
import type { WireConfig } from './config-version.ts';
import { clusterTlsFromSettings } from './cluster-tls-settings.ts';
import { ControlPlane } from './control-plane.ts';
import { prometheusLine } from './metrics-format.ts';

export class ControlPlaneRole implements ClusterView {
  readonly role = 'control_plane';
  readonly #node: Supervisor;
  readonly #cp: ControlPlane;

  constructor(node: Supervisor) {
    this.#node = node;
    this.#cp = new ControlPlane({ settings: node.settings, tls: clusterTlsFromSettings(node.settings), nodeId: node.nodeId, log: node.log, store: () => node.store });
  }

  async start(): Promise<void> {
    // The store's export is plain JSON data already; the wire format is that data.
    const publish = (config: object) => this.#cp.publish(config as unknown as WireConfig);
    publish(this.#node.currentConfig().config);
    this.#node.onConfigChange((config) => publish(config));
    await this.#cp.start();
    this.#node.addStopHook(() => this.#cp.stop());
  }

  async dataPlanes(): Promise<Record<string, unknown>[]> {
    return (await this.#cp.dataPlanes()) as unknown as Record<string, unknown>[];
  }

  async telemetry(): Promise<Record<string, unknown>> {
    return (await this.#cp.clusterTraffic()) as unknown as Record<string, unknown>;
  }

  async metrics(): Promise<string> {
    const lines: string[] = [];
    const family = (name: string, type: 'gauge' | 'counter', help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    const dps = await this.#cp.dataPlanes();
    // Kong's own control-plane metrics, with Kong's names, so that existing dashboards keep working.
    family('kong_data_plane_last_seen', 'gauge', 'Last time a data plane was heard from (seconds since the epoch).');
    for (const d of dps) lines.push(prometheusLine('kong_data_plane_last_seen', { node_id: d.id, hostname: d.hostname, ip: d.ip }, d.last_seen));
    family('kong_data_plane_config_hash', 'gauge', 'Configuration hash of a data plane, as a number (only good for comparing).');
    for (const d of dps) lines.push(prometheusLine('kong_data_plane_config_hash', { node_id: d.id, hostname: d.hostname, ip: d.ip }, parseInt(d.config_hash.slice(0, 12), 16)));
    family('kong_data_plane_version_compatible', 'gauge', '1 when a data plane is compatible with this control plane.');
    for (const d of dps) {
      const compatible = d.sync_status === 'normal' || d.sync_status === 'unknown' ? 1 : 0;
      lines.push(prometheusLine('kong_data_plane_version_compatible', { node_id: d.id, hostname: d.hostname, ip: d.ip, kong_version: d.version }, compatible));
    }
    family('tollgate_data_plane_connected', 'gauge', '1 while a data plane is connected to this control plane.');
    for (const d of dps) lines.push(prometheusLine('tollgate_data_plane_connected', { node_id: d.id, hostname: d.hostname }, d.connected ? 1 : 0));
    family('tollgate_data_plane_in_sync', 'gauge', '1 when a data plane serves the current configuration.');
    for (const d of dps) lines.push(prometheusLine('tollgate_data_plane_in_sync', { node_id: d.id, hostname: d.hostname }, d.in_sync ? 1 : 0));
    family('tollgate_data_plane_lag_seconds', 'gauge', 'Seconds since the first configuration a data plane lacks was published (0 when in sync).');
    for (const d of dps) lines.push(prometheusLine('tollgate_data_plane_lag_seconds', { node_id: d.id, hostname: d.hostname }, d.lag.seconds));
    family('tollgate_data_plane_lag_versions', 'gauge', 'Configuration versions a data plane is behind (-1 when unknown).');
    for (const d of dps) lines.push(prometheusLine('tollgate_data_plane_lag_versions', { node_id: d.id, hostname: d.hostname }, d.lag.versions_behind ?? -1));
    family('tollgate_data_plane_push_seconds', 'gauge', 'Time from sending the last configuration to a data plane until it acknowledged it.');
    for (const d of dps) lines.push(prometheusLine('tollgate_data_plane_push_seconds', { node_id: d.id, hostname: d.hostname }, (d.last_push_ms ?? 0) / 1000));
    family('tollgate_data_plane_apply_seconds', 'gauge', 'Time a data plane reported for validating and serving its last configuration.');
    for (const d of dps) lines.push(prometheusLine('tollgate_data_plane_apply_seconds', { node_id: d.id, hostname: d.hostname }, (d.last_apply_ms ?? 0) / 1000));
    const c = this.#cp.counters;
    family('tollgate_cluster_config_versions_total', 'counter', 'Configuration versions published to data planes.');
    lines.push(prometheusLine('tollgate_cluster_config_versions_total', {}, c.versions));
    family('tollgate_cluster_pushes_total', 'counter', 'Configuration messages sent to data planes, by kind.');
    lines.push(prometheusLine('tollgate_cluster_pushes_total', { kind: 'full' }, c.full.count));
    lines.push(prometheusLine('tollgate_cluster_pushes_total', { kind: 'delta' }, c.delta.count));
    family('tollgate_cluster_push_bytes_total', 'counter', 'Bytes of configuration messages sent to data planes, by kind.');
    lines.push(prometheusLine('tollgate_cluster_push_bytes_total', { kind: 'full' }, c.full.bytes));
    lines.push(prometheusLine('tollgate_cluster_push_bytes_total', { kind: 'delta' }, c.delta.bytes));
    family('tollgate_data_plane_last_payload_bytes', 'gauge', 'Size of the last configuration message sent to a data plane, by kind.');
    for (const d of dps) {
      if (d.last_payload !== null) lines.push(prometheusLine('tollgate_data_plane_last_payload_bytes', { node_id: d.id, hostname: d.hostname, kind: d.last_payload.kind }, d.last_payload.bytes));
    }
    const h = this.#cp.historyMetrics();
    family('tollgate_cluster_full_payload_bytes', 'gauge', 'Size of the current configuration as a full snapshot (gzip), once one was built.');
    if (h.lastFullPayloadBytes !== null) lines.push(prometheusLine('tollgate_cluster_full_payload_bytes', {}, h.lastFullPayloadBytes));
    family('tollgate_cluster_full_payload_encode_seconds', 'gauge', 'Time to build the last full snapshot payload (once per version, shared by every data plane).');
    if (h.lastFullEncodeMs !== null) lines.push(prometheusLine('tollgate_cluster_full_payload_encode_seconds', {}, h.lastFullEncodeMs / 1000));
    family('tollgate_cluster_config_sequence', 'gauge', 'Sequence number of the current configuration version.');
    if (h.currentSequence !== null) lines.push(prometheusLine('tollgate_cluster_config_sequence', {}, h.currentSequence));
    const traffic = (await this.#cp.clusterTraffic()).services;
    family('tollgate_cluster_service_requests_total', 'counter', 'Requests reported by data planes, per service and status class.');
    for (const [service, t] of Object.entries(traffic)) {
      for (const [cls, n] of Object.entries(t.status)) lines.push(prometheusLine('tollgate_cluster_service_requests_total', { service, code_class: cls }, n));
    }
    family('tollgate_cluster_service_latency_ms_sum', 'counter', 'Sum of request latencies reported by data planes, per service (milliseconds).');
    for (const [service, t] of Object.entries(traffic)) lines.push(prometheusLine('tollgate_cluster_service_latency_ms_sum', { service }, t.latency_ms_sum));
    return lines.join('\n') + '\n';
  }
}
