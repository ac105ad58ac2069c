import { createHmac } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import { PACKAGE_VERSION } from '../package.js'
import type { Verification, VerificationStatus } from '../domain/verification.js'
import { presentVerification } from '../domain/present.js'
import type { Store } from '../store/types.js'
import type { JobMetrics } from './metrics.js'
import { Permanent, Postpone, type JobHandler, type JobOptions, type JobQueue } from './queue.js'
import { postPinned, RefusedTarget, vetTarget, type Resolve } from './target.js'
import { Slots } from '../domain/slots.js'

// Signed event callbacks (docs/contract.md "Event callbacks"). A job names only its event: what is sent,
// where, and under whose key are all derived at delivery from the verification in the store, so
// a job written by anyone else (the queues dashboard, a forged job in Redis) can make the service
// sign nothing but a real event of a real verification, sent to that verification's own target.
// The body describes the verification as of its event, so every attempt sends the same body;
// it is signed at each attempt, so the signature's timestamp is that attempt's.

export const EVENT_TYPES: Partial<Record<VerificationStatus, string>> = {
  verified: 'verification.verified',
  confirmed: 'verification.confirmed',
  expired: 'verification.expired',
  cancelled: 'verification.cancelled',
}

export interface CallbackJob {
  /** `<verification id>.<status>`: the job id, and Callverify-Event-Id on every attempt. Nothing else is trusted. */
  eventId: string
}

/** One delivery, as derived from the store. */
export interface Callback {
  eventId: string
  verificationId: string
  status: VerificationStatus
  tenant: string
  type: string
  url: string
  /** The exact JSON that is signed and sent. */
  body: string
  /** It had been verified: a later event waits for the `verified` one (order per verification). */
  wasVerified: boolean
}

export const USER_AGENT = `callverify/${PACKAGE_VERSION}`

/** BullMQ refuses ':' in custom job ids; '.' never occurs in a verification id. */
export function eventIdFor(verificationId: string, status: VerificationStatus): string {
  return `${verificationId}.${status}`
}

function parseEventId(eventId: unknown): { id: string; status: VerificationStatus } | undefined {
  if (typeof eventId !== 'string') return undefined
  const dot = eventId.lastIndexOf('.')
  const status = eventId.slice(dot + 1) as VerificationStatus
  return dot > 0 && EVENT_TYPES[status] ? { id: eventId.slice(0, dot), status } : undefined
}

/**
 * The verification as it stood at `status`. Only `verified` can be overtaken before the read
 * (by a confirm, cancel or expiry right after); the later step's fields are not part of it.
 */
export function asOf(v: Verification, status: VerificationStatus): Verification {
  if (v.status === status) return v
  const { confirmedAt: _c, cancelledAt: _x, cancelReason: _r, ...before } = v
  return { ...before, status }
}

/** When the event happened: the body's remainingSeconds counts from it, on every attempt alike. */
function eventTime(v: Verification, status: VerificationStatus): number {
  const at = status === 'verified' ? v.verifiedAt : status === 'confirmed' ? v.confirmedAt : status === 'cancelled' ? v.cancelledAt : undefined
  return at ?? v.expiresAt
}

/** The callback of event `eventId`, from the store alone; refused (Permanent) when the store holds no such event. */
export async function callbackFor(store: Store, eventId: unknown): Promise<Callback> {
  const event = parseEventId(eventId)
  if (!event) throw new Permanent('not an event id')
  const found = await store.getVerification(event.id)
  if (!found) throw new Permanent('the verification is no longer in the store')
  const v = found.verification
  const reached = v.status === event.status || (event.status === 'verified' && v.verifiedAt !== undefined)
  if (!reached) throw new Permanent(`the verification never became ${event.status}`)
  if (v.callbackUrl === undefined) throw new Permanent('the verification has no callbackUrl')
  const type = EVENT_TYPES[event.status]!
  const body = JSON.stringify({ type, verification: presentVerification(asOf(v, event.status), eventTime(v, event.status)) })
  return {
    eventId: eventIdFor(v.id, event.status), verificationId: v.id, status: event.status, tenant: v.tenant, type, url: v.callbackUrl, body,
    wasVerified: v.verifiedAt !== undefined,
  }
}

/** `t=<unix s>,v1=<hex>`: one v1 per API key of the tenant, so a key can be rotated without a gap. */
export function signatureHeader(body: string, keys: readonly string[], t: number): string {
  return [`t=${t}`, ...keys.map((key) => `v1=${createHmac('sha256', key).update(`${t}.${body}`).digest('hex')}`)].join(',')
}

/** 15 attempts, 2 s doubling to a 10 min cap: retries span 4,022 s (67 min) after the first. */
export function callbackJobOptions(c: Config['callbacks'], eventId: string): JobOptions {
  return { jobId: eventId, attempts: c.attempts, backoff: { type: 'exponential', delay: c.backoffMs, cap: c.backoffCapMs } }
}

/** The whole exchange, DNS included, within CALLBACK_TIMEOUT_MS: a resolver that never answers holds no slot longer. */
async function deliver(callback: Callback, config: Config, resolve?: Resolve): Promise<void> {
  const keys = config.apiKeys.filter((k) => k.tenant === callback.tenant).map((k) => k.key)
  if (keys.length === 0) throw new RefusedTarget(`tenant ${callback.tenant} has no API key to sign with`)
  const deadline = AbortSignal.timeout(config.callbacks.timeoutMs)
  const policy = { production: config.production, allowPrivate: config.callbacks.allowPrivate, ...(resolve ? { resolve } : {}) }
  const target = await vetTarget(callback.url, policy, deadline)
  const headers = {
    'content-type': 'application/json',
    'callverify-signature': signatureHeader(callback.body, keys, Math.floor(Date.now() / 1000)),
    'callverify-event-id': callback.eventId,
    'user-agent': USER_AGENT,
  }
  const { status } = await postPinned(target, callback.body, headers, deadline)
  if (status >= 200 && status < 300) return
  // A 3xx is a failure: following it would let a public URL point us at a private one.
  throw new Error(status >= 300 && status < 400 ? `answered ${status}; redirects are not followed` : `answered ${status}`)
}

/** How soon a job of a tenant at its limit is tried again: a slot frees when one of its deliveries ends. */
const TENANT_BUSY_RETRY_MS = 250

export interface CallbackDeps {
  store: Store
  queue: JobQueue<CallbackJob>
  config: Config
  metrics: JobMetrics
  log: FastifyBaseLogger
  /** Name resolution (tests: a DNS server that never answers); default the system's. */
  resolve?: Resolve
}

export function callbackHandler({ store, queue, config, metrics, log, resolve }: CallbackDeps): JobHandler<CallbackJob> {
  // Deliveries running per tenant on this instance: a tenant at its limit waits, the others go on.
  const slots = new Slots(config.callbacks.tenantConcurrency)
  return async (job, info) => {
    let callback: Callback | undefined
    let slot = false
    try {
      callback = await callbackFor(store, job.eventId)
      // In order per verification: a later event waits while its `verified` is still being
      // delivered (or retried), without spending an attempt. A dead-lettered one no longer holds it.
      if (callback.status !== 'verified' && callback.wasVerified && (await queue.isPending(eventIdFor(callback.verificationId, 'verified')))) {
        throw new Postpone(config.callbacks.backoffMs, 'waiting for the verified event')
      }
      // One tenant's slow or dead receiver holds at most tenantConcurrency of this worker's slots.
      slot = slots.take(callback.tenant)
      if (!slot) throw new Postpone(TENANT_BUSY_RETRY_MS, 'the tenant is at its delivery limit')
      await deliver(callback, config, resolve)
      metrics.callbacks.inc({ result: 'delivered' })
    } catch (error) {
      if (error instanceof Postpone) throw error
      const permanent = error instanceof RefusedTarget || error instanceof Permanent
      const final = permanent || info.attempt >= info.attempts
      metrics.callbacks.inc({ result: final ? 'failed' : 'retried' })
      const context = { eventId: job.eventId, attempt: info.attempt, reason: (error as Error).message }
      if (final) log.warn(context, 'callback dead-lettered')
      else log.info(context, 'callback failed, will retry')
      throw permanent ? new Permanent((error as Error).message) : error
    } finally {
      if (slot) slots.release(callback!.tenant)
    }
  }
}
