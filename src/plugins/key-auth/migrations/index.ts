/** key-auth's migrations, in order (Kong's `kong/plugins/key-auth/migrations/init.lua`). */
import type { PluginMigration } from '../../../schema/index.ts';
import { baseKeyAuth000 } from './000-base-key-auth.ts';

export const keyAuthMigrations: readonly PluginMigration[] = [baseKeyAuth000];
