import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type, type Static } from 'typebox'
import type { CallbackJob } from '../../jobs/callbacks.js'
import type { FailedJob } from '../../jobs/queue.js'
import { BearerAuth, errorResponses } from '../schemas/common.js'

// The callback dead letters: events whose delivery failed for good (attempts used up, or a
// refused target). Only the target's host is shown: a callback URL's path or query may carry
// a tenant's secret.

const FailedCallback = Type.Object({
  eventId: Type.String(),
  verificationId: Type.String(),
  tenant: Type.String(),
  type: Type.String(),
  host: Type.String({ description: 'host[:port] of the callback URL' }),
  attempts: Type.Integer(),
  lastError: Type.String(),
  failedAt: Type.String({ format: 'date-time' }),
})

const FailedList = Type.Object({ failed: Type.Array(FailedCallback) })
const FailedQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) })

/** host[:port] of a callback URL: its path and query may carry a tenant's secret. */
function callbackHost(raw: string): string | undefined {
  return URL.canParse(raw) ? new URL(raw).host : undefined
}

/** A callback URL as staff may see it: its origin, the rest elided (the queues dashboard). */
export function maskedCallbackUrl(raw: string): string {
  const host = callbackHost(raw)
  return host === undefined ? '(invalid URL)' : `${new URL(raw).protocol}//${host}/…`
}

function present(job: FailedJob<CallbackJob>): Static<typeof FailedCallback> {
  return {
    eventId: job.data.eventId,
    verificationId: job.data.verificationId,
    tenant: job.data.tenant,
    type: job.data.type,
    host: callbackHost(job.data.url) ?? '(invalid URL)',
    attempts: job.attempts,
    lastError: job.error,
    failedAt: new Date(job.failedAt).toISOString(),
  }
}

export default async function callbackRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  app.get('/callbacks/failed', {
    schema: {
      tags: ['admin'], summary: 'Callbacks that failed for good, newest first (the last 1000 are kept)', security: BearerAuth,
      querystring: FailedQuery,
      response: { 200: FailedList, ...errorResponses(400, 401, 403, 503) },
    },
  }, async (request) => ({ failed: (await app.jobs.callbacks.failed(request.query.limit ?? 100)).map(present) }))
}
