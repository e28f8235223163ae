/** jwt's migrations, in order (Kong's `kong/plugins/jwt/migrations/init.lua`). */
import type { PluginMigration } from '../../../schema/index.ts';
import { baseJwt000 } from './000-base-jwt.ts';

export const jwtMigrations: readonly PluginMigration[] = [baseJwt000];
