import type { CallerAttestation } from '../../domain/carrier.js'
import type { Answer, CarrierAdapter, CarrierRequest } from '../core.js'
import { readForm, type FormParams } from '../form.js'
import { parseStatusParams, parseVoiceParams, type IdShapes } from './params.js'
import { REJECT_BUSY_TWIML, TWIML_CONTENT_TYPE } from './twiml.js'

// Twilio's webhook dialect, which SignalWire (cXML) and Telnyx (TeXML) speak too: form bodies
// with CallSid/From/To/CallStatus/CallDuration, answered with <Reject reason="busy"/>. The
// three differ in how a request is authenticated, how ids look and where attestation is sent.

export interface TwimlDialect {
  carrier: string
  ids: IdShapes
  authenticate(request: CarrierRequest, form: FormParams | null, now: number): boolean
  /** The caller-ID attestation the carrier sends, if any. */
  attestation(form: FormParams): CallerAttestation | undefined
}

const REJECT: Answer = { status: 200, contentType: TWIML_CONTENT_TYPE, body: REJECT_BUSY_TWIML }

export function twimlAdapter(dialect: TwimlDialect): CarrierAdapter {
  return {
    carrier: dialect.carrier,
    endpoints: ['voice', 'status', 'fallback'],
    authenticate: (request, now) => dialect.authenticate(request, readForm(request), now),
    parseCall(request) {
      const form = readForm(request)
      const params = form && parseVoiceParams(form, dialect.ids)
      if (!form || !params) return null
      const attestation = dialect.attestation(form)
      return { callId: params.callSid, from: params.from, to: params.to, ...(attestation ? { attestation } : {}) }
    },
    parseStatus(request) {
      const form = readForm(request)
      const params = form && parseStatusParams(form, dialect.ids)
      if (!params) return null
      return { callId: params.callSid, to: params.to, status: params.callStatus, durationSeconds: params.callDuration ?? 0 }
    },
    reject: () => REJECT,
  }
}
