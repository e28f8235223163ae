/** basic-auth's migrations, in order (Kong's `kong/plugins/basic-auth/migrations/init.lua`). */
import type { PluginMigration } from '../../../schema/index.ts';
import { baseBasicAuth000 } from './000-base-basic-auth.ts';

export const basicAuthMigrations: readonly PluginMigration[] = [baseBasicAuth000];
