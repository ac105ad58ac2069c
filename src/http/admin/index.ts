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
  // After any change to the pool (add, patch, sync): is it still large enough? (plugins/poolsize.ts)
  app.addHook('onResponse', async (request, reply) => {
    if (request.method !== 'GET' && reply.statusCode < 400 && request.routeOptions.url?.startsWith('/admin/numbers')) {
      await app.checkPoolSize(`${request.method} ${request.routeOptions.url}`)
    }
  })
  await app.register(numberRoutes)
  await app.register(syncRoutes)
  await app.register(lockRoutes)
  await app.register(auditRoutes)
  await app.register(maintenanceRoutes)
  await app.register(callbackRoutes)
}
