import type { FastifyInstance } from 'fastify'
import { requireAdmin } from './auth.js'
import auditRoutes from './audit.js'
import lockRoutes from './locks.js'
import numberRoutes from './numbers.js'
import syncRoutes from './sync.js'
import callbackRoutes from './callbacks.js'
import maintenanceRoutes from './maintenance.js'

// Operations staff (CONTRACT.md "/admin"): every route behind an admin token. Each part
// registers here, one line each.
export default async function adminRoutes(app: FastifyInstance): Promise<void> {
  // onRequest: a caller without a token hears 401 before anything reads its body.
  app.addHook('onRequest', requireAdmin)
  await app.register(numberRoutes)
  await app.register(syncRoutes)
  await app.register(lockRoutes)
  await app.register(auditRoutes)
  await app.register(maintenanceRoutes)
  await app.register(callbackRoutes)
}
