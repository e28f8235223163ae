/**
 * A configuration change as the supervisor sends it to workers that already hold the previous
 * configuration: validated entities to put in place (by id) and ids to drop, per collection. Sending this
 * instead of the whole configuration saves serialising 100,000 routes per worker for a one-route change.
 */
import { ENTITIES, ENTITY_ORDER, memoizeOnRegistry } from '../entities/index.ts';
import type { SnapshotInput } from '../snapshot/types.ts';

export interface WorkerConfigPatch {
  upserts: Partial<Record<string, readonly { readonly id: string }[]>>;
  deletes: Partial<Record<string, readonly string[]>>;
}

/** Core collections the snapshot compiles from (vaults resolve references; plugins read keys and key sets). */
const CORE_COLLECTIONS: readonly string[] = [
  'services', 'routes', 'upstreams', 'targets', 'plugins', 'consumers', 'consumer_groups', 'consumer_group_consumers', 'certificates', 'snis',
  'ca_certificates', 'vaults', 'key_sets', 'keys',
];

/** What the snapshot reads: those core collections and every plugin's (plugins index them in `prepare`). */
const proxyCollections = memoizeOnRegistry((): readonly string[] => [
  ...CORE_COLLECTIONS,
  ...ENTITY_ORDER.filter((name) => ENTITIES[name].plugin !== null),
]);

/**
 * The configuration with the patch applied; untouched collections are shared with `base`, which is not
 * modified. Entities keep their place; new ones go at the end. The patch was validated by the sender.
 */
export function applyWorkerPatch(base: SnapshotInput, patch: WorkerConfigPatch): SnapshotInput {
  const out: Record<string, unknown> = { ...base };
  for (const name of Object.keys({ ...patch.upserts, ...patch.deletes })) {
    const upserts = patch.upserts[name] ?? [];
    const deletes = new Set(patch.deletes[name] ?? []);
    const previous = (base as unknown as Record<string, readonly { readonly id: string }[] | undefined>)[name] ?? [];
    const replacements = new Map(upserts.map((e) => [e.id, e]));
    const next: { readonly id: string }[] = [];
    for (const entity of previous) {
      if (deletes.has(entity.id)) continue;
      const replacement = replacements.get(entity.id);
      if (replacement !== undefined) {
        next.push(replacement);
        replacements.delete(entity.id);
      } else {
        next.push(entity);
      }
    }
    for (const added of replacements.values()) next.push(added);
    out[name] = next;
  }
  return out as unknown as SnapshotInput;
}

/** The part of a patch the proxy compiles from (collections the snapshot does not read are left out). */
export function proxyRelevantPatch(patch: WorkerConfigPatch): WorkerConfigPatch {
  const pick = <T>(from: Partial<Record<string, T>>): Partial<Record<string, T>> =>
    Object.fromEntries(proxyCollections().filter((c) => from[c] !== undefined).map((c) => [c, from[c] as T]));
  return { upserts: pick(patch.upserts), deletes: pick(patch.deletes) };
}
