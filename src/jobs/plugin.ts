import fp from 'fastify-plugin'
import { errorSummary } from '../logging.js'
import { createBullQueue } from './bullmq.js'
import { callbackHandler, type CallbackJob } from './callbacks.js'
import { expiryHandler, SWEEP_JOB, type ExpiryJob } from './expiry.js'
import { startRelay, type Relay } from './outbox.js'
import { createMemoryQueue, type JobQueue } from './queue.js'

// The jobs of this instance: the queues (BullMQ in Redis mode, timers in memory mode), a worker
// for each, and the two sources of work: the expiry sweep's schedule (expiry) and the store's
// outbox (callbacks, through the relay). Relay, queues and workers close in this plugin's onClose.

export interface Jobs {
  callbacks: JobQueue<CallbackJob>
  expiry: JobQueue<ExpiryJob>
}

declare module 'fastify' {
  interface FastifyInstance {
    /** This instance's outbox relay (jobs/outbox.ts). */
    relay: Relay
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    jobs: Jobs
  }
}

const DEPTH_INTERVAL_MS = 15_000

export default fp(async (app) => {
  const { config, store, metrics } = app
  const log = app.log.child({ component: 'jobs' })
  function queue<T>(name: string): JobQueue<T> {
    if (config.store !== 'redis') return createMemoryQueue<T>(name)
    return createBullQueue<T>(name, {
      url: config.redis,
      prefix: `${config.keyPrefix}bull`,
      onError: (err) => log.warn({ err: errorSummary(err), queue: name }, 'queue connection error'),
    })
  }
  const jobs: Jobs = { callbacks: queue<CallbackJob>('callbacks'), expiry: queue<ExpiryJob>('expiry') }
  app.decorate('jobs', jobs)

  jobs.callbacks.work(callbackHandler({ store, queue: jobs.callbacks, config, metrics, log }), { concurrency: config.callbacks.concurrency })
  jobs.expiry.work(expiryHandler(store, log), { concurrency: 1 })
  const relay = startRelay({ store, queue: jobs.callbacks, config, metrics, log })
  app.decorate('relay', relay)

  const depth = setInterval(() => {
    for (const q of Object.values(jobs) as JobQueue<unknown>[]) {
      q.depth().then((n) => metrics.queueDepth.set({ queue: q.name }, n), () => {})
    }
    relay.check().catch(() => {}) // store away: /readyz says so
  }, DEPTH_INTERVAL_MS).unref()

  app.addHook('onClose', async () => {
    clearInterval(depth)
    await relay.close()
    await Promise.all([jobs.callbacks.close(), jobs.expiry.close()])
  })

  // Every instance upserts the same schedule (idempotent); without it nothing expires unread.
  await jobs.expiry.repeat(SWEEP_JOB, {}, config.expirySweepMs)
}, { name: 'jobs', dependencies: ['metrics'] })
