/**
 * `oauth2:000_base_oauth2`: the tables of `oauth2_credentials`, `oauth2_authorization_codes` and `oauth2_tokens`
 * (the layout the store derives from `daos.ts`: the entity document, unique and foreign-key columns with their
 * cascades, `expires_at` for the ttl of codes and tokens) and the credentials' tags table.
 */
import type { PluginMigration } from '../../../schema/index.ts';

export const baseOauth2000: PluginMigration = {
  name: '000_base_oauth2',
  up: {
    sqlite: `CREATE TABLE IF NOT EXISTS "oauth2_credentials" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "entity" TEXT NOT NULL,
  "client_id" TEXT,
  "consumer_id" TEXT,
  CONSTRAINT "oauth2_credentials_client_id_key" UNIQUE ("client_id"),
  CONSTRAINT "oauth2_credentials_consumer_fkey" FOREIGN KEY ("consumer_id") REFERENCES "consumers" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "oauth2_credentials_consumer_id_idx" ON "oauth2_credentials" ("consumer_id");
CREATE TABLE IF NOT EXISTS "oauth2_credentials_tags" (
  "entity_id" TEXT NOT NULL REFERENCES "oauth2_credentials" ("id") ON DELETE CASCADE,
  "position" INTEGER NOT NULL,
  "tag" TEXT NOT NULL,
  PRIMARY KEY ("entity_id", "position")
);
CREATE INDEX IF NOT EXISTS "oauth2_credentials_tags_tag_idx" ON "oauth2_credentials_tags" ("tag", "entity_id");
CREATE TABLE IF NOT EXISTS "oauth2_authorization_codes" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "entity" TEXT NOT NULL,
  "code" TEXT,
  "service_id" TEXT,
  "credential_id" TEXT,
  "plugin_id" TEXT,
  "expires_at" INTEGER,
  CONSTRAINT "oauth2_authorization_codes_code_key" UNIQUE ("code"),
  CONSTRAINT "oauth2_authorization_codes_service_fkey" FOREIGN KEY ("service_id") REFERENCES "services" ("id") ON DELETE CASCADE,
  CONSTRAINT "oauth2_authorization_codes_credential_fkey" FOREIGN KEY ("credential_id") REFERENCES "oauth2_credentials" ("id") ON DELETE CASCADE,
  CONSTRAINT "oauth2_authorization_codes_plugin_fkey" FOREIGN KEY ("plugin_id") REFERENCES "plugins" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "oauth2_authorization_codes_service_id_idx" ON "oauth2_authorization_codes" ("service_id");
CREATE INDEX IF NOT EXISTS "oauth2_authorization_codes_credential_id_idx" ON "oauth2_authorization_codes" ("credential_id");
CREATE INDEX IF NOT EXISTS "oauth2_authorization_codes_plugin_id_idx" ON "oauth2_authorization_codes" ("plugin_id");
CREATE INDEX IF NOT EXISTS "oauth2_authorization_codes_expires_at_idx" ON "oauth2_authorization_codes" ("expires_at");
CREATE TABLE IF NOT EXISTS "oauth2_tokens" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "entity" TEXT NOT NULL,
  "access_token" TEXT,
  "refresh_token" TEXT,
  "service_id" TEXT,
  "credential_id" TEXT,
  "expires_at" INTEGER,
  CONSTRAINT "oauth2_tokens_access_token_key" UNIQUE ("access_token"),
  CONSTRAINT "oauth2_tokens_refresh_token_key" UNIQUE ("refresh_token"),
  CONSTRAINT "oauth2_tokens_service_fkey" FOREIGN KEY ("service_id") REFERENCES "services" ("id") ON DELETE CASCADE,
  CONSTRAINT "oauth2_tokens_credential_fkey" FOREIGN KEY ("credential_id") REFERENCES "oauth2_credentials" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "oauth2_tokens_service_id_idx" ON "oauth2_tokens" ("service_id");
CREATE INDEX IF NOT EXISTS "oauth2_tokens_credential_id_idx" ON "oauth2_tokens" ("credential_id");
CREATE INDEX IF NOT EXISTS "oauth2_tokens_expires_at_idx" ON "oauth2_tokens" ("expires_at");`,
    postgres: `CREATE TABLE IF NOT EXISTS "oauth2_credentials" (
  "id" TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  "entity" JSON NOT NULL,
  "client_id" TEXT,
  "consumer_id" TEXT COLLATE "C",
  CONSTRAINT "oauth2_credentials_client_id_key" UNIQUE ("client_id"),
  CONSTRAINT "oauth2_credentials_consumer_fkey" FOREIGN KEY ("consumer_id") REFERENCES "consumers" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "oauth2_credentials_consumer_id_idx" ON "oauth2_credentials" ("consumer_id");
CREATE TABLE IF NOT EXISTS "oauth2_credentials_tags" (
  "entity_id" TEXT COLLATE "C" NOT NULL REFERENCES "oauth2_credentials" ("id") ON DELETE CASCADE,
  "position" INTEGER NOT NULL,
  "tag" TEXT NOT NULL,
  PRIMARY KEY ("entity_id", "position")
);
CREATE INDEX IF NOT EXISTS "oauth2_credentials_tags_tag_idx" ON "oauth2_credentials_tags" ("tag", "entity_id");
CREATE TABLE IF NOT EXISTS "oauth2_authorization_codes" (
  "id" TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  "entity" JSON NOT NULL,
  "code" TEXT,
  "service_id" TEXT COLLATE "C",
  "credential_id" TEXT COLLATE "C",
  "plugin_id" TEXT COLLATE "C",
  "expires_at" BIGINT,
  CONSTRAINT "oauth2_authorization_codes_code_key" UNIQUE ("code"),
  CONSTRAINT "oauth2_authorization_codes_service_fkey" FOREIGN KEY ("service_id") REFERENCES "services" ("id") ON DELETE CASCADE,
  CONSTRAINT "oauth2_authorization_codes_credential_fkey" FOREIGN KEY ("credential_id") REFERENCES "oauth2_credentials" ("id") ON DELETE CASCADE,
  CONSTRAINT "oauth2_authorization_codes_plugin_fkey" FOREIGN KEY ("plugin_id") REFERENCES "plugins" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "oauth2_authorization_codes_service_id_idx" ON "oauth2_authorization_codes" ("service_id");
CREATE INDEX IF NOT EXISTS "oauth2_authorization_codes_credential_id_idx" ON "oauth2_authorization_codes" ("credential_id");
CREATE INDEX IF NOT EXISTS "oauth2_authorization_codes_plugin_id_idx" ON "oauth2_authorization_codes" ("plugin_id");
CREATE INDEX IF NOT EXISTS "oauth2_authorization_codes_expires_at_idx" ON "oauth2_authorization_codes" ("expires_at");
CREATE TABLE IF NOT EXISTS "oauth2_tokens" (
  "id" TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  "entity" JSON NOT NULL,
  "access_token" TEXT,
  "refresh_token" TEXT,
  "service_id" TEXT COLLATE "C",
  "credential_id" TEXT COLLATE "C",
  "expires_at" BIGINT,
  CONSTRAINT "oauth2_tokens_access_token_key" UNIQUE ("access_token"),
  CONSTRAINT "oauth2_tokens_refresh_token_key" UNIQUE ("refresh_token"),
  CONSTRAINT "oauth2_tokens_service_fkey" FOREIGN KEY ("service_id") REFERENCES "services" ("id") ON DELETE CASCADE,
  CONSTRAINT "oauth2_tokens_credential_fkey" FOREIGN KEY ("credential_id") REFERENCES "oauth2_credentials" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "oauth2_tokens_service_id_idx" ON "oauth2_tokens" ("service_id");
CREATE INDEX IF NOT EXISTS "oauth2_tokens_credential_id_idx" ON "oauth2_tokens" ("credential_id");
CREATE INDEX IF NOT EXISTS "oauth2_tokens_expires_at_idx" ON "oauth2_tokens" ("expires_at");`,
  },
  tables: ['oauth2_credentials', 'oauth2_credentials_tags', 'oauth2_authorization_codes', 'oauth2_tokens'],
};
