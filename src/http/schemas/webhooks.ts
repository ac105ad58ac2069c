import { Type } from 'typebox'
import { errorResponses } from './errors.js'

// OpenAPI only: the bodies are each carrier's own (forms, or Bandwidth's JSON), read by its
// adapter from the raw bytes rather than a body schema, because a schema failure would answer
// JSON where the voice URL owes the carrier's reject.

interface CarrierDoc { credential: string; body: string[]; reject: string }

const CARRIER_DOCS: Record<string, CarrierDoc> = {
  twilio: { credential: 'X-Twilio-Signature (HMAC-SHA1 keyed by TWILIO_AUTH_TOKEN over PUBLIC_BASE_URL + path + query and the sorted form pairs)', body: ['application/x-www-form-urlencoded'], reject: 'TwiML <Reject reason="busy"/>' },
  signalwire: { credential: 'X-SignalWire-Signature or X-Twilio-Signature (Twilio\'s scheme keyed by SIGNALWIRE_SIGNING_KEY)', body: ['application/x-www-form-urlencoded'], reject: 'cXML <Reject reason="busy"/>' },
  telnyx: { credential: 'telnyx-signature-ed25519 over "<telnyx-timestamp>|<raw body>", verified with TELNYX_PUBLIC_KEY; more than 300 s of skew is refused', body: ['application/x-www-form-urlencoded'], reject: 'TeXML <Reject reason="busy"/>' },
  plivo: { credential: 'X-Plivo-Signature-V3 with X-Plivo-Signature-V3-Nonce (HMAC-SHA256 keyed by PLIVO_AUTH_TOKEN; any of a comma-separated list)', body: ['application/x-www-form-urlencoded'], reject: 'Plivo XML <Hangup reason="busy"/>' },
  bandwidth: { credential: 'HTTP basic auth (BANDWIDTH_CALLBACK_USERNAME / BANDWIDTH_CALLBACK_PASSWORD)', body: ['application/json'], reject: 'BXML <Hangup/>' },
  sip: { credential: 'X-Callverify-Sip-Signature "t=<unix s>,v1=<base64url HMAC-SHA256 of \'<t>.<raw body>\' keyed by SIP_SHARED_SECRET>"; more than 300 s of skew is refused', body: ['application/x-www-form-urlencoded'], reject: '486 Busy Here, sent by the edge itself' },
}

const SUMMARY: Record<string, string> = {
  voice: 'Inbound call: verify the caller, ring RING_DELAY_MS from arrival, reject without answering (R4–R6)',
  status: 'Call status (hang-up) callback: outcome per pool number; an answered call quarantines the number',
  fallback: 'Voice fallback URL: reject at once, no store needed',
  invite: 'The SIP edge reports an INVITE: verify the caller and answer at once; the edge rings RING_DELAY_MS and answers 486 itself (R4–R6)',
}

export function webhookSchema(carrier: string, endpoint: string) {
  const doc = CARRIER_DOCS[carrier] ?? { credential: `the ${carrier} adapter's credential`, body: ['application/x-www-form-urlencoded'], reject: 'the carrier\'s reject' }
  const signed = `Authenticated by ${doc.credential}; 403 INVALID_SIGNATURE otherwise, nothing changed. A GET, an unreadable body or the wrong body type answers the reject when authenticated.`
  const detail = endpoint === 'voice' ? ' Withheld callers and malformed bodies are rejected at once; every other call rings first, whatever it matched.' : ''
  const reject = { description: `${doc.reject}, the only answer`, content: { 'text/xml': { schema: Type.String() } } }
  return {
    tags: ['webhooks'],
    summary: `${carrier}: ${SUMMARY[endpoint] ?? endpoint}`,
    description: signed + detail,
    consumes: doc.body,
    response: endpoint === 'status'
      ? { 204: { description: 'Recorded', type: 'null' }, ...errorResponses(403, 503) }
      : endpoint === 'invite'
        ? { 204: { description: 'Recorded (or nothing to record); the edge answers the trunk whatever comes back', type: 'null' }, ...errorResponses(403) }
        : { 200: reject, ...errorResponses(403) },
  }
}
