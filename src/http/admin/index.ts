import type { FastifyInstance } from 'fastify'
import { requireAdmin } from './auth.js'
import auditRoutes from './audit.js'
import lockRoutes from './locks.js'
import numberRoutes from './numbers.js'
import syncRoutes from './sync.js'
import callbackRoutes from './callbacks.js'
import maintenanceRoutes from './maintenance.js'

// Operations staff (docs/contract.md "/admin"): every route behind an admin token. Each part
// registers here, one line each.
export default async function adminRoutes(app: FastifyInstance): Promise<void> {
  // onRequest: a caller without a token hears 401 before anything reads its body.
  app.addHook('onRequest', requireAdmin)
  // The pool's routes in a scope of their own: after any change (add, patch, sync), is the pool
  // still large enough? (plugins/poolsize.ts)
  await app.register(async (pool) => {
    pool.addHook('onResponse', async (request, reply) => {
      if (request.method !== 'GET' && reply.statusCode < 400) await app.checkPoolSize(`${request.method} ${request.routeOptions.url}`)
    })
    await pool.register(numberRoutes)
    await pool.register(syncRoutes)
  })
  await app.register(lockRoutes)
  await app.register(auditRoutes)
  await app.register(maintenanceRoutes)
  await app.register(callbackRoutes)
}
