import { isAnsweredCall } from '../../domain/pool.js'

// The form bodies Twilio posts to the voice, fallback and status URLs, as typed objects.
// Field names are Twilio's (Twilio docs, "TwiML Voice: Twilio's request" and "Call status
// callbacks"). A body that could not have come from Twilio parses to null: the route
// still answers with a reject, but nothing is recorded.

export interface VoiceParams {
  callSid: string
  accountSid: string
  /** As sent: E.164, domestic digits, a word ("anonymous"), client:…, or empty (withheld). */
  from: string
  to: string
  callStatus: string
  direction: string
  apiVersion: string
  /** Legacy twins of From/To that Twilio still sends. */
  caller: string
  called: string
  fromCountry: string
  toCountry: string
  /** Only when the carrier reports a diversion, or caller ID lookup is on. */
  forwardedFrom?: string
  callerName?: string
  /** SHAKEN/STIR result on US calls (Twilio docs, "Trusted Calling with SHAKEN/STIR"). */
  stirVerstat?: string
  /** Only on requests to the fallback URL: why the voice URL failed. */
  errorCode?: string
  errorUrl?: string
}

/** Final call statuses Twilio reports to a number's status callback, plus the progress ones. */
export const CALL_STATUSES = ['queued', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled'] as const
export type CallStatus = (typeof CALL_STATUSES)[number]

export interface StatusParams extends Omit<VoiceParams, 'callStatus' | 'errorCode' | 'errorUrl'> {
  callStatus: CallStatus
  /** Seconds from answer to hang-up; Twilio sends it only on "completed". */
  callDuration: number | null
  /** R6: a call with CallDuration > 0 was answered: the number is misconfigured (docs/contract.md "Status"). */
  answered: boolean
  sipResponseCode?: string
}

/** How a dialect of Twilio's form (Twilio, SignalWire cXML, Telnyx TeXML) spells its ids. */
export interface IdShapes {
  callSid: RegExp
  accountSid: RegExp
}

// Twilio's SIDs are two letters and 32 hex digits (Twilio docs, "What is a SID?").
export const TWILIO_IDS: IdShapes = { callSid: /^CA[0-9a-f]{32}$/i, accountSid: /^AC[0-9a-f]{32}$/i }
// Caller IDs and numbers are short; a longer value is not Twilio talking.
const MAX_FIELD = 256

type Form = Record<string, unknown>

function asForm(body: unknown): Form | null {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Form) : null
}

/** undefined when absent, null when present but not one short string (e.g. a repeated key). */
function field(form: Form, name: string): string | undefined | null {
  const value = form[name]
  if (value === undefined) return undefined
  return typeof value === 'string' && value.length <= MAX_FIELD ? value : null
}

function optional(form: Form, name: string): string | undefined {
  const value = field(form, name)
  return value === null || value === '' ? undefined : value
}

function parseCallFields(form: Form, ids: IdShapes): Omit<VoiceParams, 'errorCode' | 'errorUrl'> | null {
  const names = ['CallSid', 'AccountSid', 'From', 'To', 'CallStatus', 'Direction', 'ApiVersion', 'Caller', 'Called']
  const values = names.map((name) => field(form, name))
  if (values.includes(null)) return null
  const [callSid, accountSid = '', from = '', to, callStatus = '', direction = '', apiVersion = '', caller, called] =
    values as (string | undefined)[]
  if (!callSid || !ids.callSid.test(callSid) || !to) return null
  if (accountSid !== '' && !ids.accountSid.test(accountSid)) return null
  const params: Omit<VoiceParams, 'errorCode' | 'errorUrl'> = {
    callSid,
    accountSid,
    from,
    to,
    callStatus,
    direction,
    apiVersion,
    caller: caller ?? from,
    called: called ?? to,
    fromCountry: optional(form, 'FromCountry') ?? optional(form, 'CallerCountry') ?? '',
    toCountry: optional(form, 'ToCountry') ?? optional(form, 'CalledCountry') ?? '',
  }
  const forwardedFrom = optional(form, 'ForwardedFrom')
  const callerName = optional(form, 'CallerName')
  const stirVerstat = optional(form, 'StirVerstat')
  if (forwardedFrom) params.forwardedFrom = forwardedFrom
  if (callerName) params.callerName = callerName
  if (stirVerstat) params.stirVerstat = stirVerstat
  return params
}

/** The voice (and fallback) webhook body, or null when it cannot be a Twilio request. */
export function parseVoiceParams(body: unknown, ids: IdShapes = TWILIO_IDS): VoiceParams | null {
  const form = asForm(body)
  const call = form && parseCallFields(form, ids)
  if (!form || !call) return null
  const params: VoiceParams = call
  const errorCode = optional(form, 'ErrorCode')
  const errorUrl = optional(form, 'ErrorUrl')
  if (errorCode) params.errorCode = errorCode
  if (errorUrl) params.errorUrl = errorUrl
  return params
}

function isCallStatus(value: string): value is CallStatus {
  return (CALL_STATUSES as readonly string[]).includes(value)
}

/** The status callback body, or null when it cannot be a Twilio request. */
export function parseStatusParams(body: unknown, ids: IdShapes = TWILIO_IDS): StatusParams | null {
  const form = asForm(body)
  const call = form && parseCallFields(form, ids)
  if (!form || !call || !isCallStatus(call.callStatus)) return null
  const rawDuration = field(form, 'CallDuration')
  if (rawDuration === null || (rawDuration !== undefined && rawDuration !== '' && !/^\d{1,7}$/.test(rawDuration))) {
    return null
  }
  const callDuration = rawDuration ? Number(rawDuration) : null
  const params: StatusParams = {
    ...call,
    callStatus: call.callStatus,
    callDuration,
    answered: callDuration !== null && isAnsweredCall(callDuration),
  }
  const sipResponseCode = optional(form, 'SipResponseCode')
  if (sipResponseCode) params.sipResponseCode = sipResponseCode
  return params
}
