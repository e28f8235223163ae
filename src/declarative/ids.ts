/**
 * Deterministic entity ids for declarative files: entities without an id get a UUID v5 derived from their
 * cache key (`plugins:*:cors:::`) or endpoint key (`my-service`), so the same file loads with the same ids
 * and references to them stay valid across reloads. Namespaces and keys follow Kong, so ids match Kong's.
 */
import { createHash } from 'node:crypto';

/** Root namespace; each collection's namespace is UUIDv5(root, collection name). */
const ROOT_NAMESPACE = 'fd02801f-0957-4a15-a55a-c8d9606f30b5';

function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replaceAll('-', ''), 'hex');
}

/** RFC 4122 version-5 (SHA-1, name-based) UUID of `name` in `namespace`. */
export function uuidV5(namespace: string, name: string): string {
  const hash = createHash('sha1').update(uuidBytes(namespace)).update(name, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const namespaces = new Map<string, string>();

/** The id Kong derives for an entity of `collection` identified by `key`. */
export function deriveEntityId(collection: string, key: string): string {
  let namespace = namespaces.get(collection);
  if (namespace === undefined) {
    namespace = uuidV5(ROOT_NAMESPACE, collection);
    namespaces.set(collection, namespace);
  }
  return uuidV5(namespace, key);
}
