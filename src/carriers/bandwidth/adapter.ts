import { timingSafeEqual } from 'node:crypto'
import type { Config } from '../../config.js'
import { attestationFromVerstat } from '../../domain/carrier.js'
import type { Answer, CarrierAdapter, CarrierRequest } from '../core.js'
import { header } from '../form.js'

// Bandwidth Voice (BXML): the application's callInitiatedCallbackUrl gets a JSON "initiate"
// event (callId, from, to, stirShaken.verstat …) behind HTTP basic auth, the
// callStatusCallbackUrl a JSON "disconnect" (answerTime only when answered, cause)
// (Bandwidth docs, Voice webhooks: Initiate, Disconnect).
//
// The ring: we hold the HTTP answer for RING_DELAY_MS like every other carrier, then answer
// <Hangup/>, which "is also used to reject incoming, unanswered calls … You will not be charged
// for rejected calls" (Bandwidth docs, BXML: Hangup). Not <Ring answerCall="false">: Ring
// answers the call unless that attribute says otherwise ("Default value is 'true'", BXML: Ring),
// so one BXML edit that drops it would answer and bill every call; a held answer cannot.

const REJECT: Answer = { status: 200, contentType: 'application/xml', body: '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>' }
const CALL_ID = /^c-[A-Za-z0-9-]{8,128}$/
const MAX_FIELD = 256

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** The JSON event, or null when the body is not one object of Bandwidth's shape. */
function readEvent(request: CarrierRequest, eventType: string): Record<string, unknown> | null {
  if (request.rawBody === null || request.method !== 'POST' || request.contentType !== 'application/json') return null
  let event: unknown
  try {
    event = JSON.parse(request.rawBody.toString('utf8'))
  } catch {
    return null
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return null
  const e = event as Record<string, unknown>
  const ok = e.eventType === eventType && typeof e.callId === 'string' && CALL_ID.test(e.callId) &&
    typeof e.to === 'string' && e.to !== '' && e.to.length <= MAX_FIELD && (e.from === undefined || (typeof e.from === 'string' && e.from.length <= MAX_FIELD))
  return ok ? e : null
}

function seconds(from: unknown, to: unknown): number {
  const start = typeof from === 'string' ? Date.parse(from) : Number.NaN
  const end = typeof to === 'string' ? Date.parse(to) : Number.NaN
  return Number.isFinite(start) && Number.isFinite(end) ? Math.max(1, Math.ceil((end - start) / 1000)) : 0
}

export function createBandwidthAdapter(config: Config): CarrierAdapter | null {
  const { username, password } = config.bandwidth
  if (!username || !password) return null
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
  return {
    carrier: 'bandwidth',
    endpoints: ['voice', 'status', 'fallback'],
    // The credential is a header, so even an unreadable body is known to be Bandwidth's.
    authenticate: (request) => equal(header(request, 'authorization') ?? '', expected),
    parseCall(request) {
      const e = readEvent(request, 'initiate')
      if (!e) return null
      const stir = (typeof e.stirShaken === 'object' && e.stirShaken !== null ? e.stirShaken : {}) as Record<string, unknown>
      const attestation = attestationFromVerstat(typeof stir.verstat === 'string' ? stir.verstat : undefined)
      return { callId: e.callId as string, from: (e.from as string | undefined) ?? '', to: e.to as string, ...(attestation ? { attestation } : {}) }
    },
    parseStatus(request) {
      const e = readEvent(request, 'disconnect')
      if (!e) return null
      // Answered only if answerTime is present: its duration is what makes the number misconfigured.
      const durationSeconds = e.answerTime === undefined || e.answerTime === null ? 0 : seconds(e.answerTime, e.endTime)
      return { callId: e.callId as string, to: e.to as string, status: typeof e.cause === 'string' ? e.cause.toLowerCase() : 'unknown', durationSeconds }
    },
    reject: () => REJECT,
  }
}
