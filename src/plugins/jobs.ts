import fp from 'fastify-plugin'
import type { Queue } from 'bullmq'
import { createBullQueue } from '../jobs/bullmq.js'
import { callbackHandler, type CallbackJob } from '../jobs/callbacks.js'
import { expiryHandler, SWEEP_JOB, type ExpiryJob } from '../jobs/expiry.js'
import { HEALTH_QUEUE, type HealthJob } from '../jobs/health.js'
import { createMemoryQueue } from '../jobs/memory.js'
import { startRelay, type Relay } from '../jobs/outbox.js'
import type { JobQueue } from '../jobs/queue.js'
import { errorSummary } from '../logging.js'

// The jobs of this instance: the queues (BullMQ on the redis plugin's connections in Redis mode,
// timers in memory mode), a worker for callbacks and expiry (the health plugin works `health`),
// and the sources of work: the expiry sweep's schedule and the store's outbox (callbacks,
// through the relay). Relay, queues and workers close in this plugin's onClose.

export interface Jobs {
  callbacks: JobQueue<CallbackJob>
  expiry: JobQueue<ExpiryJob>
  /** The pool health schedule's queue (plugins/health.ts works it). */
  health: JobQueue<HealthJob>
  /** This instance's outbox relay (jobs/outbox.ts). */
  relay: Relay
  /** BullMQ's own queue objects behind these, for the queues dashboard; none in memory mode. */
  bullmq: Queue[]
}

declare module 'fastify' {
  interface FastifyInstance {
    jobs: Jobs
  }
}

const DEPTH_INTERVAL_MS = 15_000

export default fp(async (app) => {
  const { config, store, metrics, redis } = app
  const log = app.log.child({ component: 'jobs' })
  const bullmq: Queue[] = []
  function queue<T>(name: string): JobQueue<T> {
    if (!redis) return createMemoryQueue<T>(name)
    const made = createBullQueue<T>(name, redis, {
      onError: (err) => log.warn({ err: errorSummary(err), queue: name }, 'queue error'),
    })
    bullmq.push(made.queue)
    return made
  }
  const health = queue<HealthJob>(HEALTH_QUEUE)
  const callbacks = queue<CallbackJob>('callbacks')
  const expiry = queue<ExpiryJob>('expiry')
  const queues: JobQueue<unknown>[] = [health, callbacks, expiry]

  callbacks.work(callbackHandler({ store, queue: callbacks, config, metrics, log }), { concurrency: config.callbacks.concurrency })
  expiry.work(expiryHandler(store, log), { concurrency: 1 })
  const relay = startRelay({ store, queue: callbacks, config, metrics, log })
  app.decorate('jobs', { callbacks, expiry, health, relay, bullmq })

  const depth = setInterval(() => {
    for (const q of queues) q.depth().then((n) => metrics.queueDepth.set({ queue: q.name }, n), () => {})
    relay.check().catch(() => {}) // store away: /readyz says so
  }, DEPTH_INTERVAL_MS).unref()

  app.addHook('onClose', async () => {
    clearInterval(depth)
    await relay.close()
    await Promise.all(queues.map((q) => q.close()))
  })

  // Every instance upserts the same schedule (idempotent); without it nothing expires unread.
  await expiry.repeat(SWEEP_JOB, {}, config.expirySweepMs)
}, { name: 'jobs', dependencies: ['store', 'metrics', 'redis'] })
