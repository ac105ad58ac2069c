import fp from 'fastify-plugin'
import { errorSummary } from '../logging.js'

// Cross-tenant allocation, said plainly (README "Security"): `caller:{phone}` is shared by all
// tenants, so a caller never holds one number in two tenants' windows (a call can never verify
// a window someone else opened for the same person at another bank). The price: with a pool
// barely larger than the tenants, allocation bias and POOL_EXHAUSTED tell bank B that the person
// is verifying at bank A right now. Hence the sizing rule, warned about at start and after every
// pool change (admin routes, the health job's quarantines) that leaves the pool below it.

/** The sizing rule: at least this many active numbers per tenant (10 is better). */
export const NUMBERS_PER_TENANT = 2

/** The warning for `active` numbers shared by `tenants`, or undefined when the pool is large enough. */
export function poolSizeWarning(active: number, tenants: number): string | undefined {
  const needed = NUMBERS_PER_TENANT * tenants
  if (active >= needed) return undefined
  return `${active} active pool numbers for ${tenants} tenants: below ${NUMBERS_PER_TENANT} per tenant (${needed}), allocation and POOL_EXHAUSTED can tell one bank that a person is verifying at another right now; add numbers (10 per tenant is better)`
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Counts the active numbers (one O(1) store call) and warns if the pool is below the sizing rule. */
    checkPoolSize(after: string): Promise<void>
  }
}

export default fp(async (app) => {
  const tenants = new Set(app.config.apiKeys.map((k) => k.tenant)).size
  const log = app.log.child({ component: 'pool' })
  app.decorate('checkPoolSize', async (after: string) => {
    try {
      const active = await app.store.countActiveNumbers()
      const warning = poolSizeWarning(active, tenants)
      if (warning) log.warn({ active, tenants, after }, warning)
    } catch (error) {
      log.warn({ err: errorSummary(error), after }, 'pool size not checked: the store failed')
    }
  })
  app.addHook('onReady', () => app.checkPoolSize('start'))
}, { name: 'poolsize', dependencies: ['store'] })
