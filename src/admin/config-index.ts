import type { FlatConfig } from '../declarative/index.ts';
import type { EntityMeta } from '../entities/index.ts';

type Row = Record<string, unknown> & { id: string };

export interface CollectionIndex {
  /** Rows sorted by id (Kong pages by primary key). */
  sorted: Row[];
  byId: Map<string, Row>;
  /** Rows by endpoint-key value. */
  byKey: Map<string, Row>;
}

/**
 * Read-side indexes of the loaded configuration for the DB-less Admin API, built once per configuration
 * (on first read) rather than per request.
 */
export class ConfigIndex {
  readonly hash: string;
  readonly #collections = new Map<string, CollectionIndex>();
  readonly #config: FlatConfig;
  readonly #meta: ReadonlyMap<string, EntityMeta>;

  constructor(config: FlatConfig, hash: string, meta: ReadonlyMap<string, EntityMeta>) {
    this.#config = config;
    this.hash = hash;
    this.#meta = meta;
  }

  collection(name: string): CollectionIndex {
    let index = this.#collections.get(name);
    if (index !== undefined) return index;
    const rows = ((this.#config as unknown as Record<string, Row[] | undefined>)[name] ?? []).map((r) => this.#present(name, r));
    const sorted = rows.slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const byId = new Map<string, Row>();
    const byKey = new Map<string, Row>();
    const key = this.#meta.get(name)?.endpointKey ?? null;
    for (const row of sorted) {
      byId.set(row.id, row);
      if (key !== null) {
        const v = row[key];
        if (typeof v === 'string') byKey.set(v, row);
      }
    }
    index = { sorted, byId, byKey };
    this.#collections.set(name, index);
    return index;
  }

  /** Adds what Kong's Admin API shows beyond the stored row (a certificate's SNI names). */
  #present(name: string, row: Row): Row {
    if (name !== 'certificates') return row;
    const snis = this.#config.snis
      .filter((s) => (s.certificate as { id: string } | null)?.id === row.id)
      .map((s) => s.name as string)
      .sort();
    return { ...row, snis };
  }

  /** A certificate by one of its SNI names. */
  certificateBySni(name: string): Row | undefined {
    const sni = this.collection('snis').byKey.get(name);
    const certId = (sni?.certificate as { id: string } | undefined)?.id;
    return certId === undefined ? undefined : this.collection('certificates').byId.get(certId);
  }
}
