/**
 * The carrier-neutral call core: the rules every carrier's call obeys (docs/contract.md "Carriers"):
 * withheld first (R5), the ring timed from arrival (R6), one uniform answer, the same call id
 * counted once per carrier (≥ 35 days, in the store), held answers released at shutdown, metrics.
 * It knows no fastify and no carrier name.
 *
 * How a carrier plugs in (a new carrier is one folder and its fixtures):
 * 1. `src/carriers/<name>/adapter.ts` exports a factory `(config: Config) => CarrierAdapter | null`
 *    that returns null when the carrier's credentials are unset (the carrier is then off: its
 *    webhooks answer 404). The adapter implements `CarrierAdapter` below: `authenticate` the
 *    request (raw bytes and headers, signed URL = PUBLIC_BASE_URL + path + query), `parseCall`
 *    into a `CarrierCall` (callId, caller as sent, called number, attestation), `parseStatus`
 *    into a `CarrierStatus`, and render `reject(ringMs)` (the carrier's "reject without answering").
 *    It never decides: withheld, ring, dedupe and matching are the core's and the store's.
 * 2. Register the factory in `src/carriers/registry.ts` (ADAPTERS) and add its name to
 *    `CARRIERS` in `src/domain/carrier.ts`. `src/http/webhooks.ts` then serves
 *    `/webhooks/<name>/<endpoint>` (or `adapter.paths[endpoint]`) for each of `adapter.endpoints`
 *    (voice, status, fallback), POST and GET, and hands each request here. The body arrives as
 *    raw bytes (`readForm` in `src/carriers/form.ts` parses a form once per request). An adapter
 *    with `ringsItself` gets `reject(ringMs)` with the ring time left and the core holds nothing.
 * 3. Fixtures: `webhooks/<name>/*.json` (see `src/carriers/fixtures.ts` for the shape), replayed by
 *    tests and by `npm run simulate-call -- --carrier <name>`.
 * 4. Tests: `test/carriers/contract.ts` exports `carrierContract(kit)`; a `CarrierKit` gives the
 *    carrier name, its env (credentials), and `sign(request)` that returns the headers the carrier
 *    would send for a body at a URL (`src/carriers/<name>/sign.ts`). Call it from
 *    `test/carriers/<name>/contract.test.ts`; it runs the same cases on the memory and Redis stores.
 */
import { isWithheldCaller, maskPhoneNumber, normalizeCaller } from '../domain/phone.js'
import { CalledNumbers } from './called.js'
import { tenantsRefusing, type AttestationRequirement, type CallerAttestation } from '../domain/carrier.js'
import { errorSummary } from '../store/failure.js'
import type { CallOutcome, Store } from '../store/types.js'
import { HeldCalls, type HeldGauge } from './held.js'

/** One webhook request as a carrier sent it. */
export interface CarrierRequest {
  method: string
  /** Path and query exactly as received. */
  url: string
  /** PUBLIC_BASE_URL + url: the URL the carrier signed (never built from Host). */
  publicUrl: string
  /** Lower-case names, as node gives them. */
  headers: Record<string, string | string[] | undefined>
  /** The exact bytes; null when the body could not be read (too large, aborted). */
  rawBody: Buffer | null
  /** The media type, lower case, without parameters ('' when none). */
  contentType: string
}

/** `invite`: the SIP edge's report of an INVITE (it rings itself), a voice call in all but name. */
export type Endpoint = 'voice' | 'status' | 'fallback' | 'invite'

/** An HTTP answer; `body` undefined for none. */
export interface Answer {
  status: number
  contentType?: string
  body?: string
}

/** What an adapter reads from a voice webhook. */
export interface CarrierCall {
  callId: string
  /** The caller as the carrier sent it, '+' restored where the carrier drops it; '' when none. */
  from: string
  /** The called pool number, E.164 (or as sent: an unknown one verifies nothing). */
  to: string
  attestation?: CallerAttestation
}

/** What an adapter reads from a status (hang-up) callback. */
export interface CarrierStatus {
  callId: string
  to: string
  /** The carrier's final status word (busy, no-answer, completed, …), lower case. */
  status: string
  /** Seconds the call was answered for; > 0 means it was answered (never ours to do). */
  durationSeconds: number
}

export interface CarrierAdapter {
  readonly carrier: string
  /** Served at /webhooks/<carrier>/<endpoint>, or at /webhooks/<carrier>/<paths[endpoint]>. */
  readonly endpoints: readonly Endpoint[]
  /** A carrier's own name for an endpoint's path (e.g. the SIP edge's voice is `invite`). */
  readonly paths?: Partial<Record<Endpoint, string>>
  /** Is this the carrier's request? `now` (ms) for freshness windows. Constant-time compares. */
  authenticate(request: CarrierRequest, now: number): boolean
  /** null when the body cannot be this carrier's voice webhook (answered with the reject). */
  parseCall(request: CarrierRequest): CarrierCall | null
  parseStatus(request: CarrierRequest): CarrierStatus | null
  /** Reject without answering; `ringMs` > 0 only for an adapter that rings itself. */
  reject(ringMs: number): Answer
  /** The carrier rings the call itself (reject(ringMs) says how long): the core holds nothing. */
  readonly ringsItself?: boolean
}

/** The normalised inbound call the core decides on. */
export interface InboundCall extends CarrierCall {
  carrier: string
  /** When the request arrived, on the core's monotonic clock (performance.now()). */
  receivedAt: number
}

/** calls{kind}: a store outcome, or one of the core's own. */
export type CallKind = CallOutcome | 'withheld' | 'malformed' | 'fallback' | 'answered' | 'store-unavailable'

export interface CallDecision {
  kind: CallKind
  /** How long the carrier must still ring before its reject (adapters that ring themselves). */
  ringMs: number
  /** Shutdown under way: the answer should close its connection. */
  closing: boolean
}

export interface CallLog {
  info(fields: object, message: string): void
  warn(fields: object, message: string): void
  error(fields: object, message: string): void
}

export interface CallMetrics {
  calls: { inc(labels: { kind: string; carrier: string }): void }
  heldCalls?: HeldGauge
}

export interface CallCoreOptions {
  store: Pick<Store, 'recordCall' | 'recordWithheldCall' | 'recordCallStatus'>
  ringDelayMs: number
  metrics: CallMetrics
  /** TENANT_POLICY: tenants that require a caller-ID attestation. */
  attestationPolicies?: ReadonlyMap<string, AttestationRequirement>
  /** Monotonic ms; performance.now by default. */
  monotonic?: () => number
}

export class CallCore {
  readonly #held: HeldCalls
  readonly #monotonic: () => number
  readonly #policies: ReadonlyMap<string, AttestationRequirement>
  readonly #called = new CalledNumbers()

  constructor(private readonly options: CallCoreOptions) {
    this.#held = new HeldCalls(options.metrics.heldCalls)
    this.#monotonic = options.monotonic ?? (() => performance.now())
    this.#policies = options.attestationPolicies ?? new Map()
  }

  now(): number {
    return this.#monotonic()
  }

  get closing(): boolean {
    return this.#held.closing
  }

  get held(): number {
    return this.#held.size
  }

  /** Shutdown: every held call hears its reject now; later calls are not held. Returns how many. */
  releaseAll(): number {
    return this.#held.releaseAll()
  }

  #count(kind: CallKind, carrier: string): void {
    this.options.metrics.calls.inc({ kind, carrier })
  }

  /**
   * A voice webhook's call: resolves when the carrier is to get its reject. Withheld answers at
   * once; every other call (verified, unmatched, unknown number, wrong carrier, store down) rings
   * until receivedAt + RING_DELAY_MS, so the answer reveals nothing (R6).
   */
  async call(call: InboundCall, log: CallLog, ringsItself = false): Promise<CallDecision> {
    const ids = { carrier: call.carrier, callId: call.callId, to: call.to }
    // R5, before any parsing: a withheld caller has nothing to verify, so no ring either.
    if (isWithheldCaller(call.from)) {
      this.#count('withheld', call.carrier)
      await this.options.store.recordWithheldCall(call.to, call.callId, call.carrier).catch((error: unknown) => {
        log.error({ ...ids, err: errorSummary(error) }, 'withheld call not recorded: the store failed')
      })
      return { kind: 'withheld', ringMs: 0, closing: this.closing }
    }
    // R6: the ring is timed from arrival, so a slow body or store does not lengthen it.
    const remaining = (): number => Math.max(0, call.receivedAt + this.options.ringDelayMs - this.#monotonic())
    const ringing = ringsItself ? Promise.resolve() : this.#held.hold(remaining())
    const kind = await this.#record(call, log)
    this.#count(kind, call.carrier)
    await ringing
    return { kind, ringMs: ringsItself ? remaining() : 0, closing: this.closing }
  }

  async #record(call: InboundCall, log: CallLog): Promise<CallKind> {
    const ids = { carrier: call.carrier, callId: call.callId, to: call.to }
    try {
      const to = this.#called.of(call.to)
      const from = normalizeCaller(call.from)
      if (!from) {
        // Digits, but no valid number: nobody's registered number. Counted like a withheld call
        // (it verifies nothing), rung like any unmatched one (it is not withheld, R5).
        await this.options.store.recordWithheldCall(to, call.callId, call.carrier)
        log.info({ ...ids, outcome: 'unmatched', caller: 'invalid' }, 'voice call')
        return 'unmatched'
      }
      const { outcome } = await this.options.store.recordCall({
        callSid: call.callId, from, to, carrier: call.carrier,
        ...(call.attestation ? { attestation: call.attestation } : {}),
        refusingTenants: tenantsRefusing(this.#policies, call.attestation),
      })
      log.info({ ...ids, outcome, caller: maskPhoneNumber(from), attestation: call.attestation?.result ?? 'unknown' }, 'voice call')
      return outcome
    } catch (error) {
      log.error({ ...ids, err: errorSummary(error) }, 'voice call not recorded: the store failed; rejecting as usual')
      return 'store-unavailable'
    }
  }

  /** A signed request that is not a call (unreadable, wrong shape, a GET): nothing recorded. */
  malformed(carrier: string, endpoint: Endpoint, log: CallLog): void {
    this.#count('malformed', carrier)
    log.warn({ carrier, endpoint }, 'carrier webhook malformed: nothing recorded')
  }

  /** The carrier's fallback URL: the voice URL failed; the reject at once, no store. */
  fallback(carrier: string, callId: string | undefined, log: CallLog): void {
    this.#count('fallback', carrier)
    log.warn({ carrier, callId }, 'voice fallback: the voice URL failed')
  }

  /** A status callback: outcome per pool number; an answered call quarantines its number. */
  async status(carrier: string, status: CarrierStatus, log: CallLog): Promise<void> {
    const to = this.#called.of(status.to)
    const { answered, number } = await this.options.store.recordCallStatus({
      callSid: status.callId, to, status: status.status, durationSeconds: status.durationSeconds, carrier,
    })
    if (!answered) return
    // Every answer is a reject, so an answered call means the number is not pointed at us.
    this.#count('answered', carrier)
    log.error(
      { carrier, number: to, callId: status.callId, durationSeconds: status.durationSeconds, state: number?.state ?? 'not in the pool' },
      'a verification number answered a call: quarantined; check its routing at the carrier',
    )
  }
}
