import fp from 'fastify-plugin'
import { createTelnyxRestClient, type TelnyxRestClient } from '../carriers/telnyx/rest.js'
import { createTwilioRestClient, type TwilioRestClient } from '../carriers/twilio/rest.js'

// The carriers' REST clients, for pool sync (POST /admin/numbers/sync): one per app, made on
// first use from the config (a carrier whose credentials are unset never makes one), or handed
// in through buildApp's deps (AppDeps.carrierClients). Nothing to close: each call is one
// request, and the idle keep-alive sockets twilio-node's agent keeps are unref'd by Node.

export interface CarrierClients {
  /** Twilio's REST API: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_URL. */
  twilio(): TwilioRestClient
  /** Telnyx's: TELNYX_API_KEY, TELNYX_API_URL (sync checks the key is set first). */
  telnyx(): TelnyxRestClient
}

export type CarrierClientDeps = Partial<{ twilio: TwilioRestClient; telnyx: TelnyxRestClient }>

declare module 'fastify' {
  interface FastifyInstance {
    carrierClients: CarrierClients
  }
}

export default fp<{ clients?: CarrierClientDeps }>(async (app, { clients = {} }) => {
  const { twilio, telnyx } = app.config
  let twilioClient = clients.twilio
  let telnyxClient = clients.telnyx
  app.decorate('carrierClients', {
    twilio: () => (twilioClient ??= createTwilioRestClient(twilio)),
    telnyx: () => (telnyxClient ??= createTelnyxRestClient({ apiKey: telnyx.apiKey, apiUrl: telnyx.apiUrl })),
  })
}, { name: 'carriers' })
