import { randomBytes } from 'node:crypto'
import { DEV_DEFAULTS } from '../../config.js'
import { normalizeCaller } from '../../domain/phone.js'
import { loadFixture, type WebhookFixture } from './fixtures.js'
import { signTwilioRequest, publicUrl, type TwilioParams } from './signature.js'

// The call simulator behind `npm run simulate-call` and `callverify simulate-call`: it posts
// what Twilio would post for a call, built from a fixture under webhooks/twilio/, so the
// simulator and the tests speak one carrier dialect.

export interface SimulateCallOptions {
  /** The caller, E.164 or domestic digits; default: the fixture's. Sent as E.164 when valid, as Twilio does. */
  from?: string
  /** The pool number dialled; default: the fixture's. */
  to?: string
  /** R5: send the caller ID withheld ("anonymous"), whatever `from` says. */
  withheld?: boolean
  /** Fixture name; default "voice-matched". */
  fixture?: string
  /** Where the service listens; default http://localhost:3000. */
  url?: string
  /** PUBLIC_BASE_URL, the URL the signature covers; default `url`. */
  publicBaseUrl?: string
  /** TWILIO_AUTH_TOKEN; default the dev token. */
  authToken?: string
  /** TWILIO_ACCOUNT_SID; default the fixture's. */
  accountSid?: string
  /** Default: a fresh one, as each real call has. */
  callSid?: string
}

export interface SimulatedCall {
  fixture: string
  url: string
  callSid: string
  status: number
  contentType: string | null
  body: string
  ms: number
}

/** Twilio's CallSid shape: CA and 32 hex digits (Twilio docs, "What is a SID?"). */
export function newCallSid(): string {
  return `CA${randomBytes(16).toString('hex')}`
}

/** The fixture's form with From/To (and their legacy twins Caller/Called) replaced. */
export function simulatedParams(fixture: WebhookFixture, options: SimulateCallOptions, callSid: string): TwilioParams {
  const params: TwilioParams = { ...fixture.params, CallSid: callSid }
  if (options.accountSid) params.AccountSid = options.accountSid
  if (options.withheld) {
    // Twilio's word for a withheld caller ID (Twilio docs, "Anonymous and restricted caller IDs").
    Object.assign(params, { From: 'anonymous', Caller: 'anonymous', FromCountry: '', CallerCountry: '' })
  } else if (options.from !== undefined) {
    const from = normalizeCaller(options.from) ?? options.from
    Object.assign(params, { From: from, Caller: from })
  }
  if (options.to !== undefined) Object.assign(params, { To: options.to, Called: options.to })
  return params
}

function formBody(params: TwilioParams): URLSearchParams {
  const form = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) form.append(key, v)
  }
  return form
}

/** Posts one signed webhook like Twilio and reports the answer and how long it took. */
export async function simulateCall(options: SimulateCallOptions = {}): Promise<SimulatedCall> {
  const fixture = loadFixture(options.fixture ?? 'voice-matched')
  const base = (options.url ?? 'http://localhost:3000').replace(/\/+$/, '')
  const callSid = options.callSid ?? newCallSid()
  const params = simulatedParams(fixture, options, callSid)
  const signature = signTwilioRequest(
    options.authToken ?? DEV_DEFAULTS.TWILIO_AUTH_TOKEN,
    publicUrl(options.publicBaseUrl ?? base, fixture.path),
    params,
  )
  const url = base + fixture.path
  const started = performance.now()
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'x-twilio-signature': signature, 'user-agent': 'TwilioProxy/1.1 (callverify simulate-call)' },
    body: formBody(params),
  })
  const body = await response.text()
  return {
    fixture: fixture.name, url, callSid, status: response.status,
    contentType: response.headers.get('content-type'), body, ms: Math.round(performance.now() - started),
  }
}

/** The lines the CLI prints. */
export function describeSimulatedCall(call: SimulatedCall): string[] {
  return [
    `POST ${call.url} (${call.fixture}, ${call.callSid})`,
    `${call.status} ${call.contentType ?? ''} in ${call.ms} ms`.trimEnd(),
    ...(call.body ? [call.body] : []),
  ]
}
