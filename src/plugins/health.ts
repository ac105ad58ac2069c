import fp from 'fastify-plugin'
import type { Queue } from 'bullmq'
import { checkPoolHealth, startHealthScheduler, type HealthReport } from '../jobs/health.js'
import { errorSummary } from '../logging.js'

// Runs the pool health job (src/jobs/health.ts) every HEALTH_INTERVAL_SECONDS: a BullMQ job
// scheduler in Redis mode (once per period across all instances), an unref'd timer in memory
// mode (one process). Closes its queue, worker and timer in onClose.

export interface PoolHealth {
  /** One check now (tests, and the scheduled job). */
  run(): Promise<HealthReport>
  /** The BullMQ queue in Redis mode, for the queues dashboard. */
  queue?: Queue
}

declare module 'fastify' {
  interface FastifyInstance {
    poolHealth: PoolHealth
  }
}

export default fp(async (app) => {
  const { config, store } = app
  const log = app.log.child({ component: 'health' })

  async function run(): Promise<HealthReport> {
    const report = await checkPoolHealth(store, config.health.silentAfter)
    for (const number of report.silent) {
      log.warn({ number, silentAfter: config.health.silentAfter }, 'pool number is silent: handed out repeatedly, no call arrived; check its routing (callverify numbers sync)')
    }
    // Repeated every run on purpose: an answering number bills every call until someone fixes it.
    for (const number of report.answered) {
      log.warn({ number }, 'pool number answered a call and is quarantined: fix its voice URL at the carrier, then set it active')
    }
    if (report.answered.length > 0) await app.checkPoolSize('health check: answered numbers quarantined')
    return report
  }

  const everyMs = config.health.intervalSeconds * 1000
  const health: PoolHealth = { run }
  if (config.store === 'redis') {
    const scheduler = await startHealthScheduler({
      url: config.redis, prefix: `${config.keyPrefix}bull`, everyMs, run,
      onError: (err) => log.warn({ err: errorSummary(err) }, 'pool health job or its connection failed'),
    })
    health.queue = scheduler.queue
    app.addHook('onClose', async () => scheduler.close())
  } else {
    const timer = setInterval(() => {
      run().catch((err: Error) => log.error({ err: errorSummary(err) }, 'pool health check failed'))
    }, everyMs).unref()
    app.addHook('onClose', async () => clearInterval(timer))
  }
  app.decorate('poolHealth', health)
}, { name: 'health' })
