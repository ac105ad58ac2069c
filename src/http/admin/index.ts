import type { FastifyInstance } from 'fastify'
import { requireAdmin } from './auth.js'

// Operations staff (CONTRACT.md "/admin"): every route behind an admin token. Each part
// registers here, one line each.
export default async function adminRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('preHandler', requireAdmin)
}
