import type { Store } from '../types.js'
import { redisCalls } from './calls.js'
import { coalesceWrites, openRedis, STORE_CONNECTION_OPTIONS, waitReady } from './connection.js'
import { call, storeClock, type RedisContext, type RedisStoreOptions } from './context.js'
import { openStatusChannel, redisEvents } from './events.js'
import { redisLocks } from './locks.js'
import { redisOps } from './ops.js'
import { redisPool } from './pool.js'
import { Scripts } from './scripts.js'
import { redisVerifications } from './verifications.js'

// The production store: every read-and-decide step is one Lua script (lua/), keys under one
// prefix, windows judged by Redis TIME. Status events cross instances on one pub/sub channel.
// Each role (verifications.ts, calls.ts, pool.ts, locks.ts, ops.ts, events.ts) works on one
// shared connection and its scripts (context.ts).

export type { RedisStoreOptions } from './context.js'

/** Opens the store's connection and its status channel, and answers once both are ready. */
export async function createRedisStore(options: RedisStoreOptions): Promise<Store> {
  // The commands of all requests arriving in one turn of the event loop go together, eight to a
  // write (a socket write per command was a quarter of a status poll's CPU): connection.ts coalesceWrites.
  const redis = coalesceWrites(openRedis(options.url, { ...STORE_CONNECTION_OPTIONS, keyPrefix: options.keyPrefix }))
  redis.on('error', () => {}) // surfaced per request as STORE_UNAVAILABLE; ioredis reconnects
  const [channel] = await Promise.all([openStatusChannel(options), waitReady(redis)])
  const context: RedisContext = { redis, options, scripts: new Scripts(redis, options), now: storeClock(redis) }
  const events = redisEvents(context, channel)
  return {
    kind: 'redis',
    now: context.now,
    async ping() {
      await call(() => redis.ping())
    },
    async close() {
      await events.close()
      await redis.quit().catch(() => redis.disconnect())
    },
    ...redisVerifications(context),
    ...redisCalls(context),
    ...redisPool(context),
    ...redisLocks(context),
    ...redisOps(context),
    outbox: events.outbox,
    onStatus: events.onStatus,
  }
}
