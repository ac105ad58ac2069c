import type { Config } from '../../config.js'
import type { Answer, CarrierAdapter, CarrierRequest } from '../core.js'
import { header, readForm, type FormParams } from '../form.js'
import { verifyPlivoSignature } from './signature.js'

// Plivo: form POSTs to the application's answer_url (CallUUID, From, To, CallStatus, Direction,
// Event) and hangup_url (… Duration, BillDuration, HangupCause); numbers arrive E.164 without
// the '+' (Plivo docs, "Request parameters"). <Hangup reason="busy"/> as the first element
// rejects the call without answering it (Plivo docs, XML: Hangup, "reason: rejected | busy").

const REJECT: Answer = {
  status: 200, contentType: 'text/xml',
  body: '<?xml version="1.0" encoding="utf-8"?><Response><Hangup reason="busy"/></Response>',
}
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const MAX_FIELD = 256

function field(form: FormParams, name: string): string | undefined | null {
  const value = form[name]
  if (value === undefined) return undefined
  return typeof value === 'string' && value.length <= MAX_FIELD ? value : null
}

/** Plivo drops the '+': a run of digits is E.164 digits; words ("anonymous") pass as sent. */
function withPlus(number: string): string {
  return /^\d{6,16}$/.test(number.trim()) ? `+${number.trim()}` : number
}

function callOf(request: CarrierRequest): { form: FormParams; callId: string; from: string; to: string } | null {
  const form = readForm(request)
  if (!form) return null
  const [callId, from = '', to] = ['CallUUID', 'From', 'To'].map((n) => field(form, n))
  if (callId === null || from === null || to === null || !callId || !UUID.test(callId) || !to) return null
  return { form, callId, from: withPlus(from), to: withPlus(to) }
}

export function createPlivoAdapter(config: Config): CarrierAdapter | null {
  const { authId, authTokens } = config.plivo
  if (!authId || authTokens.length === 0) return null
  return {
    carrier: 'plivo',
    endpoints: ['voice', 'status', 'fallback'],
    authenticate(request) {
      const form = readForm(request)
      return form !== null && verifyPlivoSignature({
        authTokens, method: request.method, url: request.publicUrl, params: form,
        nonce: header(request, 'x-plivo-signature-v3-nonce'), signature: header(request, 'x-plivo-signature-v3'),
      })
    },
    parseCall(request) {
      const call = callOf(request)
      return call && { callId: call.callId, from: call.from, to: call.to }
    },
    parseStatus(request) {
      const call = callOf(request)
      if (!call) return null
      const status = field(call.form, 'CallStatus')
      const duration = field(call.form, 'Duration')
      if (!status || duration === null || (duration !== undefined && duration !== '' && !/^\d{1,7}$/.test(duration))) return null
      return { callId: call.callId, to: call.to, status: status.toLowerCase(), durationSeconds: duration ? Number(duration) : 0 }
    },
    reject: () => REJECT,
  }
}
