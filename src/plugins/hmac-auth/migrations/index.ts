/** hmac-auth's migrations, in order (Kong's `kong/plugins/hmac-auth/migrations/init.lua`, as one base step). */
import type { PluginMigration } from '../../../schema/index.ts';
import { baseHmacAuth000 } from './000-base-hmac-auth.ts';

export const hmacAuthMigrations: readonly PluginMigration[] = [baseHmacAuth000];
