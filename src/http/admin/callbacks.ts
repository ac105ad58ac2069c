import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type, type Static } from 'typebox'
import { EVENT_TYPES, type CallbackJob } from '../../jobs/callbacks.js'
import type { FailedJob } from '../../jobs/queue.js'
import type { VerificationStatus } from '../../domain/verification.js'
import type { Store } from '../../store/types.js'
import { errorResponses } from '../schemas/errors.js'
import { BearerAuth } from '../schemas/security.js'

// The callback dead letters: events whose delivery failed for good (attempts used up, or a
// refused target). A job names only its event: the rest is read from the store, as the delivery
// reads it. Only the target's host is shown: a callback URL's path or query may carry a
// tenant's secret.

const FailedCallback = Type.Object({
  eventId: Type.String(),
  verificationId: Type.String(),
  tenant: Type.String({ description: "'' when the verification is no longer in the store" }),
  type: Type.String(),
  host: Type.String({ description: "host[:port] of the callback URL; '' when the verification is no longer in the store" }),
  attempts: Type.Integer(),
  lastError: Type.String(),
  failedAt: Type.String({ format: 'date-time' }),
})

const FailedList = Type.Object({ failed: Type.Array(FailedCallback) })
const FailedQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) })

async function present(store: Store, job: FailedJob<CallbackJob>): Promise<Static<typeof FailedCallback>> {
  const eventId = String(job.data.eventId)
  const dot = eventId.lastIndexOf('.')
  const verificationId = eventId.slice(0, Math.max(0, dot))
  const v = verificationId ? (await store.getVerification(verificationId))?.verification : undefined
  const url = v?.callbackUrl !== undefined && URL.canParse(v.callbackUrl) ? new URL(v.callbackUrl) : undefined
  return {
    eventId,
    verificationId,
    tenant: v?.tenant ?? '',
    type: EVENT_TYPES[eventId.slice(dot + 1) as VerificationStatus] ?? '',
    host: url?.host ?? '',
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
  }, async (request) => {
    const failed = await app.jobs.callbacks.failed(request.query.limit ?? 100)
    return { failed: await Promise.all(failed.map((job) => present(app.store, job))) }
  })
}
