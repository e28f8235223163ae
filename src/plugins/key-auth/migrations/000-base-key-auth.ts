/**
 * `key-auth:000_base_key_auth`: the `keyauth_credentials` table (the layout the store derives from
 * `daos.ts`: the entity document, the unique `key`, the consumer reference with its cascade, `expires_at`
 * for the ttl) and its tags table. Every statement is `IF NOT EXISTS`, because databases bootstrapped before
 * key-auth had its own migrations already hold these tables (created by `core:000_base`).
 */
import type { PluginMigration } from '../../../schema/index.ts';

function baseSql(types: { id: string; document: string; bigint: string }): string {
  return `CREATE TABLE IF NOT EXISTS "keyauth_credentials" (
  "id" ${types.id} NOT NULL PRIMARY KEY,
  "entity" ${types.document} NOT NULL,
  "key" TEXT,
  "consumer_id" ${types.id},
  "expires_at" ${types.bigint},
  CONSTRAINT "keyauth_credentials_key_key" UNIQUE ("key"),
  CONSTRAINT "keyauth_credentials_consumer_fkey" FOREIGN KEY ("consumer_id") REFERENCES "consumers" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "keyauth_credentials_consumer_id_idx" ON "keyauth_credentials" ("consumer_id");
CREATE INDEX IF NOT EXISTS "keyauth_credentials_expires_at_idx" ON "keyauth_credentials" ("expires_at");
CREATE TABLE IF NOT EXISTS "keyauth_credentials_tags" (
  "entity_id" ${types.id} NOT NULL REFERENCES "keyauth_credentials" ("id") ON DELETE CASCADE,
  "position" INTEGER NOT NULL,
  "tag" TEXT NOT NULL,
  PRIMARY KEY ("entity_id", "position")
);
CREATE INDEX IF NOT EXISTS "keyauth_credentials_tags_tag_idx" ON "keyauth_credentials_tags" ("tag", "entity_id");`;
}

export const baseKeyAuth000: PluginMigration = {
  name: '000_base_key_auth',
  up: {
    sqlite: baseSql({ id: 'TEXT', document: 'TEXT', bigint: 'INTEGER' }),
    postgres: baseSql({ id: 'TEXT COLLATE "C"', document: 'JSON', bigint: 'BIGINT' }),
  },
  tables: ['keyauth_credentials', 'keyauth_credentials_tags'],
};
