/**
 * The data plane's copy of the configuration. A delta is applied to a new replica (the current one is
 * never touched, so a rejected delta leaves the running config intact) and accepted only when the
 * patched configuration hashes to what the CP announced.
 */
import { ENTITY_ORDER, type EntityName } from '../entities/index.ts';
import {
  digestConfig,
  entityHash,
  indexFromCollections,
  patchCollection,
  type CollectionDigest,
  type Collections,
  type VersionIndex,
  type WireConfig,
  type WireEntity,
} from './config-version.ts';
import type { DeltaConfigMessage, FullConfigMessage } from './payload.ts';

export type SyncErrorCode = 'base-mismatch' | 'hash-mismatch' | 'invalid-message';

export class SyncError extends Error {
  readonly code: SyncErrorCode;
  constructor(code: SyncErrorCode, message: string) {
    super(message);
    this.name = 'SyncError';
    this.code = code;
  }
}

function emptyConfig(): WireConfig {
  return Object.fromEntries(ENTITY_ORDER.map((name) => [name, []])) as unknown as WireConfig;
}

export class ConfigReplica {
  readonly hash: string;
  readonly sequence: number;
  readonly config: WireConfig;
  /** Group hashes tell which parts (router, plugins, balancer) changed between two replicas. */
  readonly index: VersionIndex;
  readonly #collections: Collections;

  private constructor(sequence: number, config: WireConfig, collections: Collections, index: VersionIndex) {
    this.hash = index.hash;
    this.sequence = sequence;
    this.config = config;
    this.index = index;
    this.#collections = collections;
  }

  static empty(): ConfigReplica {
    const config = emptyConfig();
    const digest = digestConfig(config);
    return new ConfigReplica(0, config, digest.collections, digest.index);
  }

  static fromFull(m: FullConfigMessage): ConfigReplica {
    let digest;
    try {
      digest = digestConfig(m.config);
    } catch (err) {
      throw new SyncError('invalid-message', `full config rejected: ${(err as Error).message}`);
    }
    if (digest.index.hash !== m.hash) {
      throw new SyncError('hash-mismatch', `hash mismatch: config hashes to ${digest.index.hash}, message says ${m.hash}`);
    }
    return new ConfigReplica(m.sequence, m.config, digest.collections, digest.index);
  }

  applyDelta(d: DeltaConfigMessage): ConfigReplica {
    if (d.base !== this.hash) {
      throw new SyncError('base-mismatch', `base mismatch: delta applies to ${d.base}, replica has ${this.hash}`);
    }
    const collections: { [K in EntityName]: CollectionDigest } = { ...this.#collections };
    const config: Record<EntityName, readonly WireEntity[]> = { ...this.config };
    for (const name of ENTITY_ORDER) {
      const upserts = d.upserts[name] ?? [];
      const deletes = d.deletes[name] ?? [];
      if (upserts.length === 0 && deletes.length === 0) continue;
      const patched = this.#patch(name, upserts, deletes);
      collections[name] = patched.digest;
      config[name] = patched.entities;
    }
    const index = indexFromCollections(collections);
    if (index.hash !== d.hash) {
      throw new SyncError('hash-mismatch', `hash mismatch: delta ${d.base} → ${d.hash} produced ${index.hash}`);
    }
    return new ConfigReplica(d.sequence, config as WireConfig, collections, index);
  }

  /** Copy-on-write of one collection: only the upserted entities are hashed. */
  #patch(
    name: EntityName,
    upserts: readonly WireEntity[],
    deletes: readonly string[],
  ): { digest: CollectionDigest; entities: WireEntity[] } {
    const old = this.#collections[name];
    const byId = new Map<string, WireEntity>();
    for (const e of upserts) byId.set(e.id, e);
    const removed = new Set(deletes);
    if (byId.size !== upserts.length) throw new SyncError('invalid-message', `delta upserts an id of ${name} twice`);
    for (const id of removed) {
      if (byId.has(id)) throw new SyncError('invalid-message', `delta both upserts and deletes ${name} ${id}`);
    }
    const hashes = new Map<string, string>();
    for (const [id, e] of byId) hashes.set(id, entityHash(e));
    const entities: WireEntity[] = [];
    for (const e of this.config[name]) {
      if (removed.has(e.id)) continue;
      const replacement = byId.get(e.id);
      if (replacement === undefined) {
        entities.push(e);
      } else {
        entities.push(replacement);
        byId.delete(e.id);
      }
    }
    for (const e of byId.values()) entities.push(e);
    // Deletes of unknown ids are dropped; the hash check decides whether the delta was right.
    return { digest: patchCollection(name, old, hashes, removed), entities };
  }
}
