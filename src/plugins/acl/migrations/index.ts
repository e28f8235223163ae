/** acl's migrations, in order (Kong's `kong/plugins/acl/migrations/init.lua`). */
import type { PluginMigration } from '../../../schema/index.ts';
import { baseAcl000 } from './000-base-acl.ts';

export const aclMigrations: readonly PluginMigration[] = [baseAcl000];
