import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { CallverifyError } from '../../domain/errors.js'
import { normalizePoolNumber, presentVerificationNumber } from '../../domain/phone.js'
import { HOUR_MS, HOURLY_HOURS, type PoolNumber, type PoolNumberPatch } from '../../store/types.js'
import { errorResponses } from '../schemas/errors.js'
import { BearerAuth } from '../schemas/security.js'
import { AddNumberBody, E164Params, ForceQuery, HourlyList, HourlyQuery, NumberList, PatchNumberBody, PoolNumberBody } from '../schemas/admin.js'
import { audit } from './auth.js'

// The pool (docs/contract.md "/admin"): list, add, and change a number's state, weight, label or carrier.

const iso = (ms: number) => new Date(ms).toISOString()

export function presentNumber(n: PoolNumber): PoolNumberBody {
  return {
    e164: n.e164, carrier: n.carrier as PoolNumberBody['carrier'], display: presentVerificationNumber(n.e164).display, state: n.state, weight: n.weight,
    ...(n.label !== undefined ? { label: n.label } : {}),
    health: n.health, pending: n.pending, callsToday: n.callsToday,
    ...(n.lastCallAt !== undefined ? { lastCallAt: iso(n.lastCallAt) } : {}),
    allocationsSinceCall: n.allocationsSinceCall, outcomesToday: n.outcomesToday,
    ...(n.lastOutcome !== undefined ? { lastOutcome: { ...n.lastOutcome, at: iso(n.lastOutcome.at) } } : {}),
    addedAt: iso(n.addedAt),
  }
}

/** What the audit log keeps of a number: the settings an operator changes, not its counters. */
export function numberSettings(n: PoolNumber): Pick<PoolNumber, 'carrier' | 'state' | 'weight' | 'label' | 'health'> {
  return { carrier: n.carrier, state: n.state, weight: n.weight, ...(n.label !== undefined ? { label: n.label } : {}), health: n.health }
}

/**
 * `:e164` in a path: `+` is literal in a path (it means a space only in a query or form), so
 * `/admin/numbers/+81…` and `/admin/numbers/%2B81…` both arrive as +81…; the digits alone, or a
 * `+` some client turned into a space, get their `+` back.
 */
export function poolNumberOf(raw: string, field = ':e164'): string {
  const trimmed = raw.trim()
  const e164 = normalizePoolNumber(/^\d/.test(trimmed) ? `+${trimmed}` : trimmed)
  if (!e164) throw new CallverifyError('INVALID_PHONE_NUMBER', {}, { message: `${field} must be an E.164 number: + and the country code, e.g. +81120000004` })
  return e164
}

export default async function numberRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { store } = app

  app.get('/numbers', {
    schema: { tags: ['admin'], summary: 'The pool: state, weight, load and health of every verification number', security: BearerAuth, response: { 200: NumberList, ...errorResponses(401, 403, 503) } },
  }, async () => ({ numbers: (await store.listNumbers()).map(presentNumber) }))

  app.get('/numbers/hourly', {
    schema: {
      tags: ['admin'], summary: 'Calls and verified calls per pool number per hour, the last 24 hours (the console\'s chart)', security: BearerAuth,
      querystring: HourlyQuery, response: { 200: HourlyList, ...errorResponses(400, 401, 403, 503) },
    },
  }, async (request) => {
    const { firstHour, numbers } = await store.hourlyCalls(request.query.hours ?? HOURLY_HOURS)
    const span = numbers[0]?.calls.length ?? Math.min(request.query.hours ?? HOURLY_HOURS, HOURLY_HOURS)
    return {
      hours: Array.from({ length: span }, (_, i) => iso(firstHour + i * HOUR_MS)),
      numbers: numbers.map((n) => ({ ...n, display: presentVerificationNumber(n.e164).display })),
    }
  })

  app.post('/numbers', {
    schema: {
      tags: ['admin'], summary: 'Add a verification number, active', security: BearerAuth,
      body: AddNumberBody, response: { 201: PoolNumberBody, ...errorResponses(400, 401, 403, 409, 503) },
    },
  }, async (request, reply) => {
    const e164 = poolNumberOf(request.body.e164, 'e164')
    const { weight, label, carrier } = request.body
    const added = await store.addNumber({ e164, ...(carrier ? { carrier } : {}), ...(weight !== undefined ? { weight } : {}), ...(label ? { label } : {}) })
    await audit(request, 'numbers.add', e164, undefined, numberSettings(added))
    return reply.code(201).send(presentNumber(added))
  })

  app.patch('/numbers/:e164', {
    schema: {
      tags: ['admin'], security: BearerAuth,
      summary: 'Change state, weight, label or carrier. Leaving no number to allocate, or reviving a retired one, needs ?force=true',
      params: E164Params, querystring: ForceQuery, body: PatchNumberBody,
      response: { 200: PoolNumberBody, ...errorResponses(400, 401, 403, 404, 409, 503) },
    },
  }, async (request) => {
    const e164 = poolNumberOf(request.params.e164)
    const patch: PoolNumberPatch = { ...request.body }
    // Activating is the operator vouching for the number: a past "answered" or "silent" is cleared.
    if (patch.state === 'active') patch.health = 'ok'
    const { before, after } = await store.updateNumber(e164, patch, { guard: request.query.force !== true })
    await audit(request, 'numbers.update', e164, numberSettings(before), numberSettings(after))
    return presentNumber(after)
  })
}
