import { randomBytes } from 'node:crypto'

// The demo's call simulator: what Twilio would post when the customer dials the verification
// number. The registered number never reaches the browser, so the demo backend remembers it
// per verification id for as long as a window can last.

const KEEP_MS = 10 * 60 * 1000
const MAX_ENTRIES = 1000

export class RegisteredNumbers {
  readonly #entries = new Map<string, { e164: string; until: number }>()

  constructor(private readonly now: () => number = Date.now) {}

  remember(id: string, e164: string): void {
    this.#drop()
    // Map keeps insertion order: past the bound, the oldest entry goes first.
    while (this.#entries.size >= MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value
      if (oldest === undefined) break
      this.#entries.delete(oldest)
    }
    this.#entries.set(id, { e164, until: this.now() + KEEP_MS })
  }

  lookup(id: string): string | undefined {
    const entry = this.#entries.get(id)
    if (!entry) return undefined
    if (entry.until <= this.now()) {
      this.#entries.delete(id)
      return undefined
    }
    return entry.e164
  }

  get size(): number {
    return this.#entries.size
  }

  #drop(): void {
    const now = this.now()
    for (const [id, entry] of this.#entries) if (entry.until <= now) this.#entries.delete(id)
  }
}

export interface InboundCall {
  accountSid: string
  /** E.164 caller, or undefined for a withheld caller ID (R5). */
  from: string | undefined
  to: string
}

/**
 * The form Twilio posts to a number's voice URL for an inbound call (Twilio docs, "TwiML
 * Voice: Your Response", request parameters). A withheld caller arrives as "anonymous".
 */
export function inboundCallParams(call: InboundCall): Record<string, string> {
  const from = call.from ?? 'anonymous'
  const fromCountry = call.from?.startsWith('+81') ? 'JP' : ''
  const toCountry = call.to.startsWith('+81') ? 'JP' : ''
  return {
    AccountSid: call.accountSid,
    ApiVersion: '2010-04-01',
    CallSid: `CA${randomBytes(16).toString('hex')}`,
    CallStatus: 'ringing',
    Called: call.to,
    CalledCity: '',
    CalledCountry: toCountry,
    CalledState: '',
    CalledZip: '',
    Caller: from,
    CallerCity: '',
    CallerCountry: fromCountry,
    CallerState: '',
    CallerZip: '',
    Direction: 'inbound',
    From: from,
    FromCity: '',
    FromCountry: fromCountry,
    FromState: '',
    FromZip: '',
    To: call.to,
    ToCity: '',
    ToCountry: toCountry,
    ToState: '',
    ToZip: '',
  }
}
