import fp from 'fastify-plugin'
import type { Redis, RedisOptions } from 'ioredis'
import type { RedisTarget } from '../config.js'
import type { BullConnections } from '../jobs/bullmq.js'
import { errorSummary } from '../logging.js'
import { openRedis } from '../store/redis/connection.js'

// The Redis connections of the job queues and their workers (jobs/bullmq.ts: callbacks, expiry,
// pool health; the queues dashboard shows those same queues): one factory, one set of options,
// one close grace. The store opens its own (store/redis: fail fast, never the offline queue).
// Memory mode has no Redis: `app.redis` is null and the jobs run in process.

// Workers block on Redis, so BullMQ requires maxRetriesPerRequest null; a queue's adds happen
// off the request path (a status event), so they too may wait for Redis to come back.
export const BULLMQ_CONNECTION_OPTIONS: RedisOptions = {
  maxRetriesPerRequest: null,
  enableOfflineQueue: true,
  retryStrategy: (times) => Math.min(200 * times, 2000),
}

/** How long a close waits, in all, for running jobs to finish and Redis to answer QUIT; then the sockets are dropped. */
export const CLOSE_GRACE_MS = 10_000

export interface RedisConnections extends BullConnections {
  /** Quits every connection opened here (drops them past the grace). */
  close(): Promise<void>
}

export interface RedisConnectionOptions {
  prefix: string
  onError?: (error: Error, name: string) => void
  graceMs?: number
}

export function createRedisConnections(target: RedisTarget, options: RedisConnectionOptions): RedisConnections {
  const { prefix, onError = () => {}, graceMs = CLOSE_GRACE_MS } = options
  const opened: Redis[] = []
  // One grace for the whole close, from the first wait: the queues' workers finishing their jobs,
  // then QUIT. With Redis away each would wait for ever.
  let grace: { over: Promise<void>; timer: NodeJS.Timeout } | undefined
  let late = false

  async function settle(closing: Promise<unknown>): Promise<void> {
    if (!grace) {
      let timer!: NodeJS.Timeout
      const over = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))
      grace = { over, timer }
    }
    const ended = await Promise.race([closing.then(() => 'done', () => 'done'), grace.over.then(() => 'late')])
    if (ended === 'late') late = true
  }

  return {
    prefix,
    settle,
    open(name) {
      const redis = openRedis(target, BULLMQ_CONNECTION_OPTIONS)
      redis.on('error', (error: Error) => onError(error, name))
      opened.push(redis)
      return redis
    },
    async close() {
      if (!late) await settle(Promise.all(opened.map((c) => c.quit().catch(() => c.disconnect()))))
      for (const c of opened) if (c.status !== 'end') c.disconnect()
      clearTimeout(grace?.timer)
    },
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The job queues' Redis connections (Redis mode); null in memory mode. */
    redis: RedisConnections | null
  }
}

export default fp(async (app) => {
  const { config } = app
  if (config.store !== 'redis') {
    app.decorate('redis', null)
    return
  }
  const log = app.log.child({ component: 'redis' })
  const connections = createRedisConnections(config.redis, {
    prefix: `${config.keyPrefix}bull`,
    onError: (err, name) => log.warn({ err: errorSummary(err), connection: name }, 'job queue connection error'),
  })
  app.decorate('redis', connections)
  // Registered before the jobs plugin, so closed after it (fastify closes plugins last first).
  app.addHook('onClose', () => connections.close())
}, { name: 'redis' })
