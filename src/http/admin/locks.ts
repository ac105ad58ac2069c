import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { CallverifyError } from '../../domain/errors.js'
import { maskPhoneNumber, normalizeRegisteredNumber } from '../../domain/phone.js'
import type { DayLock } from '../../store/types.js'
import { errorResponses } from '../schemas/errors.js'
import { BearerAuth } from '../schemas/security.js'
import { LiftLockBody, LockBody, LockParams, LockQuery } from '../schemas/admin.js'
import { audit } from './auth.js'

// Staff help with the day lock (R11): see it, or lift it before the next midnight. The number
// is a customer's: answers, errors and the audit log show it masked (R1), and the request log
// line carries the route pattern, never this URL.

function presentLock(lock: DayLock): LockBody {
  return {
    tenant: lock.tenant,
    phoneNumber: { masked: maskPhoneNumber(lock.phoneNumber) },
    locked: lock.lockedUntil !== undefined,
    ...(lock.lockedUntil !== undefined ? { lockedUntil: new Date(lock.lockedUntil).toISOString() } : {}),
    failures: lock.failures,
  }
}

export default async function lockRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { store, config } = app
  const tenants = new Set(config.apiKeys.map((k) => k.tenant))

  function target(params: { phoneNumber: string }, query: { tenant: string }) {
    // A typo in the tenant would otherwise read as "not locked" and lift nothing.
    if (!tenants.has(query.tenant)) throw new CallverifyError('INVALID_REQUEST', {}, { message: `No tenant "${query.tenant}": tenants are the names in API_KEYS` })
    return { tenant: query.tenant, phoneNumber: normalizeRegisteredNumber(params.phoneNumber) }
  }

  const schema = (summary: string) => ({
    tags: ['admin'], summary, security: BearerAuth, params: LockParams, querystring: LockQuery,
    response: { 200: LockBody, ...errorResponses(400, 401, 403, 503) },
  })

  app.get('/locks/:phoneNumber', { schema: schema("A number's day lock (R11) and today's failures, for one tenant") }, async (request) => {
    const { tenant, phoneNumber } = target(request.params, request.query)
    return presentLock(await store.getLock(tenant, phoneNumber))
  })

  app.delete('/locks/:phoneNumber', {
    schema: { ...schema("Lift a number's day lock and clear today's failures (staff help, R11); the reason goes into the audit log"), body: LiftLockBody },
  }, async (request) => {
    const { tenant, phoneNumber } = target(request.params, request.query)
    const before = presentLock(await store.clearLock(tenant, phoneNumber))
    const after = { tenant, phoneNumber: before.phoneNumber, locked: false, failures: 0 }
    await audit(request, 'locks.clear', `${tenant}:${before.phoneNumber.masked}`, before, after, request.body?.reason?.trim())
    return { ...after, lifted: before.locked }
  })
}
