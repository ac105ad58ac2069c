import fp from 'fastify-plugin'
import { errorSummary } from '../logging.js'
import { createBullQueue } from './bullmq.js'
import { callbackFor, callbackHandler, callbackJobOptions, type CallbackJob } from './callbacks.js'
import { expiryHandler, SWEEP_JOB, type ExpiryJob } from './expiry.js'
import { createMemoryQueue, type JobQueue } from './queue.js'

// The jobs of this instance: the queues (BullMQ in Redis mode, timers in memory mode), a worker
// for each, and the two sources of work: the expiry sweep's schedule (expiry) and the store's
// status events (callbacks). Queues and workers close in this plugin's onClose.

export interface Jobs {
  callbacks: JobQueue<CallbackJob>
  expiry: JobQueue<ExpiryJob>
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

  jobs.callbacks.work(callbackHandler({ queue: jobs.callbacks, config, metrics, log }), { concurrency: 16 })
  jobs.expiry.work(expiryHandler(store, log), { concurrency: 1 })

  // Every instance receives every status event and enqueues its callback; the job id
  // (verification.status) makes the copies one job. Enqueueing only where the change happened
  // would lose the event if that instance died between the store step and the add; this way
  // it is lost only if every instance misses it. Events are handled one at a time so that this
  // instance adds `verified` before `confirmed` (the delivery keeps that order, callbacks.ts).
  let chain: Promise<void> = Promise.resolve()
  const unsubscribe = store.onStatus((event) => {
    chain = chain
      .then(async () => {
        const job = await callbackFor(store, event)
        if (job) await jobs.callbacks.add('callback', job, callbackJobOptions(config.callbacks, job.eventId))
      })
      .catch((err: Error) => log.error({ err: errorSummary(err), verificationId: event.id, status: event.status }, 'callback not enqueued'))
  })

  const depth = setInterval(() => {
    for (const q of Object.values(jobs) as JobQueue<unknown>[]) {
      q.depth().then((n) => metrics.queueDepth.set({ queue: q.name }, n), () => {})
    }
  }, DEPTH_INTERVAL_MS).unref()

  app.addHook('onClose', async () => {
    unsubscribe()
    clearInterval(depth)
    await Promise.all([jobs.callbacks.close(), jobs.expiry.close()])
  })

  // Every instance upserts the same schedule (idempotent); without it nothing expires unread.
  await jobs.expiry.repeat(SWEEP_JOB, {}, config.expirySweepMs)
}, { name: 'jobs', dependencies: ['metrics'] })
