/**
 * `jwt:000_base_jwt`: the `jwt_secrets` table (the layout the store derives from `daos.ts`: the entity
 * document, the unique `key`, the consumer reference with its cascade) and its tags table. Every statement is
 * `IF NOT EXISTS`, so running it on a database that has the tables is harmless.
 */
import type { PluginMigration } from '../../../schema/index.ts';

function baseSql(types: { id: string; document: string }): string {
  return `CREATE TABLE IF NOT EXISTS "jwt_secrets" (
  "id" ${types.id} NOT NULL PRIMARY KEY,
  "entity" ${types.document} NOT NULL,
  "key" TEXT,
  "consumer_id" ${types.id},
  CONSTRAINT "jwt_secrets_key_key" UNIQUE ("key"),
  CONSTRAINT "jwt_secrets_consumer_fkey" FOREIGN KEY ("consumer_id") REFERENCES "consumers" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "jwt_secrets_consumer_id_idx" ON "jwt_secrets" ("consumer_id");
CREATE TABLE IF NOT EXISTS "jwt_secrets_tags" (
  "entity_id" ${types.id} NOT NULL REFERENCES "jwt_secrets" ("id") ON DELETE CASCADE,
  "position" INTEGER NOT NULL,
  "tag" TEXT NOT NULL,
  PRIMARY KEY ("entity_id", "position")
);
CREATE INDEX IF NOT EXISTS "jwt_secrets_tags_tag_idx" ON "jwt_secrets_tags" ("tag", "entity_id");`;
}

export const baseJwt000: PluginMigration = {
  name: '000_base_jwt',
  up: {
    sqlite: baseSql({ id: 'TEXT', document: 'TEXT' }),
    postgres: baseSql({ id: 'TEXT COLLATE "C"', document: 'JSON' }),
  },
  tables: ['jwt_secrets', 'jwt_secrets_tags'],
};
