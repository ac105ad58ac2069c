import type { Config } from '../../config.js'
import { attestationFromVerstat } from '../../domain/carrier.js'
import { header } from '../form.js'
import { twimlAdapter } from './dialect.js'
import { TWILIO_IDS } from './params.js'
import { verifyTwilioSignature } from './signature.js'

// Twilio: X-Twilio-Signature keyed by TWILIO_AUTH_TOKEN over PUBLIC_BASE_URL + path + query and
// the sorted form pairs; StirVerstat on SHAKEN/STIR-signed US calls (Twilio docs, "Trusted Calling
// with SHAKEN/STIR").
export function createTwilioAdapter(config: Config) {
  const authToken = config.twilio.authToken
  if (!authToken) return null
  return twimlAdapter({
    carrier: 'twilio',
    ids: TWILIO_IDS,
    authenticate: (request, form) => form !== null && verifyTwilioSignature({
      authToken, publicBaseUrl: config.publicBaseUrl, url: request.url, params: form, signature: header(request, 'x-twilio-signature'),
    }),
    attestation: (form) => attestationFromVerstat(typeof form.StirVerstat === 'string' ? form.StirVerstat : undefined),
  })
}
