import type { Config } from '../../config.js'
import { header } from '../form.js'
import { twimlAdapter } from '../twilio/dialect.js'
import { verifyTwilioSignature } from '../twilio/signature.js'

// SignalWire's Compatibility API (cXML) is Twilio's dialect: the same form fields, the same
// signature scheme keyed by the project's signing key (SignalWire docs, "Securing webhooks":
// X-SignalWire-Signature, with X-Twilio-Signature sent as its alias), <Reject reason="busy"/>.
// Its ids are UUIDs (a call's CallSid, the project's AccountSid). It sends no attestation.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function createSignalWireAdapter(config: Config) {
  const signingKey = config.signalwire.signingKey
  if (!signingKey) return null
  return twimlAdapter({
    carrier: 'signalwire',
    ids: { callSid: UUID, accountSid: UUID },
    authenticate: (request, form) => form !== null && verifyTwilioSignature({
      authToken: signingKey, publicBaseUrl: config.publicBaseUrl, url: request.url, params: form,
      signature: header(request, 'x-signalwire-signature') ?? header(request, 'x-twilio-signature'),
    }),
    attestation: () => undefined,
  })
}
