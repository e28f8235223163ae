/**
 * A node with `role = data_plane`: picks what to serve at start (its cache, else its declarative file, else
 * nothing), keeps the link to the control plane, validates and serves what it is sent, writes every applied
 * configuration to its cache, and reports traffic on the telemetry channel.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { loadDeclarative, type FlatConfig } from '../declarative/index.ts';
import type { Settings } from '../config/settings-types.ts';
import type { ClusterView } from '../admin/context.ts';
import type { Supervisor } from '../runtime/supervisor.ts';
import { VERSION } from '../core/version.ts';
import { isUuid } from '../schema/index.ts';
import { clusterTlsFromSettings } from './cluster-tls-settings.ts';
import { cacheKeyFromSetting, readConfigCacheFile, writeConfigCache } from './config-cache.ts';
import { ConfigReplica } from './config-replica.ts';
import { indexConfig, type WireConfig } from './config-version.ts';
import { DataPlaneLink, type ApplyOutcome } from './data-plane.ts';
import { TelemetryLink } from './telemetry-link.ts';
import { mergeServiceMaps } from './telemetry.ts';
import { certificateSummary } from './tls.ts';
import { prometheusLine } from './metrics-format.ts';

export const CACHE_FILE = 'config.cache';
const NODE_ID_FILE = 'node.id';

/**
 * A data plane keeps its id across restarts (in the prefix), so that the control plane lists one row per
 * node rather than one per start. The `node_id` setting wins.
 */
export function persistentNodeId(settings: Settings): string {
  if (settings.node_id !== null) return settings.node_id;
  const path = join(settings.prefix, NODE_ID_FILE);
  if (existsSync(path)) {
    const id = readFileSync(path, 'utf8').trim();
    if (isUuid(id)) return id;
  }
  const id = randomUUID();
  mkdirSync(settings.prefix, { recursive: true });
  writeFileSync(path, `${id}\n`, { mode: 0o644 });
  return id;
}

type Prepared = { ok: true; config: FlatConfig; refusals: Record<string, string> } | { ok: false; error: string };

export class DataPlaneRole implements ClusterView {
  readonly role = 'data_plane';
  readonly #node: Supervisor;
  readonly #settings: Settings;
  readonly #cachePath: string;
  readonly #cacheKey: Buffer | null;
  #replica: ConfigReplica = ConfigReplica.empty();
  #source: 'cache' | 'declarative_config' | 'control_plane' | 'none' = 'none';
  #link: DataPlaneLink | null = null;
  #telemetry: TelemetryLink | null = null;
  #telemetryTimer: NodeJS.Timeout | null = null;
  #refusedRoutes = 0;
  #missingPlugins: string[] = [];
  #lastApplyMs: number | null = null;
  #cacheSavedAt: number | null = null;
  #cacheError: string | null = null;
  readonly #certExpiry: number;

  constructor(node: Supervisor) {
    this.#node = node;
    this.#settings = node.settings;
    this.#cachePath = join(this.#settings.prefix, CACHE_FILE);
    this.#cacheKey = this.#settings.cluster_cache_key === null ? null : cacheKeyFromSetting(this.#settings.cluster_cache_key);
    this.#certExpiry = certificateSummary(clusterTlsFromSettings(this.#settings).cert).expiresAt;
  }

  /**
   * What to serve before the control plane answers: the cache, else the declarative file, else nothing
   * (`/status/ready` then says 503 until a configuration arrives).
   */
  initial(fromFile: { config: FlatConfig; hash: string } | null): { config: FlatConfig; hash: string; refusals: Record<string, string> } | null {
    const log = this.#node.log;
    try {
      const cached = readConfigCacheFile(this.#cachePath, this.#cacheKey);
      if (cached !== null) {
        const v = cached.value;
        // Already verified against its hash while reading.
        const replica = cached.replica;
        const prepared = this.#prepare(replica);
        if (prepared.ok) {
          this.#replica = replica;
          this.#source = 'cache';
          this.#cacheSavedAt = v.savedAt;
          if (!cached.encrypted && this.#cacheKey !== null) log.notice(`cluster: the cache ${this.#cachePath} is not encrypted yet; the next configuration is written encrypted`);
          log.notice(`cluster: serving configuration ${replica.hash} from the cache ${this.#cachePath} (saved ${new Date(v.savedAt).toISOString()}) until the control plane answers`);
          return { config: prepared.config, hash: replica.hash, refusals: prepared.refusals };
        }
        log.error(`cluster: the cached configuration in ${this.#cachePath} does not load here: ${prepared.error}`);
      }
    } catch (err) {
      log.error(`cluster: cannot use the configuration cache ${this.#cachePath}: ${(err as Error).message}`);
    }
    if (fromFile !== null) {
      const wire = JSON.parse(JSON.stringify(fromFile.config)) as WireConfig;
      const hash = indexConfig(wire).hash;
      this.#replica = ConfigReplica.fromFull({ type: 'full', hash, sequence: 0, created_at: Date.now(), config: wire });
      this.#source = 'declarative_config';
      log.notice(`cluster: no usable cache; serving declarative_config (${hash}) until the control plane answers`);
      return { config: fromFile.config, hash, refusals: {} };
    }
    log.notice('cluster: no cached configuration and no declarative_config; answering 404 until the control plane sends one');
    return null;
  }

  start(): void {
    const s = this.#settings;
    const tls = clusterTlsFromSettings(s);
    const labels = Object.fromEntries(s.cluster_dp_labels.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));
    this.#link = new DataPlaneLink({
      endpoints: s.cluster_control_plane,
      tls,
      hello: {
        node_id: this.#node.nodeId,
        hostname: this.#node.hostname,
        version: VERSION,
        plugins: pluginNames(this.#node).map((name) => ({ name, version: VERSION })),
        labels,
      },
      maxPayload: s.cluster_max_payload,
      log: this.#node.log,
      initial: this.#replica,
      apply: (replica) => this.#apply(replica),
    });
    this.#link.start();
    this.#telemetry = new TelemetryLink({ endpoints: s.cluster_telemetry_endpoint, tls, nodeId: this.#node.nodeId, log: this.#node.log });
    this.#telemetry.start();
    this.#telemetryTimer = setInterval(() => void this.#reportTraffic(), s.cluster_telemetry_interval * 1000);
    this.#telemetryTimer.unref();
    this.#node.addStopHook(() => this.stop());
  }

  async #reportTraffic(): Promise<void> {
    const maps = await this.#node.collectTraffic();
    const services = mergeServiceMaps(maps);
    const now = Date.now();
    this.#telemetry?.report({ from: now - this.#settings.cluster_telemetry_interval * 1000, to: now, services });
  }

  /**
   * Turns a replica into what the workers serve. Plugins this node lacks are taken out and every route they
   * would have covered is refused with 503: serving such a route without, say, its auth plugin would open
   * it to anyone.
   */
  #prepare(replica: ConfigReplica): Prepared {
    const wire = replica.config;
    const enabled = this.#node.plugins;
    const missing = new Set<string>();
    const refusals: Record<string, string> = {};
    const kept = wire.plugins.filter((p) => {
      const name = String(p.name);
      if (enabled.has(name)) return true;
      if (p.enabled === false) return false;
      missing.add(name);
      return false;
    });
    if (missing.size > 0) {
      const reason = (name: string) => `this route uses the '${name}' plugin, which this data plane does not have; it is refused rather than served without it`;
      const refuseRoute = (id: string, name: string) => (refusals[id] ??= reason(name));
      for (const p of wire.plugins) {
        const name = String(p.name);
        if (!missing.has(name) || p.enabled === false) continue;
        const route = idOf(p.route);
        const service = idOf(p.service);
        if (route !== null) refuseRoute(route, name);
        else if (service !== null) {
          for (const r of wire.routes) if (idOf(r.service) === service) refuseRoute(r.id, name);
        } else {
          // Global and consumer-scoped plugins can apply to any route.
          for (const r of wire.routes) refuseRoute(r.id, name);
        }
      }
    }
    const document: Record<string, unknown> = { ...wire, plugins: kept, _format_version: '3.0', _transform: false };
    const result = loadDeclarative(document, { plugins: enabled });
    if (!result.ok) return { ok: false, error: `the configuration does not validate here: ${result.error.message}` };
    this.#missingPlugins = [...missing].sort();
    return { ok: true, config: result.config, refusals };
  }

  async #apply(replica: ConfigReplica): Promise<ApplyOutcome> {
    const t0 = performance.now();
    const prepared = this.#prepare(replica);
    if (!prepared.ok) return { ok: false, error: prepared.error, refusedRoutes: 0 };
    try {
      await this.#node.applyConfig(prepared.config, replica.hash, prepared.refusals);
    } catch (err) {
      return { ok: false, error: (err as Error).message, refusedRoutes: 0 };
    }
    this.#replica = replica;
    this.#source = 'control_plane';
    this.#refusedRoutes = Object.keys(prepared.refusals).length;
    this.#lastApplyMs = performance.now() - t0;
    if (this.#refusedRoutes > 0) {
      this.#node.log.error(`cluster: ${this.#refusedRoutes} route(s) refused with 503: the configuration uses plugins this data plane lacks (${this.#missingPlugins.join(', ')})`);
    }
    // The acknowledgement goes out first: the workers already serve this configuration, and writing a large
    // cache (compressing, maybe encrypting) takes as long as the apply itself.
    setImmediate(() => this.#writeCache(replica));
    return { ok: true, error: null, refusedRoutes: this.#refusedRoutes };
  }

  #writeCache(replica: ConfigReplica): void {
    if (this.#replica !== replica) return; // a newer configuration arrived meanwhile; it will be written instead
    try {
      const savedAt = Date.now();
      writeConfigCache(this.#cachePath, { hash: replica.hash, sequence: replica.sequence, savedAt, config: replica.config }, this.#cacheKey);
      this.#cacheSavedAt = savedAt;
      this.#cacheError = null;
    } catch (err) {
      this.#cacheError = (err as Error).message;
      this.#node.log.error(`cluster: could not write the configuration cache ${this.#cachePath}: ${this.#cacheError}`);
    }
  }

  status(): Record<string, unknown> {
    const link = this.#link?.status() ?? null;
    return {
      role: 'data_plane',
      node_id: this.#node.nodeId,
      config_hash: this.#replica.hash,
      config_sequence: this.#replica.sequence,
      config_source: this.#source,
      control_plane: link,
      telemetry_connected: this.#telemetry?.connected ?? false,
      missing_plugins: this.#missingPlugins,
      refused_routes: this.#refusedRoutes,
      last_apply_ms: this.#lastApplyMs,
      cache: {
        path: this.#cachePath,
        encrypted: this.#cacheKey !== null,
        saved_at: this.#cacheSavedAt === null ? null : Math.floor(this.#cacheSavedAt / 1000),
        last_error: this.#cacheError,
      },
      cluster_cert_expiry_timestamp: Math.floor(this.#certExpiry / 1000),
    };
  }

  metrics(): string {
    const link = this.#link?.status();
    return [
      '# HELP kong_control_plane_connected 1 when the data plane is connected to a control plane.',
      '# TYPE kong_control_plane_connected gauge',
      prometheusLine('kong_control_plane_connected', {}, link?.connected === true ? 1 : 0),
      '# HELP kong_data_plane_cluster_cert_expiry_timestamp Expiry of the data plane cluster certificate (seconds since the epoch).',
      '# TYPE kong_data_plane_cluster_cert_expiry_timestamp gauge',
      prometheusLine('kong_data_plane_cluster_cert_expiry_timestamp', {}, Math.floor(this.#certExpiry / 1000)),
      '# HELP tollgate_data_plane_config_apply_seconds Time the last configuration took to validate and reach every worker.',
      '# TYPE tollgate_data_plane_config_apply_seconds gauge',
      prometheusLine('tollgate_data_plane_config_apply_seconds', {}, (this.#lastApplyMs ?? 0) / 1000),
      '# HELP tollgate_data_plane_refused_routes Routes answered with 503 because they use plugins this data plane lacks.',
      '# TYPE tollgate_data_plane_refused_routes gauge',
      prometheusLine('tollgate_data_plane_refused_routes', {}, this.#refusedRoutes),
      '# HELP tollgate_data_plane_config_sequence Sequence number of the configuration served.',
      '# TYPE tollgate_data_plane_config_sequence gauge',
      prometheusLine('tollgate_data_plane_config_sequence', {}, this.#replica.sequence),
    ].join('\n') + '\n';
  }

  stop(): void {
    if (this.#telemetryTimer !== null) clearInterval(this.#telemetryTimer);
    this.#link?.stop();
    this.#telemetry?.stop();
  }
}

function idOf(ref: unknown): string | null {
  if (typeof ref === 'string') return ref;
  if (typeof ref === 'object' && ref !== null && typeof (ref as { id?: unknown }).id === 'string') return (ref as { id: string }).id;
  return null;
}

function pluginNames(node: Supervisor): string[] {
  return [...node.plugins.keys()].sort();
}
