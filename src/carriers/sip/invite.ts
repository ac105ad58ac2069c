import { attestationFromVerstat } from '../../domain/carrier.js'
import type { CarrierCall } from '../core.js'
import type { FormParams } from '../form.js'
import { calledNumber, numberOf, parseSipUri, splitValues, uriOf } from './identity.js'

// The report the SIP edge posts for each INVITE it rings or refuses as withheld (form fields
// named in sip/kamailio.cfg QUEUE_REPORT) → the carrier-neutral call.


const CALL_ID = /^[\x21-\x7e]{1,256}$/ // RFC 3261 word characters, no spaces or controls

function field(form: FormParams, name: string): string | undefined {
  const value = form[name]
  return typeof value === 'string' ? value : undefined
}

// RFC 3323 §4.2: id (RFC 3325), header and user all ask that the caller's identity be hidden.
const HIDING = new Set(['id', 'header', 'user'])

/** R5: a SIP caller is withheld when From is anonymous, Privacy hides the identity, or no number is left. */
export function isWithheldSipCaller(fromUser: string, privacy: string | undefined, callerNumber: string): boolean {
  if (fromUser.trim().toLowerCase() === 'anonymous') return true
  const tokens = (privacy ?? '').toLowerCase().split(/[;,\s]+/)
  if (tokens.some((token) => HIDING.has(token))) return true
  return callerNumber === ''
}

/**
 * The report → the core's call: the caller as the trunk wrote it, '' when withheld (R5); null
 * when it lacks what every INVITE has (Call-ID, Request-URI, From).
 */
export function parseSipInvite(form: FormParams): CarrierCall | null {
  const callId = field(form, 'callId')
  const requestUri = field(form, 'requestUri')
  const fromHeader = field(form, 'from')
  if (!callId || !CALL_ID.test(callId) || !requestUri || !fromHeader) return null
  const from = parseSipUri(uriOf(fromHeader))
  // RFC 3325: the trunk's asserted identity over From; of several (sip: and tel:) the first, as
  // the edge reads it ($ai) when it decides 433.
  const asserted = field(form, 'pAssertedIdentity')
  const caller = asserted === undefined ? from : parseSipUri(uriOf(splitValues(asserted)[0] ?? ''))
  const callerNumber = numberOf(caller)
  const withheld = isWithheldSipCaller(from?.user ?? '', field(form, 'privacy'), callerNumber)
  const attestation = attestationFromVerstat(caller?.params.get('verstat'))
  return {
    callId,
    from: withheld ? '' : callerNumber,
    to: calledNumber(parseSipUri(requestUri)) || (parseSipUri(requestUri)?.user ?? ''),
    ...(attestation ? { attestation } : {}),
  }
}
