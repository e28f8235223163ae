/**
 * The control plane's recent configuration versions, and what to send to a data plane that is at some
 * older one: nothing, the changed entities, or the full snapshot.
 *
 * Only the current version keeps its configuration and full index. For each older version the history
 * keeps one step: the entities that changed on the way to the next version, with their hash before the
 * change. A delta from any kept version is the composition of the steps since, checked against the
 * current index, so memory grows with the number of changes, not with versions × entities.
 */
import { ENTITY_ORDER, type EntityName } from '../entities/index.ts';
import {
  digestConfig,
  EMPTY_CONFIG_HASH,
  type EntityHashTable,
  type VersionIndex,
  type WireConfig,
  type WireEntity,
} from './config-version.ts';
import { encodeConfigMessage, type DeltaConfigMessage } from './payload.ts';

export interface PublishedVersion {
  readonly hash: string;
  readonly sequence: number;
  readonly createdAt: number;
  readonly config: WireConfig;
  readonly index: VersionIndex;
  readonly entityCount: number;
}

export type SyncPlan =
  | { kind: 'none' }
  | { kind: 'delta'; payload: Buffer; changes: number }
  | { kind: 'full'; payload: Buffer; reason: 'unknown-base' | 'delta-too-large' | 'no-base' };

export interface ConfigHistoryMetrics {
  /** Versions a DP can get a delta from (the current one included). */
  readonly versions: number;
  readonly currentSequence: number | null;
  readonly lastFullPayloadBytes: number | null;
  readonly lastFullEncodeMs: number | null;
  readonly lastDeltaPayloadBytes: number | null;
  readonly lastDeltaEncodeMs: number | null;
  /** Deltas encoded for the current version (one per base asked for). */
  readonly cachedDeltas: number;
}

export const DEFAULT_KEEP = 32;

/**
 * Until a full payload has been encoded, its size is estimated as JSON length / this ratio. Erring on
 * the high side makes the estimate small, so a delta is only sent unseen when it is clearly worthwhile;
 * otherwise the full payload is encoded (it is needed anyway if the delta loses) and compared exactly.
 */
const ASSUMED_COMPRESSION_RATIO = 20;
const OBSERVED_RATIO_MARGIN = 1.25;

/** Per changed entity id: its hash in the older version, or null when it did not exist there. */
type Changes = Map<EntityName, Map<string, string | null>>;

interface Step {
  /** Sequence of the version this step starts from. */
  readonly from: number;
  readonly before: Changes;
}

type PerCollection<T> = { readonly [K in EntityName]: T };

interface Current {
  readonly version: PublishedVersion;
  readonly tables: PerCollection<EntityHashTable>;
  readonly collectionHashes: PerCollection<string>;
  readonly jsonLength: number;
  full: Buffer | null;
}

export class ConfigHistory {
  readonly #keep: number;
  #current: Current | null = null;
  /** Kept versions, oldest first, the current one last. */
  #versions: { hash: string; sequence: number }[] = [];
  /** Most recent sequence per hash (a configuration may come back to an earlier state). */
  #latestByHash = new Map<string, number>();
  #steps: Step[] = [];
  /** Plans for the current version by base hash, only for bases in the history (bounded by `keep`). */
  #plans = new Map<string, SyncPlan>();
  #observedRatio: number | null = null;
  #lastFull: { bytes: number; ms: number } | null = null;
  #lastDelta: { bytes: number; ms: number } | null = null;

  constructor(options: { keep?: number } = {}) {
    const keep = options.keep ?? DEFAULT_KEEP;
    if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`keep must be a positive integer, got ${keep}`);
    this.#keep = keep;
  }

  /**
   * Adds a version if its hash differs from the current one; returns it (or null when unchanged).
   * The configuration is kept by reference and must not be mutated afterwards.
   */
  publish(config: WireConfig, now: number = Date.now()): PublishedVersion | null {
    const digest = digestConfig(config);
    const previous = this.#current;
    if (previous !== null && previous.version.hash === digest.index.hash) return null;
    const version: PublishedVersion = {
      hash: digest.index.hash,
      sequence: (previous?.version.sequence ?? 0) + 1,
      createdAt: now,
      config,
      index: digest.index,
      entityCount: digest.entityCount,
    };
    const tables = {} as { [K in EntityName]: EntityHashTable };
    const collectionHashes = {} as { [K in EntityName]: string };
    for (const name of ENTITY_ORDER) {
      tables[name] = digest.collections[name].table;
      collectionHashes[name] = digest.collections[name].hash;
    }
    const next: Current = { version, tables, collectionHashes, jsonLength: digest.jsonLength, full: null };
    if (previous !== null) this.#steps.push({ from: previous.version.sequence, before: stepChanges(previous, next) });
    this.#current = next;
    this.#versions.push({ hash: version.hash, sequence: version.sequence });
    this.#latestByHash.set(version.hash, version.sequence);
    this.#plans.clear();
    this.#trim();
    return version;
  }

  current(): PublishedVersion | null {
    return this.#current?.version ?? null;
  }

  /**
   * What to send to a DP that has `baseHash` (null or the empty hash = nothing). Before anything was
   * published there is nothing to send: `none`. Payloads are built lazily and cached.
   */
  planFor(baseHash: string | null): SyncPlan {
    const current = this.#current;
    if (current === null || baseHash === current.version.hash) return { kind: 'none' };
    if (baseHash === null || baseHash === EMPTY_CONFIG_HASH) return this.#fullPlan('no-base');
    const cached = this.#plans.get(baseHash);
    if (cached !== undefined) return cached;
    const sequence = this.#latestByHash.get(baseHash);
    // Unknown bases are not cached: any DP could announce any hash.
    if (sequence === undefined) return this.#fullPlan('unknown-base');
    const plan = this.#deltaPlan(baseHash, sequence);
    this.#plans.set(baseHash, plan);
    return plan;
  }

  /** How many published versions the given hash is behind the current one (0 = current, null = not in history). */
  versionsBehind(hash: string): number | null {
    const current = this.#current;
    const sequence = this.#latestByHash.get(hash);
    if (current === null || sequence === undefined) return null;
    return current.version.sequence - sequence;
  }

  metrics(): ConfigHistoryMetrics {
    const deltas = [...this.#plans.values()].filter((p) => p.kind === 'delta').length;
    return {
      versions: this.#versions.length,
      currentSequence: this.#current?.version.sequence ?? null,
      lastFullPayloadBytes: this.#lastFull?.bytes ?? null,
      lastFullEncodeMs: this.#lastFull?.ms ?? null,
      lastDeltaPayloadBytes: this.#lastDelta?.bytes ?? null,
      lastDeltaEncodeMs: this.#lastDelta?.ms ?? null,
      cachedDeltas: deltas,
    };
  }

  #trim(): void {
    while (this.#versions.length > this.#keep) {
      const dropped = this.#versions.shift()!;
      if (this.#latestByHash.get(dropped.hash) === dropped.sequence) this.#latestByHash.delete(dropped.hash);
    }
    const oldest = this.#versions[0].sequence;
    while (this.#steps.length > 0 && this.#steps[0].from < oldest) this.#steps.shift();
  }

  #fullPayload(): Buffer {
    const current = this.#current!;
    if (current.full !== null) return current.full;
    const v = current.version;
    const started = performance.now();
    const payload = encodeConfigMessage({ type: 'full', hash: v.hash, sequence: v.sequence, created_at: v.createdAt, config: v.config });
    this.#lastFull = { bytes: payload.length, ms: performance.now() - started };
    if (current.jsonLength > 0) this.#observedRatio = current.jsonLength / payload.length;
    current.full = payload;
    return payload;
  }

  #fullPlan(reason: 'unknown-base' | 'delta-too-large' | 'no-base'): SyncPlan {
    return { kind: 'full', payload: this.#fullPayload(), reason };
  }

  #deltaPlan(baseHash: string, baseSequence: number): SyncPlan {
    const current = this.#current!;
    const v = current.version;
    const { upserts, deletes, count } = this.#changesSince(baseSequence);
    // More than half of the entities changed: a delta cannot beat the snapshot by much.
    if (count * 2 > v.entityCount) return this.#fullPlan('delta-too-large');
    const message: DeltaConfigMessage = {
      type: 'delta',
      base: baseHash,
      hash: v.hash,
      sequence: v.sequence,
      created_at: v.createdAt,
      upserts: {},
      deletes: {},
    };
    for (const name of ENTITY_ORDER) {
      const ids = upserts.get(name);
      if (ids !== undefined) message.upserts[name] = v.config[name].filter((e: WireEntity) => ids.has(e.id));
      const gone = deletes.get(name);
      if (gone !== undefined) message.deletes[name] = gone;
    }
    const started = performance.now();
    const payload = encodeConfigMessage(message);
    this.#lastDelta = { bytes: payload.length, ms: performance.now() - started };
    if (!this.#deltaWorthwhile(payload.length)) return this.#fullPlan('delta-too-large');
    return { kind: 'delta', payload, changes: count };
  }

  /** The delta must be at most half the full payload; the full one is only encoded when in doubt. */
  #deltaWorthwhile(deltaBytes: number): boolean {
    const current = this.#current!;
    if (current.full === null) {
      const ratio = this.#observedRatio === null ? ASSUMED_COMPRESSION_RATIO : this.#observedRatio * OBSERVED_RATIO_MARGIN;
      if (deltaBytes * 2 <= current.jsonLength / ratio) return true;
    }
    return deltaBytes * 2 <= this.#fullPayload().length;
  }

  /** Composes the steps since `baseSequence` and keeps what still differs from the current version. */
  #changesSince(baseSequence: number): {
    upserts: Map<EntityName, Set<string>>;
    deletes: Map<EntityName, string[]>;
    count: number;
  } {
    const atBase: Changes = new Map();
    for (const step of this.#steps) {
      if (step.from < baseSequence) continue;
      for (const [name, before] of step.before) {
        let seen = atBase.get(name);
        if (seen === undefined) atBase.set(name, (seen = new Map()));
        // The first step touching an id holds its hash at the base version.
        for (const [id, hash] of before) if (!seen.has(id)) seen.set(id, hash);
      }
    }
    const upserts = new Map<EntityName, Set<string>>();
    const deletes = new Map<EntityName, string[]>();
    let count = 0;
    const now = this.#current!.tables;
    for (const [name, before] of atBase) {
      const hashes = now[name];
      const up = new Set<string>();
      const gone: string[] = [];
      for (const [id, then] of before) {
        const hash = hashes.get(id);
        if (hash === undefined) {
          if (then !== null) gone.push(id);
        } else if (hash !== then) {
          up.add(id);
        }
      }
      if (up.size > 0) upserts.set(name, up);
      if (gone.length > 0) deletes.set(name, gone);
      count += up.size + gone.length;
    }
    return { upserts, deletes, count };
  }
}

/** What changed from one version to the next: a merge walk over both id-ordered tables. */
function stepChanges(previous: Current, next: Current): Changes {
  const changes: Changes = new Map();
  for (const name of ENTITY_ORDER) {
    if (previous.collectionHashes[name] === next.collectionHashes[name]) continue;
    const was = previous.tables[name];
    const is = next.tables[name];
    const before = new Map<string, string | null>();
    let i = 0;
    let j = 0;
    while (i < was.size || j < is.size) {
      if (j >= is.size || (i < was.size && was.ids[i] < is.ids[j])) {
        before.set(was.ids[i], was.hashes[i]);
        i++;
      } else if (i >= was.size || is.ids[j] < was.ids[i]) {
        before.set(is.ids[j], null);
        j++;
      } else {
        if (was.hashes[i] !== is.hashes[j]) before.set(was.ids[i], was.hashes[i]);
        i++;
        j++;
      }
    }
    if (before.size > 0) changes.set(name, before);
  }
  return changes;
}
