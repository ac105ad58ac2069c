import { createHmac } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import { PACKAGE_VERSION } from '../package.js'
import type { Verification, VerificationStatus } from '../domain/verification.js'
import { presentVerification } from '../http/present.js'
import type { Metrics } from '../plugins/metrics.js'
import type { StatusEvent, Store } from '../store/types.js'
import { Permanent, Postpone, type JobHandler, type JobOptions, type JobQueue } from './queue.js'
import { postPinned, RefusedTarget, vetTarget } from './target.js'

// Signed event callbacks (CONTRACT "Event callbacks"). The payload is built when the status
// event arrives, so each callback describes its own event; it is signed at delivery, so the
// timestamp in the signature is the time of that attempt.

export const EVENT_TYPES: Partial<Record<VerificationStatus, string>> = {
  verified: 'verification.verified',
  confirmed: 'verification.confirmed',
  expired: 'verification.expired',
  cancelled: 'verification.cancelled',
}

export interface CallbackJob {
  /** Stable per (verification, status): the job id, and Callverify-Event-Id on every attempt. */
  eventId: string
  verificationId: string
  tenant: string
  type: string
  url: string
  /** The exact JSON that is signed and sent. */
  body: string
}

export const USER_AGENT = `callverify/${PACKAGE_VERSION}`

/** BullMQ refuses ':' in custom job ids; '.' never occurs in a verification id. */
export function eventIdFor(verificationId: string, status: VerificationStatus): string {
  return `${verificationId}.${status}`
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

/** The callback job for one status event, or null when there is nothing to send. */
export async function callbackFor(store: Store, event: StatusEvent): Promise<CallbackJob | null> {
  const type = EVENT_TYPES[event.status]
  if (!type) return null
  const found = await store.getVerification(event.id)
  const url = found?.verification.callbackUrl
  if (!found || !url) return null
  const v = asOf(found.verification, event.status)
  const eventId = eventIdFor(v.id, event.status)
  return { eventId, verificationId: v.id, tenant: v.tenant, type, url, body: JSON.stringify({ type, verification: presentVerification(v, found.now) }) }
}

/** `t=<unix s>,v1=<hex>`: one v1 per API key of the tenant, so a key can be rotated without a gap. */
export function signatureHeader(body: string, keys: readonly string[], t: number): string {
  return [`t=${t}`, ...keys.map((key) => `v1=${createHmac('sha256', key).update(`${t}.${body}`).digest('hex')}`)].join(',')
}

/** 15 attempts, 2 s doubling to a 10 min cap: retries span 4,022 s (67 min) after the first. */
export function callbackJobOptions(c: Config['callbacks'], eventId: string): JobOptions {
  return { jobId: eventId, attempts: c.attempts, backoff: { type: 'exponential', delay: c.backoffMs, cap: c.backoffCapMs } }
}

async function deliver(job: CallbackJob, config: Config): Promise<void> {
  const keys = config.apiKeys.filter((k) => k.tenant === job.tenant).map((k) => k.key)
  if (keys.length === 0) throw new RefusedTarget(`tenant ${job.tenant} has no API key to sign with`)
  const target = await vetTarget(job.url, { production: config.production, allowPrivate: config.callbacks.allowPrivate })
  const headers = {
    'content-type': 'application/json',
    'callverify-signature': signatureHeader(job.body, keys, Math.floor(Date.now() / 1000)),
    'callverify-event-id': job.eventId,
    'user-agent': USER_AGENT,
  }
  const { status } = await postPinned(target, job.body, headers, config.callbacks.timeoutMs)
  if (status >= 200 && status < 300) return
  // A 3xx is a failure: following it would let a public URL point us at a private one.
  throw new Error(status >= 300 && status < 400 ? `answered ${status}; redirects are not followed` : `answered ${status}`)
}

export interface CallbackDeps {
  queue: JobQueue<CallbackJob>
  config: Config
  metrics: Metrics
  log: FastifyBaseLogger
}

export function callbackHandler({ queue, config, metrics, log }: CallbackDeps): JobHandler<CallbackJob> {
  return async (job, info) => {
    // In order per verification: a terminal event waits while its `verified` is still being
    // delivered (or retried), without spending an attempt. A dead-lettered one no longer holds it.
    if (!job.eventId.endsWith('.verified') && (await queue.isPending(eventIdFor(job.verificationId, 'verified')))) {
      throw new Postpone(config.callbacks.backoffMs, 'waiting for the verified event')
    }
    try {
      await deliver(job, config)
      metrics.callbacks.inc({ result: 'delivered' })
    } catch (error) {
      const refused = error instanceof RefusedTarget
      const final = refused || info.attempt >= info.attempts
      metrics.callbacks.inc({ result: final ? 'failed' : 'retried' })
      const context = { eventId: job.eventId, verificationId: job.verificationId, attempt: info.attempt, reason: (error as Error).message }
      if (final) log.warn(context, 'callback dead-lettered')
      else log.info(context, 'callback failed, will retry')
      throw refused ? new Permanent((error as Error).message) : error
    }
  }
}
