/** oauth2's migrations, in order (Kong's `kong/plugins/oauth2/migrations/init.lua`). */
import type { PluginMigration } from '../../../schema/index.ts';
import { baseOauth2000 } from './000-base-oauth2.ts';

export const oauth2Migrations: readonly PluginMigration[] = [baseOauth2000];
