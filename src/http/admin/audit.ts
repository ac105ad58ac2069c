import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { BearerAuth, errorResponses } from '../schemas/common.js'
import { AuditList, AuditQuery } from '../schemas/admin.js'

// The audit log, newest first: who changed what, when, before and after (CONTRACT.md "/admin").
export default async function auditRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

  app.get('/audit', {
    schema: { tags: ['admin'], summary: 'The audit log, newest first', security: BearerAuth, querystring: AuditQuery, response: { 200: AuditList, ...errorResponses(400, 401, 403, 503) } },
  }, async (request) => {
    const entries = await app.store.listAudit(request.query.limit ?? 50)
    return { entries: entries.map((e) => ({ ...e, at: new Date(e.at).toISOString() })) }
  })
}
