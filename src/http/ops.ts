import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { CallverifyError } from '../domain/errors.js'
import { bearerDigest, SecretSet } from '../plugins/auth.js'
import { errorResponses } from './schemas/errors.js'
import { BearerAuth } from './schemas/security.js'

// Running it in production: liveness, readiness, the metrics and the OpenAPI document.

/** How old the active count /readyz answers with may be: probes come often, from every balancer. */
export const READY_CACHE_MS = 1000

export default async function opsRoutes(app: FastifyInstance): Promise<void> {
  // One O(1) store call (it proves the store answers too) at most once a second, however
  // many probes come; one in flight is shared. A failure is not kept: the next probe asks again.
  let cached: { at: number; active: Promise<number> } | undefined
  function activeNumbers(): Promise<number> {
    const now = Date.now()
    if (cached && now - cached.at < READY_CACHE_MS) return cached.active
    const entry = { at: now, active: app.store.countActiveNumbers() }
    cached = entry
    entry.active.catch(() => {
      if (cached === entry) cached = undefined
    })
    return entry.active
  }

  app.get('/healthz', {
    schema: { tags: ['ops'], summary: 'Alive', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
  }, async () => ({ status: 'ok' as const }))

  app.get('/readyz', {
    schema: {
      tags: ['ops'], summary: 'Ready: the store answers and at least one number is active',
      response: { 200: Type.Object({ status: Type.Literal('ready'), activeNumbers: Type.Integer() }), ...errorResponses(503) },
    },
  }, async () => {
    const active = await activeNumbers()
    if (active === 0) throw new CallverifyError('POOL_EXHAUSTED', {}, { message: 'No active verification number', retryAfterSeconds: 5 })
    return { status: 'ready' as const, activeNumbers: active }
  })

  // /metrics tells outcomes (verified, expired …) that no caller may learn: a bearer token only,
  // METRICS_TOKEN or an admin token, in dev as in production.
  const { config, auth, metrics } = app
  const scrapers = new SecretSet([
    ...config.adminTokens.map((t) => ({ name: t.name, secret: t.token })),
    ...(config.metricsToken ? [{ name: 'metrics', secret: config.metricsToken }] : []),
  ])
  app.get('/metrics', {
    schema: { tags: ['ops'], summary: 'Prometheus metrics (Bearer METRICS_TOKEN or an admin token)', security: BearerAuth, response: errorResponses(401, 403) },
    onRequest: async (request) => {
      const digest = bearerDigest(request)
      if (scrapers.matchDigest(digest) !== undefined) return
      if (auth.apiKeys.matchDigest(digest) !== undefined) throw new CallverifyError('FORBIDDEN', {}, { message: 'An API key cannot read /metrics: use METRICS_TOKEN or an admin token' })
      throw new CallverifyError('UNAUTHORIZED', {}, { message: 'Send Authorization: Bearer <METRICS_TOKEN or an admin token>' })
    },
  }, async (_request, reply) => {
    reply.type(metrics.registry.contentType)
    return metrics.registry.metrics()
  })

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}
