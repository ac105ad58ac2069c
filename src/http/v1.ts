import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { CallverifyError } from '../domain/errors.js'
import { normalizeRegisteredNumber } from '../domain/phone.js'
import { isTerminal } from '../domain/verification.js'
import { presentVerification } from '../domain/present.js'
import { sha256Hex } from '../plugins/auth.js'
import type { RateCount } from '../store/types.js'
import { authorizeReader, holdsPollToken, randomToken, requireTenant, unauthorized } from './auth.js'
import { errorResponses } from './schemas/errors.js'
import { BearerAuth } from './schemas/security.js'
import { CreateBody, GetQuery, IdParams, ServiceStatusBody, ServiceStatusQuery, VerificationBody } from './schemas/v1.js'

// The backend's and the frontend's API (docs/contract.md "/v1").

/** Callbacks go to https only in production (http too in dev); delivery re-checks the resolved address. */
function checkCallbackUrl(raw: string, production: boolean): void {
  const url = URL.canParse(raw) ? new URL(raw) : undefined
  const allowed = production ? ['https:'] : ['https:', 'http:']
  if (!url || !allowed.includes(url.protocol) || url.username || url.password) {
    throw new CallverifyError('INVALID_REQUEST', {}, { message: `callbackUrl must be an ${production ? 'https' : 'http(s)'} URL without credentials` })
  }
}

export default async function v1Routes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { store, config, watch, gate, rateLimits } = app

  async function load(id: string, counts?: RateCount[] | null) {
    const found = await store.getVerification(id, counts ?? undefined)
    if (!found) throw new CallverifyError('NOT_FOUND')
    return found
  }

  app.post('/verifications', {
    schema: {
      tags: ['v1'], summary: 'Open a verification window (screen ④)', security: BearerAuth,
      body: CreateBody,
      response: { 201: VerificationBody, ...errorResponses(400, 401, 423, 429, 503) },
    },
    config: { rateLimitKind: 'create', rateCountsInStore: true },
  }, async (request, reply) => {
    const tenant = requireTenant(request)
    // Normalised before it is counted (numberCount), so 090… and +8190… count as one number.
    const phoneNumber = normalizeRegisteredNumber(request.body.phoneNumber)
    if (request.body.callbackUrl !== undefined) checkCallbackUrl(request.body.callbackUrl, config.production)
    await gate.assertOpen(app.clock(), config.windowSeconds * 1000)
    const pollToken = randomToken(32)
    const { verification, now } = await store.createVerification({
      id: `vf_${randomToken(18)}`,
      tenant,
      phoneNumber,
      pollTokenHash: sha256Hex(pollToken),
      windowMs: config.windowSeconds * 1000,
      random: Math.random(),
      ...(request.body.reference !== undefined ? { reference: request.body.reference } : {}),
      ...(request.body.callbackUrl !== undefined ? { callbackUrl: request.body.callbackUrl } : {}),
      ...(request.rateCounts ? { counts: request.rateCounts } : {}),
      numberCount: rateLimits.perNumber,
    })
    request.verificationId = verification.id
    app.metrics.verifications.inc({ outcome: 'created' })
    app.metrics.allocations.inc({ number: verification.verificationNumber })
    return reply.code(201).send({ ...presentVerification(verification, now), pollToken })
  })

  app.get('/verifications/:id', {
    schema: {
      tags: ['v1'], summary: 'Status; long-polls with waitSeconds', security: BearerAuth,
      params: IdParams, querystring: GetQuery,
      response: { 200: VerificationBody, ...errorResponses(400, 401, 404, 429, 503) },
    },
    config: { rateLimitKind: 'poll', rateCountsInStore: true, pollTokenCors: true },
  }, async (request) => {
    request.verificationId = request.params.id
    let { verification, now } = await load(request.params.id, request.rateCounts)
    authorizeReader(request, verification)
    const wait = (request.query.waitSeconds ?? 0) * 1000
    if (wait > 0 && !isTerminal(verification.status)) {
      // An open window ends by itself: wake at its end even if no expiry event comes.
      const until = Math.min(wait, Math.max(0, verification.expiresAt - now) + 50)
      const closed = new AbortController()
      request.raw.once('close', () => closed.abort())
      const seen = verification.status
      const started = Date.now()
      while (Date.now() - started < until && !closed.signal.aborted) {
        const event = await watch.next(verification.id, until - (Date.now() - started), closed.signal)
        if (!event || event.status !== seen) break
      }
      ;({ verification, now } = await load(request.params.id))
    }
    return presentVerification(verification, now)
  })

  app.post('/verifications/:id/confirm', {
    schema: {
      tags: ['v1'], summary: '確定する: confirm after the call (backend only)', security: BearerAuth,
      params: IdParams,
      response: { 200: VerificationBody, ...errorResponses(401, 403, 404, 409, 410, 429, 503) },
    },
  }, async (request) => {
    request.verificationId = request.params.id
    const { tenant } = request
    if (tenant === null) {
      // A poll token is a valid credential, but not for confirm: say so rather than 401.
      const found = await store.getVerification(request.params.id)
      if (found && holdsPollToken(request, found.verification)) {
        throw new CallverifyError('FORBIDDEN', {}, { message: 'A poll token cannot confirm: the backend confirms with its API key' })
      }
      throw unauthorized()
    }
    await gate.assertOpen(app.clock())
    const { verification, now } = await store.confirmVerification(request.params.id, tenant)
    return presentVerification(verification, now)
  })

  app.post('/verifications/:id/cancel', {
    schema: {
      tags: ['v1'], summary: '中止する: cancel (backend or frontend)', security: BearerAuth,
      params: IdParams,
      response: { 200: VerificationBody, ...errorResponses(401, 404, 409, 410, 429, 503) },
    },
    config: { pollTokenCors: true },
  }, async (request) => {
    request.verificationId = request.params.id
    const { tenant } = request
    if (tenant === null) authorizeReader(request, (await load(request.params.id)).verification)
    const { verification, now } = await store.cancelVerification(request.params.id, tenant === null ? 'customer' : 'backend', tenant ?? undefined)
    return presentVerification(verification, now)
  })

  app.get('/service-status', {
    schema: {
      tags: ['v1'], summary: 'R12: open now (or at `at`), and if closed, why and until when',
      querystring: ServiceStatusQuery,
      response: { 200: ServiceStatusBody, ...errorResponses(400) },
    },
  }, async (request) => {
    const at = request.query.at === undefined ? app.clock() : Date.parse(request.query.at)
    if (Number.isNaN(at)) throw new CallverifyError('INVALID_REQUEST', {}, { message: '`at` must be an ISO 8601 date-time' })
    const status = await gate.statusAt(at)
    return status.open ? { open: true } : { open: false, reason: status.reason, until: new Date(status.until).toISOString() }
  })
}
