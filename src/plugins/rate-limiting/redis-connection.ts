/** rate-limiting's Redis connections: the shared ones every Redis-backed plugin uses (src/plugins/shared/redis/). */
export { RedisConnection, redisConnection, type RedisCommand, type RedisSettings } from '../shared/redis/connection.ts';
