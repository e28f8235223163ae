/**
 * Keys through the Admin API: private key material is never shown (a JWK's private members and a PEM
 * private key read `******`; references are shown, they name a secret rather than hold it). A write that
 * sends a masked value back, as an edit form re-submitting what it read does, keeps the stored key.
 */
import { MASK, maskJwk, maskPrivatePem } from '../entities/index.ts';
import type { Row, StoreOps } from '../store/types.ts';
import { EntityDao, isPlainObject, type EntityKey } from './entity-dao.ts';

export class KeysDao extends EntityDao {
  override async present(_ops: StoreOps, row: Row): Promise<Row> {
    const shown: Row = { ...row };
    if (typeof row.jwk === 'string') shown.jwk = maskJwk(row.jwk);
    if (isPlainObject(row.pem) && row.pem.private_key !== undefined && row.pem.private_key !== null) {
      shown.pem = { ...row.pem, private_key: maskPrivatePem(row.pem.private_key) };
    }
    return shown;
  }

  override async upsert(ops: StoreOps, key: EntityKey, input: Record<string, unknown>): Promise<Row> {
    return super.upsert(ops, key, await this.#unmasked(ops, key, input));
  }

  override async update(ops: StoreOps, key: EntityKey, input: Record<string, unknown>): Promise<Row> {
    return super.update(ops, key, await this.#unmasked(ops, key, input));
  }

  /** The input with masked values replaced by the stored ones they stand for (when they still match). */
  async #unmasked(ops: StoreOps, key: EntityKey, input: Record<string, unknown>): Promise<Record<string, unknown>> {
    const sendsMask =
      (typeof input.jwk === 'string' && input.jwk.includes(`"${MASK}"`)) || (isPlainObject(input.pem) && input.pem.private_key === MASK);
    if (!sendsMask) return input;
    const stored = await this.select(ops, key);
    if (stored === null) return input;
    const out = { ...input };
    if (typeof input.jwk === 'string' && typeof stored.jwk === 'string' && input.jwk === maskJwk(stored.jwk)) out.jwk = stored.jwk;
    if (isPlainObject(input.pem) && input.pem.private_key === MASK && isPlainObject(stored.pem)) {
      out.pem = { ...input.pem, private_key: stored.pem.private_key };
    }
    return out;
  }
}
