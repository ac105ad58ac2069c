import { once } from 'node:events'
import { Redis, type Callback, type RedisOptions } from 'ioredis'
import type { RedisTarget } from '../../config.js'

// Every Redis connection of the service opens here (store, subscriber, BullMQ, health,
// queues dashboard), so a Sentinel deployment is configured in one place.

// Requests must fail fast while Redis is away (503 STORE_UNAVAILABLE within a second) rather
// than wait in ioredis' offline queue; reconnection goes on in the background by itself.
// The store's connections only: BullMQ's block and wait (maxRetriesPerRequest null).
export const STORE_CONNECTION_OPTIONS: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 1000,
  connectTimeout: 2000,
  retryStrategy: (times) => Math.min(100 * times, 1000),
}

// A primary demoted by a failover keeps its clients' sockets and answers writes with READONLY:
// drop the socket and reconnect (ioredis README "Reconnect on Error"). Through Sentinel the new
// socket reaches the primary (ioredis checks the role), so the refused command, which never ran,
// is resent there (2); without an offline queue the resend fails at once and the request answers
// 503. A URL may name a replica for good: there the command is refused (1), not resent forever.
const readonly = (resend: 1 | 2) => (error: Error): 1 | 2 | false => (error.message.includes('READONLY') ? resend : false)

function sentinelOptions(target: Exclude<RedisTarget, string>): RedisOptions {
  return {
    sentinels: target.sentinels,
    name: target.name,
    role: 'master',
    ...(target.password ? { password: target.password } : {}),
    ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
    // After a failover the old primary, if alive, stays a writable primary until Sentinel
    // converts it (~10 s): writes there would be lost. +switch-master drops our socket at once.
    failoverDetector: true,
    // All Sentinels down: keep asking, at most once a second (commands fail fast meanwhile).
    sentinelRetryStrategy: (times) => Math.min(100 * times, 1000),
    sentinelCommandTimeout: 1000,
  }
}

/**
 * Two ioredis gaps, closed for every connection opened here and for BullMQ's duplicates of them
 * (test/store/failover.test.ts caught both):
 * - disconnect() while waiting to reconnect leaves it 'reconnecting' for ever: no socket is left
 *   to close, so no 'end' comes, and BullMQ's close waits for one (shutdown during an outage or
 *   just after a failover). Its 'wait' path, for a connection never opened, ends it properly.
 * - Sentinel: when the failover detector fires while the connection is asking the Sentinels for
 *   the primary (the primary died; +switch-master arrives during the reconnect), ioredis ends it
 *   for good ("Connection is closed."). Here only quit() and disconnect() end one.
 */
function guarded(redis: Redis, sentinel: boolean): Redis {
  let closing = false
  const quit = redis.quit.bind(redis)
  const disconnect = redis.disconnect.bind(redis)
  const duplicate = redis.duplicate.bind(redis)
  redis.quit = (callback?: Callback<'OK'>) => {
    closing = true
    return quit(callback)
  }
  redis.disconnect = (reconnect = false) => {
    if (!reconnect) closing = true
    if (!reconnect && redis.status === 'reconnecting') (redis as { status: string }).status = 'wait'
    disconnect(reconnect)
  }
  redis.duplicate = ((override?: Partial<RedisOptions>) => guarded(duplicate(override), sentinel)) as Redis['duplicate']
  redis.on('end', () => {
    // The failover detector's own Sentinel connections outlive a quit(): close them too.
    if (closing) return sentinel ? disconnect() : undefined
    if (sentinel) {
      setTimeout(() => {
        if (!closing && redis.status === 'end') redis.connect().catch(() => {})
      }, 100).unref()
    }
  })
  return redis
}

/** Opens a connection to the configured Redis: a redis:// URL, or the primary Sentinel names. */
export function openRedis(target: RedisTarget, options: RedisOptions = {}): Redis {
  if (typeof target === 'string') return guarded(new Redis(target, { reconnectOnError: readonly(1), ...options }), false)
  return guarded(new Redis({ ...sentinelOptions(target), reconnectOnError: readonly(2), ...options }), true)
}

/**
 * At most this many commands leave in one socket write. Redis runs every command of what it
 * read before it answers any: eight creates (about 50 µs of Lua each) come back 0.4 ms after
 * they left, where a whole turn's worth came back only after all of them had run, the app
 * idle meanwhile. Capped at 8, creates reached 1.1× the uncapped rate and polls no fewer
 * (npm run bench, paired rounds on a 2-core machine; 4 helped creates a little more and polls
 * a little less).
 */
export const WRITE_BATCH = 8

/**
 * Commands written in one turn of the event loop leave together: the first corks the socket,
 * a setImmediate uncorks it (so the commands of every request read in that turn go together, in
 * order), and every WRITE_BATCH-th uncorks it at once (the next corks it again). What ioredis'
 * enableAutoPipelining does, without its Pipeline, its two promises and a nextTick per command:
 * a tenth of a status poll's CPU (npm run bench).
 * For the store's connection: never a subscriber or a blocking one.
 */
export function coalesceWrites(redis: Redis, batch = WRITE_BATCH): Redis {
  const send = redis.sendCommand.bind(redis)
  // A stale setImmediate may flush a later batch early: harmless, it only leaves sooner.
  const flush = (socket: Redis['stream']) => {
    if (socket.writableCorked > 0) socket.uncork()
  }
  let queued = 0
  redis.sendCommand = ((command, stream) => {
    const socket = redis.stream as Redis['stream'] | undefined
    if (stream !== undefined || redis.status !== 'ready' || !socket) return send(command, stream)
    if (socket.writableCorked === 0) {
      socket.cork()
      queued = 0
      setImmediate(flush, socket)
    }
    const reply = send(command, stream)
    if (++queued >= batch) flush(socket)
    return reply
  }) as Redis['sendCommand']
  return redis
}

/** Waits for the first connection, so that start-up fails loudly instead of serving 503s. */
export async function waitReady(redis: Redis, timeoutMs = 5000): Promise<void> {
  if (redis.status === 'ready') return
  const timer = AbortSignal.timeout(timeoutMs)
  try {
    await once(redis, 'ready', { signal: timer })
  } catch {
    throw new Error(`Redis did not answer within ${timeoutMs} ms: start one (redis-server) or set REDIS_URL (or REDIS_SENTINELS)`)
  }
}
