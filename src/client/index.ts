import { isTerminal } from '../domain/verification.js'
import type { CreateBody, VerificationBody } from '../http/schemas/v1.js'
import { CallverifyError, errorOf } from './error.js'
import { statusEvents } from './stream.js'

// callverify/client: the bank backend's side of docs/contract.md "/v1", typed from the same TypeBox
// schemas as the OpenAPI document. Global fetch only. Retries only what cannot do harm twice:
// reads (GET), and confirm/cancel on a 503 that says when to come back (Retry-After), which the
// contract makes idempotent (confirming a confirmed one, cancelling a cancelled one: 200).
// create is never retried: a second create supersedes the first (R10).

export { CallverifyError, type CallverifyErrorBody, type CallverifyErrorCode } from './error.js'
export { verifyCallbackSignature, type VerifyCallbackSignatureOptions } from './signature.js'

export type Verification = Omit<VerificationBody, 'pollToken'>
export type VerificationStatus = Verification['status']
export type CreateVerification = CreateBody
/** The create answer: the verification and the poll token to hand the frontend. */
export type CreatedVerification = Verification & { pollToken: string }
/** The body of an event callback. */
export interface CallbackEvent {
  type: 'verification.verified' | 'verification.confirmed' | 'verification.expired' | 'verification.cancelled'
  verification: Verification
}

export interface CallverifyOptions {
  /** The service, e.g. https://callverify.example (no trailing path). */
  baseUrl: string
  /** Your tenant's API key: server side only, never in a browser. */
  apiKey: string
  /** Per request, in ms (a long-poll gets its wait on top). Default 10 s. */
  timeoutMs?: number
  /** Retries of a retriable answer. Default 2. */
  retries?: number
  /** A Retry-After longer than this is not waited for: the error is thrown. Default 10 s. */
  maxRetryDelayMs?: number
}

export interface WaitOptions {
  /** The status (or statuses) to wait for; a terminal status ends the wait too. Default 'verified'. */
  until?: VerificationStatus | VerificationStatus[]
  /** Give up after this long and answer the status then. Default 130 s (a window and some). */
  timeoutMs?: number
  signal?: AbortSignal
}

type Retry = 'reads' | 'on503' | 'never'
const MAX_WAIT_SECONDS = 30

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason) }, { once: true })
  })

export class Callverify {
  readonly #base: string
  readonly #apiKey: string
  readonly #timeoutMs: number
  readonly #retries: number
  readonly #maxRetryDelayMs: number

  constructor(options: CallverifyOptions) {
    if (!options.baseUrl || !options.apiKey) throw new TypeError('Callverify needs baseUrl and apiKey')
    this.#base = options.baseUrl.replace(/\/+$/, '')
    this.#apiKey = options.apiKey
    this.#timeoutMs = options.timeoutMs ?? 10_000
    this.#retries = options.retries ?? 2
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 10_000
  }

  /** Opens a window for the registered number (screen ④). Hand `id` and `pollToken` to the frontend. */
  create(body: CreateVerification): Promise<CreatedVerification> {
    return this.#request('POST', '/v1/verifications', { body, retry: 'never' })
  }

  /** The status now, or (waitSeconds ≤ 30) when it changes. */
  get(id: string, options: { waitSeconds?: number; signal?: AbortSignal } = {}): Promise<Verification> {
    const wait = options.waitSeconds ?? 0
    const query = wait > 0 ? `?waitSeconds=${Math.min(MAX_WAIT_SECONDS, Math.ceil(wait))}` : ''
    return this.#request('GET', `${path(id)}${query}`, { retry: 'reads', extraMs: wait * 1000, ...(options.signal ? { signal: options.signal } : {}) })
  }

  /**
   * Follows the status stream until the status is one of `until` or terminal, or the time is up
   * (then answers the status at that moment). A stream that cannot open or drops (a proxy, the
   * per-verification stream limit) is replaced by long-polls for the time left.
   */
  async waitFor(id: string, options: WaitOptions = {}): Promise<Verification> {
    const until = [options.until ?? 'verified'].flat()
    const done = (v: Verification) => until.includes(v.status) || isTerminal(v.status)
    const deadline = Date.now() + (options.timeoutMs ?? 130_000)
    const signal = options.signal ? { signal: options.signal } : {}
    const timeUp = AbortSignal.timeout(Math.max(0, deadline - Date.now()))
    let last: Verification | undefined
    try {
      const res = await fetch(`${this.#base}${path(id)}/events`, {
        headers: { authorization: `Bearer ${this.#apiKey}`, accept: 'text/event-stream' },
        signal: options.signal ? AbortSignal.any([options.signal, timeUp]) : timeUp,
      })
      if (res.status === 401 || res.status === 403 || res.status === 404) throw errorOf(res.status, await res.text(), null)
      if (res.ok && res.body) {
        for await (const v of statusEvents<Verification>(res.body)) {
          last = v
          if (done(v)) return v
        }
      } else await res.body?.cancel()
    } catch (error) {
      if (error instanceof CallverifyError || options.signal?.aborted) throw error
      if (timeUp.aborted) return last ?? this.get(id, signal)
    }
    // The long-poll answers on a change from the status at its start: read the status now first.
    let v = await this.get(id, signal)
    while (!done(v) && Date.now() < deadline) {
      v = await this.get(id, { waitSeconds: Math.min(MAX_WAIT_SECONDS, Math.ceil((deadline - Date.now()) / 1000)), ...signal })
    }
    return v
  }

  /** 確定する: after the call, inside the window. VERIFICATION_PENDING (R9) may be retried by the customer. */
  confirm(id: string): Promise<Verification> {
    return this.#request('POST', `${path(id)}/confirm`, { retry: 'on503' })
  }

  /** 中止する (R10). */
  cancel(id: string): Promise<Verification> {
    return this.#request('POST', `${path(id)}/cancel`, { retry: 'on503' })
  }

  async #request<T>(method: 'GET' | 'POST', url: string, options: { body?: unknown; retry: Retry; extraMs?: number; signal?: AbortSignal }): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(this.#timeoutMs + (options.extraMs ?? 0))
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
      let res: Response
      try {
        res = await fetch(this.#base + url, {
          method,
          headers: { authorization: `Bearer ${this.#apiKey}`, accept: 'application/json', ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
          signal,
        })
      } catch (error) {
        // A read that never arrived is safe to send again; a POST may have been applied.
        if (options.retry !== 'reads' || attempt >= this.#retries || options.signal?.aborted) throw error
        await sleep(250 * 2 ** attempt, options.signal)
        continue
      }
      const text = await res.text()
      if (res.ok) return JSON.parse(text) as T
      const error = errorOf(res.status, text, res.headers.get('retry-after'))
      const delay = (error.retryAfterSeconds ?? Infinity) * 1000
      const retriable = options.retry === 'reads' ? res.status === 429 || res.status === 503 : options.retry === 'on503' && res.status === 503
      if (!retriable || attempt >= this.#retries || delay > this.#maxRetryDelayMs) throw error
      await sleep(delay, options.signal)
    }
  }
}

const path = (id: string) => `/v1/verifications/${encodeURIComponent(id)}`
