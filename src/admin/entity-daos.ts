/**
 * The collections whose DAO differs from the generic one, as in Kong's custom DAOs: certificates (their
 * `snis` list, lookup by SNI name), targets (addresses normalised before validation), CA certificates
 * (digest, still-in-use check). `createDao` picks the
 * right class for a collection.
 */
import {
  ENTITIES,
  certificateDigest,
  normalizeTarget,
  type EntityMeta,
} from '../entities/index.ts';
import { isUuid, parseHost } from '../schema/index.ts';
import type { Row, StoreOps } from '../store/types.ts';
import { AdminError, referencedByOthers, schemaViolation } from './errors.ts';
import { KeysDao } from './keys-dao.ts';
import { EntityDao, fieldViolation, isPlainObject, newId, type DaoSettings, type EntityKey, type WriteContext } from './entity-dao.ts';

/** Reads every row of a collection matching a foreign key (small lists: a certificate's SNIs, ...). */
export async function listAllFor(ops: StoreOps, entity: EntityMeta['name'], field: string, id: string): Promise<Row[]> {
  const rows: Row[] = [];
  let offset: string | null = null;
  do {
    const page = await ops.list(entity, { size: 1000, offset, foreign: { field, id } });
    rows.push(...page.data);
    offset = page.offset;
  } while (offset !== null);
  return rows;
}

/** Certificates carry the names of their SNIs (`snis`), and can be addressed by one of them. */
export class CertificatesDao extends EntityDao {
  /** A non-UUID segment is an SNI name; unknown names are a 404, except for PUT which creates. */
  override async resolveKey(ops: StoreOps, segment: string, method: string): Promise<EntityKey> {
    if (isUuid(segment)) return { id: segment.toLowerCase() };
    const sni = await ops.getBy('snis', 'name', segment);
    const certificate = sni?.certificate;
    if (isPlainObject(certificate) && typeof certificate.id === 'string') return { id: certificate.id };
    if (method === 'PUT') return { id: newId() };
    throw new AdminError(404, { message: 'SNI not found' });
  }

  override async present(ops: StoreOps, row: Row): Promise<Row> {
    const snis = await listAllFor(ops, 'snis', 'certificate', row.id);
    return { ...row, snis: snis.map((s) => s.name as string).sort() };
  }

  override async insert(ops: StoreOps, input: Record<string, unknown>): Promise<Row> {
    const names = nameList(input.snis);
    if (names !== null) await this.#checkNamesAreFree(ops, names, null);
    const certificate = await super.insert(ops, input);
    if (names !== null) await this.#addNames(ops, certificate.id, names);
    return { ...certificate, snis: names ?? [] };
  }

  override async upsert(ops: StoreOps, key: EntityKey, input: Record<string, unknown>): Promise<Row> {
    return this.#withNames(ops, key, input, () => super.upsert(ops, key, input));
  }

  override async update(ops: StoreOps, key: EntityKey, input: Record<string, unknown>): Promise<Row> {
    return this.#withNames(ops, key, input, () => super.update(ops, key, input));
  }

  /** Kong's certificate upsert/update: the given `snis` replace the certificate's names (null: none). */
  async #withNames(ops: StoreOps, key: EntityKey, input: Record<string, unknown>, write: () => Promise<Row>): Promise<Row> {
    const names = nameList(input.snis);
    const id = 'id' in key ? key.id : null;
    if (names !== null) await this.#checkNamesAreFree(ops, names, id);
    const certificate = await write();
    if (names === null) return certificate;
    const current = (await listAllFor(ops, 'snis', 'certificate', certificate.id)).map((s) => s.name as string);
    await this.#addNames(ops, certificate.id, names.filter((n) => !current.includes(n)));
    for (const name of current) {
      if (!names.includes(name)) await this.#snis().delete(ops, { field: 'name', value: name });
    }
    return { ...certificate, snis: names };
  }

  async #checkNamesAreFree(ops: StoreOps, names: readonly string[], certificateId: string | null): Promise<void> {
    for (const name of names) {
      const sni = await ops.getBy('snis', 'name', name);
      const owner = (sni?.certificate as { id?: string } | null | undefined)?.id;
      if (sni !== null && owner !== certificateId) {
        throw schemaViolation({ snis: `${name} already associated with existing certificate '${owner}'` });
      }
    }
  }

  async #addNames(ops: StoreOps, certificateId: string, names: readonly string[]): Promise<void> {
    for (const name of names) await this.#snis().insert(ops, { name, certificate: { id: certificateId } });
  }

  #snis(): EntityDao {
    return new EntityDao(ENTITIES.snis, this.settings);
  }
}

/**
 * The SNI names of a certificate write: sorted, duplicates refused; JSON null means "none"; anything
 * else that is not a list leaves the names alone (and the schema reports it).
 */
function nameList(input: unknown): string[] | null {
  let names: unknown[];
  if (input === null) names = [];
  else if (Array.isArray(input)) names = input;
  else return null;
  const seen = new Set<unknown>();
  for (const name of names) {
    if (seen.has(name)) throw schemaViolation({ snis: `${String(name)} is duplicated` });
    seen.add(name);
  }
  if (!names.every((n): n is string => typeof n === 'string')) return null;
  return [...names].sort();
}

/** Targets: the address is normalised (`host:8000` when no port) before validation. */
export class TargetsDao extends EntityDao {
  protected override prepare(input: Record<string, unknown>, context: WriteContext): Record<string, unknown> {
    const prepared = super.prepare(input, context);
    if (typeof prepared.target === 'string') {
      if (!parseHost(prepared.target).ok) throw fieldViolation('target', 'Invalid target; not a valid hostname or ip address');
      prepared.target = normalizeTarget(prepared.target);
    }
    return prepared;
  }
}

/** CA certificates: the digest follows the certificate; one still used by services cannot go. */
export class CaCertificatesDao extends EntityDao {
  protected override transformEntity(row: Row, input: Record<string, unknown>): Row {
    if ('cert' in input && typeof row.cert === 'string') row.cert_digest = certificateDigest(row.cert) ?? row.cert_digest;
    return row;
  }

  protected override async beforeDelete(ops: StoreOps, row: Row): Promise<void> {
    let offset: string | null = null;
    do {
      const page = await ops.list('services', { size: 1000, offset });
      const user = page.data.find((s) => Array.isArray(s.ca_certificates) && s.ca_certificates.includes(row.id));
      if (user !== undefined) throw referencedByOthers(`ca certificate ${row.id} is still referenced by services (id = ${user.id})`);
      offset = page.offset;
    } while (offset !== null);
  }
}

/** The DAO of a collection. */
export function createDao(meta: EntityMeta, settings: DaoSettings): EntityDao {
  switch (meta.name) {
    case 'certificates':
      return new CertificatesDao(meta, settings);
    case 'targets':
      return new TargetsDao(meta, settings);
    case 'ca_certificates':
      return new CaCertificatesDao(meta, settings);
    case 'keys':
      return new KeysDao(meta, settings);
    default:
      return new EntityDao(meta, settings);
  }
}
