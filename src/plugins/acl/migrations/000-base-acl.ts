/**
 * `acl:000_base_acl`: the `acls` table (the layout the store derives from `daos.ts`: the entity document, the
 * consumer reference with its cascade, and the unique `cache_key` of consumer and group, so a consumer is in
 * a group once) and its tags table. Every statement is `IF NOT EXISTS`.
 */
import type { PluginMigration } from '../../../schema/index.ts';

function baseSql(types: { id: string; document: string }): string {
  return `CREATE TABLE IF NOT EXISTS "acls" (
  "id" ${types.id} NOT NULL PRIMARY KEY,
  "entity" ${types.document} NOT NULL,
  "consumer_id" ${types.id},
  "cache_key" TEXT NOT NULL,
  CONSTRAINT "acls_consumer_fkey" FOREIGN KEY ("consumer_id") REFERENCES "consumers" ("id") ON DELETE CASCADE,
  CONSTRAINT "acls_cache_key_key" UNIQUE ("cache_key")
);
CREATE INDEX IF NOT EXISTS "acls_consumer_id_idx" ON "acls" ("consumer_id");
CREATE TABLE IF NOT EXISTS "acls_tags" (
  "entity_id" ${types.id} NOT NULL REFERENCES "acls" ("id") ON DELETE CASCADE,
  "position" INTEGER NOT NULL,
  "tag" TEXT NOT NULL,
  PRIMARY KEY ("entity_id", "position")
);
CREATE INDEX IF NOT EXISTS "acls_tags_tag_idx" ON "acls_tags" ("tag", "entity_id");`;
}

export const baseAcl000: PluginMigration = {
  name: '000_base_acl',
  up: {
    sqlite: baseSql({ id: 'TEXT', document: 'TEXT' }),
    postgres: baseSql({ id: 'TEXT COLLATE "C"', document: 'JSON' }),
  },
  tables: ['acls', 'acls_tags'],
};
