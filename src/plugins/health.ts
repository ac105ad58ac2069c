import fp from 'fastify-plugin'
import { checkPoolHealth, HEALTH_JOB, type HealthReport } from '../jobs/health.js'
import { errorSummary } from '../logging.js'

// Runs the pool health job (src/jobs/health.ts) every HEALTH_INTERVAL_SECONDS on the jobs
// plugin's `health` queue, as the expiry sweep runs on `expiry`: a BullMQ job scheduler in Redis
// mode (once per period across all instances), the in-process queue's interval in memory mode.
// The queue, its worker and its schedule close with the jobs plugin.

export interface PoolHealth {
  /** One check now (tests, and the scheduled job). */
  run(): Promise<HealthReport>
}

declare module 'fastify' {
  interface FastifyInstance {
    poolHealth: PoolHealth
  }
}

export default fp(async (app) => {
  const { config, store, jobs } = app
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

  app.decorate('poolHealth', { run })
  jobs.health.work(async () => {
    try {
      await run()
    } catch (error) {
      // The next tick tries again.
      log.error({ err: errorSummary(error) }, 'pool health check failed')
      throw error
    }
  }, { concurrency: 1 })
  await jobs.health.repeat(HEALTH_JOB, {}, config.health.intervalSeconds * 1000)
}, { name: 'health', dependencies: ['store', 'jobs', 'poolsize'] })
