import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { createTwilioRestClient, planSync, TwilioRestError } from '../../carriers/twilio/rest.js'
import { CallverifyError } from '../../domain/errors.js'
import { BearerAuth, errorResponses } from '../schemas/common.js'
import { SyncQuery, SyncReport } from '../schemas/admin.js'
import { audit } from './auth.js'

// POST /admin/numbers/sync: point every pool number on the Twilio account at this service's
// voice, fallback and status URLs (CONTRACT.md "/admin"), and say what is missing either side.

type Updated = SyncReport['updated']

/** The carrier failed: 502 CARRIER_UNAVAILABLE, with what was already changed before it did. */
function carrierError(error: unknown, updated: Updated): CallverifyError {
  if (!(error instanceof TwilioRestError)) return error as CallverifyError
  const hint = error.status === 401 ? ': check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN' : error.status === null ? ': is TWILIO_API_URL reachable?' : ''
  return new CallverifyError('CARRIER_UNAVAILABLE', {
    carrierStatus: error.status, carrierCode: error.code, updated,
  }, { message: `${error.message}${hint}` })
}

export default async function syncRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { store, config } = app

  async function sync(request: FastifyRequest, dryRun: boolean): Promise<SyncReport> {
    const twilio = createTwilioRestClient(config.twilio)
    // A retired number never matches again: whether the account still routes it is no concern.
    const pool = (await store.listNumbers()).filter((n) => n.state !== 'retired').map((n) => n.e164)
    const updated: Updated = []
    try {
      const plan = planSync(pool, await twilio.listIncomingNumbers(), config.publicBaseUrl)
      for (const u of plan.update) {
        if (!dryRun) await twilio.updateIncomingNumber(u.sid, u.routing)
        updated.push({ e164: u.phoneNumber, changes: u.changes })
      }
      return {
        dryRun, updated, unchanged: plan.unchanged.map((u) => u.phoneNumber),
        missingInAccount: plan.missingInAccount, notInPool: plan.notInPool, onTrunk: plan.onTrunk,
      }
    } catch (error) {
      request.log.warn({ err: error }, 'pool sync failed at the carrier')
      if (!dryRun && updated.length > 0) await audit(request, 'numbers.sync', undefined, undefined, { updated, failed: true })
      throw carrierError(error, updated)
    }
  }

  app.post('/numbers/sync', {
    schema: {
      tags: ['admin'], security: BearerAuth, querystring: SyncQuery,
      summary: "Point the pool's Twilio numbers at this service; report what changed and what is missing on either side",
      response: { 200: SyncReport, ...errorResponses(401, 403, 502, 503) },
    },
  }, async (request) => {
    const dryRun = request.query.dryRun === true
    const report = await sync(request, dryRun)
    if (!dryRun) await audit(request, 'numbers.sync', undefined, undefined, report)
    return report
  })
}
