/**
 * `hmac-auth:000_base_hmac_auth`: the `hmacauth_credentials` table (the layout the store derives from
 * `daos.ts`: the entity document, the unique `username`, the consumer reference with its cascade) and its
 * tags table. Every statement is `IF NOT EXISTS`, so running it on a database that has the tables is harmless.
 */
import type { PluginMigration } from '../../../schema/index.ts';

function baseSql(types: { id: string; document: string }): string {
  return `CREATE TABLE IF NOT EXISTS "hmacauth_credentials" (
  "id" ${types.id} NOT NULL PRIMARY KEY,
  "entity" ${types.document} NOT NULL,
  "username" TEXT,
  "consumer_id" ${types.id},
  CONSTRAINT "hmacauth_credentials_username_key" UNIQUE ("username"),
  CONSTRAINT "hmacauth_credentials_consumer_fkey" FOREIGN KEY ("consumer_id") REFERENCES "consumers" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "hmacauth_credentials_consumer_id_idx" ON "hmacauth_credentials" ("consumer_id");
CREATE TABLE IF NOT EXISTS "hmacauth_credentials_tags" (
  "entity_id" ${types.id} NOT NULL REFERENCES "hmacauth_credentials" ("id") ON DELETE CASCADE,
  "position" INTEGER NOT NULL,
  "tag" TEXT NOT NULL,
  PRIMARY KEY ("entity_id", "position")
);
CREATE INDEX IF NOT EXISTS "hmacauth_credentials_tags_tag_idx" ON "hmacauth_credentials_tags" ("tag", "entity_id");`;
}

export const baseHmacAuth000: PluginMigration = {
  name: '000_base_hmac_auth',
  up: {
    sqlite: baseSql({ id: 'TEXT', document: 'TEXT' }),
    postgres: baseSql({ id: 'TEXT COLLATE "C"', document: 'JSON' }),
  },
  tables: ['hmacauth_credentials', 'hmacauth_credentials_tags'],
};
