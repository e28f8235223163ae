/**
 * A node with `role = data_plane`: picks what to serve at start (its cache, else its declarative file, else
 * nothing), keeps the link to the control plane, validates and serves what it is sent, writes every applied
 * configuration to its cache, and reports traffic on the telemetry channel.
 */
import { ForwardProxyAgent } from './forward-proxy.ts';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { loadDeclarative, patchFlatConfig, type ConfigPatch, type FlatConfig } from '../declarative/index.ts';
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
import type { DeltaConfigMessage } from './payload.ts';
import type { WorkerConfigPatch } from '../runtime/config-patch.ts';
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

type Prepared =
  | { ok: true; config: FlatConfig; refusals: Record<string, string>; missing: string[]; change: { base: string; patch: ConfigPatch } | null }
  | { ok: false; error: string };

export class DataPlaneRole implements ClusterView {
  readonly role = 'data_plane';
  readonly #node: Supervisor;
  readonly #settings: Settings;
  readonly #cachePath: string;
  readonly #cacheKey: Buffer | null;
  #replica: ConfigReplica = ConfigReplica.empty();
  /** The validated configuration the workers serve and its hash: what the next delta is validated against. */
  #served: { hash: string; config: FlatConfig } | null = null;
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
          this.#served = { hash: replica.hash, config: prepared.config };
          this.#missingPlugins = prepared.missing;
          this.#refusedRoutes = Object.keys(prepared.refusals).length;
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
      this.#served = { hash, config: fromFile.config };
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
    // Kong's cluster_use_proxy: both channels tunnel through proxy_server (checked to be set at start).
    const agent = s.cluster_use_proxy && s.proxy_server !== null ? new ForwardProxyAgent({ url: s.proxy_server, verify: s.proxy_server_ssl_verify }) : undefined;
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
      agent,
      initial: this.#replica,
      apply: (replica, delta) => this.#apply(replica, delta),
    });
    this.#link.start();
    this.#telemetry = new TelemetryLink({ endpoints: s.cluster_telemetry_endpoint, tls, nodeId: this.#node.nodeId, log: this.#node.log, agent });
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
   * it to anyone. With the delta that produced the replica (and the configuration it was applied to),
   * only the changed entities are validated.
   */
  #prepare(replica: ConfigReplica, delta: DeltaConfigMessage | null = null): Prepared {
    const wire = replica.config;
    const enabled = this.#node.plugins;
    const { missing, refusals } = refusalsFor(wire, enabled);
    const lacks = (p: Readonly<Record<string, unknown>>) => !enabled.has(String(p.name));
    const previous = this.#served;
    let config: FlatConfig;
    let change: { base: string; patch: ConfigPatch } | null = null;
    if (delta !== null && previous !== null && previous.hash === delta.base) {
      // Plugins this node lacks were never in the validated configuration: leave them out of the change too.
      // A served plugin that turns into one this node lacks leaves the validated configuration.
      const servedPlugins = new Set(previous.config.plugins.map((p) => p.id));
      const upsertedPlugins = delta.upserts.plugins ?? [];
      const pluginDeletes = [
        ...(delta.deletes.plugins ?? []).filter((id) => servedPlugins.has(id)),
        ...upsertedPlugins.filter((p) => lacks(p) && servedPlugins.has(p.id)).map((p) => p.id),
      ];
      const upserts = { ...delta.upserts, ...(delta.upserts.plugins === undefined ? {} : { plugins: upsertedPlugins.filter((p) => !lacks(p)) }) };
      const deletes = { ...delta.deletes, ...(pluginDeletes.length === 0 && delta.deletes.plugins === undefined ? {} : { plugins: pluginDeletes }) };
      const result = patchFlatConfig(previous.config, { upserts, deletes }, { plugins: enabled });
      if (!result.ok) return { ok: false, error: `the configuration change does not validate here: ${result.error}` };
      config = result.config;
      change = { base: previous.hash, patch: { upserts, deletes } };
    } else {
      const document: Record<string, unknown> = { ...wire, plugins: wire.plugins.filter((p) => !lacks(p)), _format_version: '3.0', _transform: false };
      const result = loadDeclarative(document, { plugins: enabled });
      if (!result.ok) return { ok: false, error: `the configuration does not validate here: ${result.error.message}` };
      config = result.config;
    }
    return { ok: true, config, refusals, missing: [...missing].sort(), change };
  }

  async #apply(replica: ConfigReplica, delta: DeltaConfigMessage | null): Promise<ApplyOutcome> {
    const t0 = performance.now();
    const prepared = this.#prepare(replica, delta);
    if (!prepared.ok) return { ok: false, error: prepared.error, refusedRoutes: 0 };
    const change = prepared.change === null ? undefined : { base: prepared.change.base, patch: validatedChange(prepared.config, prepared.change.patch) };
    try {
      await this.#node.applyConfig(prepared.config, replica.hash, prepared.refusals, change);
    } catch (err) {
      return { ok: false, error: (err as Error).message, refusedRoutes: 0 };
    }
    this.#replica = replica;
    this.#served = { hash: replica.hash, config: prepared.config };
    this.#source = 'control_plane';
    this.#missingPlugins = prepared.missing;
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

/** Which plugins of the configuration this node lacks, and the routes they would cover (refused with 503). */
function refusalsFor(
  wire: WireConfig,
  enabled: ReadonlyMap<string, unknown>,
): { missing: Set<string>; refusals: Record<string, string> } {
  const missing = new Set<string>();
  const refusals: Record<string, string> = {};
  const absent = wire.plugins.filter((p) => p.enabled !== false && !enabled.has(String(p.name)));
  if (absent.length === 0) return { missing, refusals };
  let routesByService: Map<string, string[]> | null = null;
  const refuse = (routeId: string, name: string) => {
    refusals[routeId] ??= `this route uses the '${name}' plugin, which this data plane does not have; it is refused rather than served without it`;
  };
  for (const p of absent) {
    const name = String(p.name);
    missing.add(name);
    const route = idOf(p.route);
    const service = idOf(p.service);
    if (route !== null) {
      refuse(route, name);
    } else if (service !== null) {
      if (routesByService === null) {
        routesByService = new Map();
        for (const r of wire.routes) {
          const s = idOf(r.service);
          if (s !== null) routesByService.set(s, [...(routesByService.get(s) ?? []), r.id]);
        }
      }
      for (const id of routesByService.get(service) ?? []) refuse(id, name);
    } else {
      // Global and consumer-scoped plugins can apply to any route.
      for (const r of wire.routes) refuse(r.id, name);
    }
  }
  return { missing, refusals };
}

/** The validated form of a delta's entities (as the workers compile them), taken from the patched configuration. */
function validatedChange(config: FlatConfig, delta: ConfigPatch): WorkerConfigPatch {
  const upserts: Record<string, { readonly id: string }[]> = {};
  for (const [name, entities] of Object.entries(delta.upserts)) {
    if (entities === undefined || entities.length === 0) continue;
    const wanted = new Set(entities.map((e) => e.id));
    upserts[name] = (config[name] as readonly { readonly id: string }[]).filter((e) => wanted.has(e.id));
  }
  const deletes: Record<string, readonly string[]> = {};
  for (const [name, ids] of Object.entries(delta.deletes)) if (ids !== undefined && ids.length > 0) deletes[name] = ids;
  return { upserts, deletes };
}
