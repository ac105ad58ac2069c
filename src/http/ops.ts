import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { CallverifyError } from '../domain/errors.js'
import { errorResponses } from './schemas/common.js'

// Running it in production: liveness, readiness and the OpenAPI document.
export default async function opsRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', {
    schema: { tags: ['ops'], summary: 'Alive', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
  }, async () => ({ status: 'ok' as const }))

  app.get('/readyz', {
    schema: {
      tags: ['ops'], summary: 'Ready: the store answers and at least one number is active',
      response: { 200: Type.Object({ status: Type.Literal('ready'), activeNumbers: Type.Integer() }), ...errorResponses(503) },
    },
  }, async () => {
    await app.store.ping()
    const active = (await app.store.listNumbers()).filter((n) => n.state === 'active').length
    if (active === 0) throw new CallverifyError('POOL_EXHAUSTED', {}, { message: 'No active verification number', retryAfterSeconds: 5 })
    return { status: 'ready' as const, activeNumbers: active }
  })

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}
