import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from '../../config.js'
import { planTelnyxSync, TelnyxRestError, type TelnyxRestClient } from '../../carriers/telnyx/rest.js'
import { planSync, TwilioRestError, type TwilioRestClient } from '../../carriers/twilio/rest.js'
import { publicUrl } from '../../carriers/twilio/signature.js'
import { CallverifyError } from '../../domain/errors.js'
import { errorResponses } from '../schemas/errors.js'
import { BearerAuth } from '../schemas/security.js'
import { SyncQuery, SyncReport } from '../schemas/admin.js'
import { audit } from './auth.js'

// POST /admin/numbers/sync?carrier=…: point the pool numbers of one carrier at this service
// (docs/contract.md "/admin"), and say what is missing either side. Twilio (the default) and Telnyx
// are synced through their REST APIs; for the others sync is manual: the report names the URLs
// to set at the carrier for each of its pool numbers, and changes nothing.

type Updated = SyncReport['updated']

const CREDENTIALS: Record<string, string> = {
  twilio: 'check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN', telnyx: 'check TELNYX_API_KEY and TELNYX_TEXML_APPLICATION_ID',
}
const API_URL: Record<string, string> = { twilio: 'TWILIO_API_URL', telnyx: 'TELNYX_API_URL' }

/** The carrier failed: 502 CARRIER_UNAVAILABLE, with what was already changed before it did. */
function carrierError(carrier: string, error: unknown, updated: Updated): CallverifyError {
  if (!(error instanceof TwilioRestError) && !(error instanceof TelnyxRestError)) return error as CallverifyError
  const hint = error.status === 401 ? `: ${CREDENTIALS[carrier]}` : error.status === null ? `: is ${API_URL[carrier]} reachable?` : ''
  return new CallverifyError('CARRIER_UNAVAILABLE', {
    carrierStatus: error.status, carrierCode: error.code, updated,
  }, { message: `${error.message}${hint}` })
}

async function syncTwilio(twilio: TwilioRestClient, config: Config, pool: string[], dryRun: boolean, updated: Updated): Promise<SyncReport> {
  const plan = planSync(pool, await twilio.listIncomingNumbers(), config.publicBaseUrl)
  for (const u of plan.update) {
    if (!dryRun) await twilio.updateIncomingNumber(u.sid, u.routing)
    updated.push({ e164: u.phoneNumber, changes: u.changes })
  }
  return {
    carrier: 'twilio', dryRun, updated, unchanged: plan.unchanged.map((u) => u.phoneNumber),
    missingInAccount: plan.missingInAccount, notInPool: plan.notInPool, onTrunk: plan.onTrunk,
  }
}

/** `client` is asked for only once the credentials are known to be set. */
async function syncTelnyx(client: () => TelnyxRestClient, config: Config, pool: string[], dryRun: boolean, updated: Updated): Promise<SyncReport> {
  const { apiKey, texmlApplicationId } = config.telnyx
  if (!apiKey || !texmlApplicationId) {
    throw new CallverifyError('INVALID_REQUEST', {}, { message: 'Telnyx sync needs TELNYX_API_KEY and TELNYX_TEXML_APPLICATION_ID (the TeXML application the pool numbers use)' })
  }
  const telnyx = client()
  const app = await telnyx.getApplication(texmlApplicationId)
  const plan = planTelnyxSync(pool, await telnyx.listNumbers(), app, config.publicBaseUrl)
  if (!dryRun && plan.application.changes.length > 0) await telnyx.updateApplication(app.id, plan.application.routing)
  for (const u of plan.update) {
    if (!dryRun) await telnyx.updateNumber(u.id, app.id)
    updated.push({ e164: u.phoneNumber, changes: u.changes })
  }
  return {
    carrier: 'telnyx', dryRun, updated, unchanged: plan.unchanged, missingInAccount: plan.missingInAccount, notInPool: plan.notInPool, onTrunk: [],
    application: { id: app.id, changes: plan.application.changes },
  }
}

/** Sync is manual for this carrier: what to set, for which numbers. */
function manualReport(config: Config, carrier: string, pool: string[]): SyncReport {
  const url = (endpoint: string) => publicUrl(config.publicBaseUrl, `/webhooks/${carrier}/${endpoint}`)
  return {
    carrier, dryRun: true, manual: true, updated: [], unchanged: [], missingInAccount: [], notInPool: [], onTrunk: [],
    toSetByHand: pool, target: { voice: url('voice'), status: url('status'), fallback: url('fallback') },
  }
}

export default async function syncRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { store, config, carrierClients } = app

  async function sync(request: FastifyRequest, carrier: string, dryRun: boolean): Promise<SyncReport> {
    // A retired number never matches again: whether the account still routes it is no concern.
    const pool = (await store.listNumbers()).filter((n) => n.state !== 'retired' && n.carrier === carrier).map((n) => n.e164)
    if (carrier !== 'twilio' && carrier !== 'telnyx') return manualReport(config, carrier, pool)
    const updated: Updated = []
    try {
      return carrier === 'twilio'
        ? await syncTwilio(carrierClients.twilio(), config, pool, dryRun, updated)
        : await syncTelnyx(carrierClients.telnyx, config, pool, dryRun, updated)
    } catch (error) {
      request.log.warn({ carrier, err: error }, 'pool sync failed at the carrier')
      if (!dryRun && updated.length > 0) await audit(request, 'numbers.sync', carrier, undefined, { updated, failed: true })
      throw carrierError(carrier, error, updated)
    }
  }

  app.post('/numbers/sync', {
    schema: {
      tags: ['admin'], security: BearerAuth, querystring: SyncQuery,
      summary: "Point one carrier's pool numbers at this service (Twilio and Telnyx through their APIs; the others: what to set by hand)",
      response: { 200: SyncReport, ...errorResponses(400, 401, 403, 502, 503) },
    },
  }, async (request) => {
    const dryRun = request.query.dryRun === true
    const carrier = request.query.carrier ?? 'twilio'
    const report = await sync(request, carrier, dryRun)
    if (!dryRun) await audit(request, 'numbers.sync', carrier === 'twilio' ? undefined : carrier, undefined, report)
    return report
  })
}
