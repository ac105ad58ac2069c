import { loadFixture, type WebhookFixture } from '../../carriers/twilio/fixtures.js'
import { newCallSid, simulatedParams } from '../../carriers/twilio/simulate.js'
import type { TwilioParams } from '../../carriers/twilio/signature.js'

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
 * The form Twilio posts to a number's voice URL for an inbound call, built like the call
 * simulator's (`callverify simulate-call`) from the carrier fixtures under webhooks/twilio/:
 * the demo, the simulator and the tests speak one carrier dialect.
 */
export function inboundCallParams(call: InboundCall): TwilioParams {
  const fixture = voiceFixture ?? (voiceFixture = loadFixture('voice-matched'))
  return simulatedParams(
    fixture,
    { accountSid: call.accountSid, to: call.to, ...(call.from === undefined ? { withheld: true } : { from: call.from }) },
    newCallSid(),
  )
}

let voiceFixture: WebhookFixture | undefined

/** The form body as Twilio sends it: application/x-www-form-urlencoded, repeated keys kept. */
export function formBody(params: TwilioParams): string {
  const form = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) for (const v of Array.isArray(value) ? value : [value]) form.append(key, v)
  return form.toString()
}
