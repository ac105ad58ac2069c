import { Type } from 'typebox'
import { errorResponses } from './common.js'

// OpenAPI only: the bodies are Twilio's forms, read by carriers/twilio/params.ts rather than a
// body schema, because a schema failure would answer JSON where the voice URL owes TwiML.

const FORM = ['application/x-www-form-urlencoded']
const SIGNED = 'Signed by Twilio: X-Twilio-Signature over PUBLIC_BASE_URL + path + query and the sorted form pairs; 403 INVALID_SIGNATURE otherwise.'
const TWIML = {
  description: 'TwiML whose only verb is <Reject reason="busy"/>',
  content: { 'text/xml': { schema: Type.String() } },
}

export const VoiceSchema = {
  tags: ['webhooks'],
  summary: 'Inbound call: verify the caller, ring RING_DELAY_MS, reject (R4–R6)',
  description: `${SIGNED} Withheld callers and malformed forms are rejected at once; every other call rings first, whatever it matched.`,
  consumes: FORM,
  response: { 200: TWIML, ...errorResponses(403) },
}

export const FallbackSchema = {
  tags: ['webhooks'],
  summary: 'Voice fallback URL: reject at once, no store needed',
  description: SIGNED,
  consumes: FORM,
  response: { 200: TWIML, ...errorResponses(403) },
}

export const StatusSchema = {
  tags: ['webhooks'],
  summary: 'Call status callback: outcome per pool number; an answered call quarantines the number',
  description: SIGNED,
  consumes: FORM,
  response: { 204: { description: 'Recorded', type: 'null' }, ...errorResponses(403, 503) },
}
