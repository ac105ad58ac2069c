import type { Config } from '../../config.js'
import { attestationFromLevel } from '../../domain/carrier.js'
import { header } from '../form.js'
import { twimlAdapter } from '../twilio/dialect.js'
import { telnyxPublicKey, verifyTelnyxSignature } from './signature.js'

// Telnyx TeXML: Twilio's form fields (CallSid "v3:…", AccountSid a UUID), Ed25519-signed, and
// <Reject reason="busy"/>, which as the first verb "will prevent the call from being answered
// and will incur no cost" (Telnyx docs, TeXML verbs: Reject). SHAKEN/STIR arrives as
// ShakenStirAttestation (A/B/C) and ShakenStirValidated (Telnyx docs, TeXML callbacks).

const CALL_SID = /^v3:[A-Za-z0-9_-]{8,200}$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function createTelnyxAdapter(config: Config) {
  if (!config.telnyx.publicKey) return null
  const key = telnyxPublicKey(config.telnyx.publicKey)
  // config.ts refuses a key that does not decode; this keeps the adapter total anyway.
  if (!key) return null
  return twimlAdapter({
    carrier: 'telnyx',
    ids: { callSid: CALL_SID, accountSid: UUID },
    authenticate: (request, _form, now) => request.rawBody !== null && verifyTelnyxSignature({
      key, timestamp: header(request, 'telnyx-timestamp'), signature: header(request, 'telnyx-signature-ed25519'), rawBody: request.rawBody, now,
    }),
    attestation: (form) => {
      const level = form.ShakenStirAttestation
      const validated = form.ShakenStirValidated
      return attestationFromLevel(typeof level === 'string' ? level : undefined, typeof validated === 'string' ? validated : undefined)
    },
  })
}
