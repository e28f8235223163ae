/**
 * Where a translated configuration goes: the node's own database (replacing its content, so hybrid data planes
 * get deltas), or DB-less gateways' `POST /config`.
 */
import type { FlatConfig } from '../../declarative/index.ts';
import { ENTITY_ORDER } from '../../entities/index.ts';
import type { Row, Store } from '../../store/index.ts';
import type { ConfigLoadOutcome, ConfigLoadRequest } from '../../admin/context.ts';

export interface Applier {
  /** Applies `config` (declarative document) whose flat form is `flat`; throws with a reason. */
  apply(config: Record<string, unknown>, flat: FlatConfig, hash: string): Promise<void>;
  /**
   * Sends the configuration applied last again where it is missing (a gateway that appeared or restarted);
   * resolves to how many targets needed it.
   */
  resync?(config: Record<string, unknown>): Promise<number>;
}

const VOLATILE = new Set(['created_at', 'updated_at']);

function sameRow(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const strip = (r: Record<string, unknown>) => JSON.stringify(Object.keys(r).filter((k) => !VOLATILE.has(k) && r[k] !== null && r[k] !== undefined).sort().map((k) => [k, r[k]]));
  return strip(a) === strip(b);
}

/**
 * The store then holds exactly `flat`, in one transaction: changed and new rows upserted (parents first),
 * rows no longer wanted deleted (children first); unchanged rows are not written, so nothing else moves.
 */
export class StoreApplier implements Applier {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async apply(_config: Record<string, unknown>, flat: FlatConfig): Promise<void> {
    const existing = await this.#store.exportAll();
    await this.#store.transaction(async (tx) => {
      for (const name of ENTITY_ORDER) {
        const before = new Map((existing[name] as unknown as Row[]).map((r) => [r.id, r]));
        for (const row of flat[name] as unknown as Row[]) {
          const old = before.get(row.id);
          if (old === undefined || !sameRow(old, row)) await tx.upsert(name, row);
        }
      }
      for (const name of [...ENTITY_ORDER].reverse()) {
        const wanted = new Set((flat[name] as unknown as Row[]).map((r) => r.id));
        for (const row of existing[name] as unknown as Row[]) {
          // A cascade from an earlier delete may have removed it already (delete then answers false).
          if (!wanted.has(row.id)) await tx.delete(name, row.id);
        }
      }
    });
  }
}

/**
 * POSTs to every DB-less gateway with `check_hash=1`, as KIC does: a gateway that already has this configuration
 * answers 304 without reloading, so re-sending it on every resync costs little and repairs a gateway that
 * restarted, appeared, or was changed by hand.
 */
export class AdminApplier implements Applier {
  readonly #targets: () => Promise<string[]>;

  constructor(targets: () => Promise<string[]>) {
    this.#targets = targets;
  }

  /** The number of gateways that loaded it (the others had it already). */
  async #push(config: Record<string, unknown>): Promise<number> {
    const urls = (await this.#targets()).map((u) => u.replace(/\/$/, ''));
    if (urls.length === 0) throw new Error('no gateway to apply to (give --admin-url or --gateway-selector)');
    const body = JSON.stringify(config);
    const failures: string[] = [];
    let loaded = 0;
    await Promise.all(urls.map(async (url) => {
      try {
        const res = await fetch(`${url}/config?check_hash=1`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        if (res.status === 304) return;
        if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.slice(0, 500)}`);
        loaded++;
      } catch (err) {
        failures.push(`${url}: ${(err as Error).message}`);
      }
    }));
    if (failures.length > 0) throw new Error(`POST /config failed on ${failures.join('; ')}`);
    return loaded;
  }

  async apply(config: Record<string, unknown>): Promise<void> {
    await this.#push(config);
  }

  resync(config: Record<string, unknown>): Promise<number> {
    return this.#push(config);
  }
}

/** Gateway pods by label selector: `http://<podIP>:<port>` of running, ready pods. */
export function podTargets(client: { request<T>(method: string, path: string): Promise<T> }, namespace: string | null, selector: string, port: number): () => Promise<string[]> {
  return async () => {
    const base = namespace === null ? '/api/v1/pods' : `/api/v1/namespaces/${namespace}/pods`;
    const list = await client.request<{ items?: { status?: { podIP?: string; phase?: string; conditions?: { type: string; status: string }[] } }[] }>(
      'GET', `${base}?labelSelector=${encodeURIComponent(selector)}`);
    return (list.items ?? []).flatMap((pod) => {
      const ip = pod.status?.podIP;
      const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      if (typeof ip !== 'string' || pod.status?.phase !== 'Running' || !ready) return [];
      return [`http://${ip.includes(':') ? `[${ip}]` : ip}:${port}`];
    }).sort();
  };
}

/** A DB-less node running the controller itself loads the configuration as `POST /config` would. */
export class LocalApplier implements Applier {
  readonly #load: (request: ConfigLoadRequest) => Promise<ConfigLoadOutcome>;

  constructor(load: (request: ConfigLoadRequest) => Promise<ConfigLoadOutcome>) {
    this.#load = load;
  }

  async apply(config: Record<string, unknown>): Promise<void> {
    const outcome = await this.#load({ input: config, flattenErrors: false, checkHash: false });
    if (outcome.status === 'loaded' || outcome.status === 'unchanged') return;
    if (outcome.status === 'invalid') throw new Error(outcome.error.message);
    if (outcome.status === 'busy') throw new Error('the node is loading another configuration');
    throw new Error(outcome.message);
  }
}
