import { isOpen, type Verification } from '../domain/verification.js'
import type { Store } from '../store/types.js'
import { Postpone, type JobHandler, type JobOptions } from './queue.js'

// R3 as an event: a delayed job per verification at its window end expires it, so the store
// publishes `expired` (and counts the failure, R11) even if nobody ever polls. A confirm
// racing this job has one winner: both are atomic store steps judged by the store's clock.

export interface ExpiryJob {
  id: string
}

/** Run a little after the window end: the job's clock (BullMQ: the instance's) may lag the store's. */
const MARGIN_MS = 250

export function expiryJobOptions(v: Verification): JobOptions {
  return {
    jobId: `expire.${v.id}`,
    // The window's length, not expiresAt minus this instance's clock: the store set both times.
    delay: v.expiresAt - v.createdAt + MARGIN_MS,
    attempts: 10,
    backoff: { type: 'exponential', delay: 1000, cap: 60_000 },
  }
}

export function expiryHandler(store: Store): JobHandler<ExpiryJob> {
  return async ({ id }) => {
    const outcome = await store.expireVerification(id)
    if (!outcome) return // gone past retention: nothing to expire
    const v = outcome.verification
    // Still open means the store's clock says the window has not ended yet: come back then.
    if (isOpen(v.status)) throw new Postpone(Math.max(0, v.expiresAt - outcome.now) + MARGIN_MS, 'window still open')
    // The store published the change (→ callbacks, streams) and counted it (store/timed.ts).
  }
}
