import twilio from 'twilio'
import type RequestClient from 'twilio/lib/base/RequestClient.js'
import type { IncomingPhoneNumberInstance } from 'twilio/lib/rest/api/v2010/account/incomingPhoneNumber.js'
import { publicUrl } from './signature.js'

// Pool sync's side of Twilio's REST API: the account's IncomingPhoneNumbers, listed and
// pointed at this service (docs/contract.md, `POST /admin/numbers/sync`).

export const DEFAULT_TWILIO_API_URL = 'https://api.twilio.com'

/** What sync reads of an IncomingPhoneNumber (Twilio docs, "IncomingPhoneNumber resource"). */
export interface IncomingNumber {
  sid: string
  phoneNumber: string
  voiceUrl: string
  voiceMethod: string
  voiceFallbackUrl: string
  voiceFallbackMethod: string
  statusCallback: string
  statusCallbackMethod: string
  /** When set, Twilio ignores the voice URLs and runs the application's instead. */
  voiceApplicationSid: string
  /** When set, calls go to the SIP trunk and every voice setting is ignored. */
  trunkSid: string
}

/** The voice settings sync writes; voiceApplicationSid '' detaches a TwiML application. */
export interface NumberRouting {
  voiceUrl: string
  voiceMethod: 'POST'
  voiceFallbackUrl: string
  voiceFallbackMethod: 'POST'
  statusCallback: string
  statusCallbackMethod: 'POST'
  voiceApplicationSid?: ''
}

export interface TwilioRestClient {
  /** Every number on the account, all pages. */
  listIncomingNumbers(): Promise<IncomingNumber[]>
  updateIncomingNumber(sid: string, routing: NumberRouting): Promise<IncomingNumber>
}

/** A failed REST call, without the request (its Authorization header) attached. */
export class TwilioRestError extends Error {
  constructor(
    message: string,
    /** HTTP status, or null when no answer came (network, timeout). */
    readonly status: number | null,
    /** Twilio's error code (20003 = authentication failed), when it sent one. */
    readonly code: number | null,
  ) {
    super(message)
    this.name = 'TwilioRestError'
  }
}

const TWILIO_API_HOST = /^api(\.[a-z0-9-]+)*\.twilio\.com$/i

/**
 * twilio-node has no base-URL option: its domains are hard-coded to https://api.twilio.com,
 * and next-page URLs are rebuilt from that domain. The maintainers' advice is a custom
 * httpClient that rewrites the host (twilio/twilio-node#326), so every request, paging
 * included, goes to TWILIO_API_URL (a local fake in tests).
 */
class RebasedRequestClient extends twilio.RequestClient {
  constructor(private readonly base: string, timeout: number) {
    super({ timeout })
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const target = new URL(opts.uri)
    if (TWILIO_API_HOST.test(target.hostname)) opts.uri = this.base + target.pathname + target.search
    return super.request<TData>(opts)
  }
}

function mapNumber(n: IncomingPhoneNumberInstance): IncomingNumber {
  return {
    sid: n.sid,
    phoneNumber: n.phoneNumber,
    voiceUrl: n.voiceUrl ?? '',
    voiceMethod: n.voiceMethod ?? '',
    voiceFallbackUrl: n.voiceFallbackUrl ?? '',
    voiceFallbackMethod: n.voiceFallbackMethod ?? '',
    statusCallback: n.statusCallback ?? '',
    statusCallbackMethod: n.statusCallbackMethod ?? '',
    voiceApplicationSid: n.voiceApplicationSid ?? '',
    trunkSid: n.trunkSid ?? '',
  }
}

function toRestError(error: unknown): TwilioRestError {
  if (error instanceof twilio.RestException) {
    return new TwilioRestError(`Twilio answered ${error.status}: ${error.message}`, error.status, error.code ?? null)
  }
  // axios errors carry the request config, Authorization header included: keep only the text.
  const message = error instanceof Error ? error.message : String(error)
  return new TwilioRestError(`Twilio request failed: ${message}`, null, null)
}

export interface TwilioRestOptions {
  accountSid: string
  authToken: string
  /** TWILIO_API_URL; https://api.twilio.com in production. */
  apiUrl: string
  /** Records per list page; Twilio's default is 50. */
  pageSize?: number
  timeoutMs?: number
}

export function createTwilioRestClient(options: TwilioRestOptions): TwilioRestClient {
  const base = options.apiUrl.replace(/\/+$/, '')
  const timeout = options.timeoutMs ?? 15_000
  const client = twilio(options.accountSid, options.authToken, {
    httpClient: base === DEFAULT_TWILIO_API_URL ? new twilio.RequestClient({ timeout }) : new RebasedRequestClient(base, timeout),
  })
  const pageSize = options.pageSize
  return {
    async listIncomingNumbers() {
      try {
        const numbers = await client.incomingPhoneNumbers.list(pageSize ? { pageSize } : {})
        return numbers.map(mapNumber)
      } catch (error) {
        throw toRestError(error)
      }
    },
    async updateIncomingNumber(sid, routing) {
      try {
        return mapNumber(await client.incomingPhoneNumbers(sid).update({ ...routing }))
      } catch (error) {
        throw toRestError(error)
      }
    },
  }
}

/** Where each pool number must send its calls: this service's three carrier routes. */
export function targetRouting(publicBaseUrl: string): NumberRouting {
  return {
    voiceUrl: publicUrl(publicBaseUrl, '/webhooks/twilio/voice'),
    voiceMethod: 'POST',
    voiceFallbackUrl: publicUrl(publicBaseUrl, '/webhooks/twilio/fallback'),
    voiceFallbackMethod: 'POST',
    statusCallback: publicUrl(publicBaseUrl, '/webhooks/twilio/status'),
    statusCallbackMethod: 'POST',
  }
}

export interface FieldChange {
  field: keyof NumberRouting
  from: string
  to: string
}

export interface SyncPlan {
  /** Pool numbers whose settings differ; `routing` is what to send, `changes` what differs. */
  update: { sid: string; phoneNumber: string; changes: FieldChange[]; routing: NumberRouting }[]
  unchanged: { sid: string; phoneNumber: string }[]
  /** Pool numbers the account does not have: calls to them never reach us. */
  missingInAccount: string[]
  /** Account numbers outside the pool: left alone. */
  notInPool: string[]
  /** Pool numbers routed to a SIP trunk, where voice URLs are ignored: left for a person. */
  onTrunk: string[]
}

const ROUTING_FIELDS = ['voiceUrl', 'voiceMethod', 'voiceFallbackUrl', 'voiceFallbackMethod', 'statusCallback', 'statusCallbackMethod'] as const

function sameSetting(field: string, current: string, wanted: string): boolean {
  // Twilio echoes methods upper-case, but one set by hand may read "post".
  return field.endsWith('Method') ? current.toUpperCase() === wanted : current === wanted
}

/** What sync must change so every pool number on the account calls this service. Pure. */
export function planSync(poolNumbers: string[], accountNumbers: IncomingNumber[], publicBaseUrl: string): SyncPlan {
  const target = targetRouting(publicBaseUrl)
  const byNumber = new Map(accountNumbers.map((n) => [n.phoneNumber, n]))
  const pool = new Set(poolNumbers)
  const plan: SyncPlan = { update: [], unchanged: [], missingInAccount: [], notInPool: [], onTrunk: [] }
  for (const e164 of pool) {
    const current = byNumber.get(e164)
    if (!current) {
      plan.missingInAccount.push(e164)
      continue
    }
    if (current.trunkSid) {
      plan.onTrunk.push(e164)
      continue
    }
    const changes: FieldChange[] = ROUTING_FIELDS.filter((f) => !sameSetting(f, current[f], target[f])).map((f) => ({
      field: f,
      from: current[f],
      to: target[f],
    }))
    const routing: NumberRouting = { ...target }
    if (current.voiceApplicationSid) {
      changes.push({ field: 'voiceApplicationSid', from: current.voiceApplicationSid, to: '' })
      routing.voiceApplicationSid = ''
    }
    if (changes.length === 0) plan.unchanged.push({ sid: current.sid, phoneNumber: e164 })
    else plan.update.push({ sid: current.sid, phoneNumber: e164, changes, routing })
  }
  plan.notInPool = accountNumbers.filter((n) => !pool.has(n.phoneNumber)).map((n) => n.phoneNumber)
  return plan
}
