import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { CallverifyError } from '../../domain/errors.js'
import { maskPhoneNumber, normalizePoolNumber, normalizeRegisteredNumber } from '../../domain/phone.js'
import type { AuditEntry } from '../../store/types.js'
import { errorResponses } from '../schemas/errors.js'
import { BearerAuth } from '../schemas/security.js'
import { AuditList, AuditQuery } from '../schemas/admin.js'

// The audit log, newest first: who changed what, when, before and after (docs/contract.md "/admin"),
// filtered by operator and by number, a page at a time. The store keeps the newest 1000
// entries, so a filter reads them all and pages what matches.

const KEPT = 1000

/** Which entries are about a number: a pool number is their target; a customer's number (R1) is in lock targets only masked. */
function aboutNumber(raw: string): (entry: AuditEntry) => boolean {
  const digits = raw.replace(/[\s()-]/g, '')
  const pool = normalizePoolNumber(digits.startsWith('0') ? `+81${digits.slice(1)}` : digits)
  let masked: string | undefined
  try {
    masked = `:${maskPhoneNumber(normalizeRegisteredNumber(digits))}`
  } catch {
    masked = undefined // toll-free and other numbers no customer calls from: a pool number only
  }
  if (pool === null && masked === undefined) {
    throw new CallverifyError('INVALID_PHONE_NUMBER', {}, { message: 'number must be a pool number (E.164 or 0120-…) or a registered number (10–11 digits)' })
  }
  return (entry) => entry.target !== undefined && (entry.target === pool || (masked !== undefined && entry.target.endsWith(masked)))
}

export default async function auditRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

  app.get('/audit', {
    schema: {
      tags: ['admin'], summary: 'The audit log, newest first; filter by operator (actor) and by number, paged with limit and offset', security: BearerAuth,
      querystring: AuditQuery, response: { 200: AuditList, ...errorResponses(400, 401, 403, 503) },
    },
  }, async (request) => {
    const { limit = 50, offset = 0, actor, number } = request.query
    const matchesNumber = number === undefined ? undefined : aboutNumber(number)
    const matching = (await app.store.listAudit(KEPT)).filter((e) => (actor === undefined || e.actor === actor) && (matchesNumber?.(e) ?? true))
    const page = matching.slice(offset, offset + limit)
    return {
      entries: page.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
      total: matching.length,
      ...(offset + limit < matching.length ? { nextOffset: offset + limit } : {}),
    }
  })
}
