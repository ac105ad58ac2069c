import type { FastifyBaseLogger } from 'fastify'
import { errorSummary } from '../logging.js'
import type { Store } from '../store/types.js'
import type { JobHandler } from './queue.js'

// R3 as an event: every EXPIRY_SWEEP_MS one sweep (a BullMQ job scheduler on the `expiry`
// queue, so one instance of the deployment per tick; in memory mode an interval) has the store
// expire every open verification whose window is over. The store publishes `expired`
// (→ callbacks, streams) and counts the failure (R11) even if nobody ever polls: at most one
// sweep period after the window end. A confirm racing the sweep has one winner: both are
// atomic store steps judged by the store's clock (expireDue-1.lua). The store's per-number
// pending index makes this one Redis call per tick, where a delayed job per verification cost
// ~1.1 KB of Redis and a second round trip on every create (npm run bench).

/** The sweep's job carries nothing: the store knows what is due. */
export type ExpiryJob = Record<string, never>

export const SWEEP_JOB = 'sweep'
/** Verifications per store call: bounds one Lua script's run time. */
export const SWEEP_BATCH = 500

/** Expires everything due, one batch at a time; answers how many it expired. */
export async function sweepExpired(store: Store, batch = SWEEP_BATCH): Promise<number> {
  let expired = 0
  for (;;) {
    const { changed } = await store.expireDue(batch)
    expired += changed.length
    // A short batch: nothing more is due (or stale index entries took part of it: next tick).
    if (changed.length < batch) return expired
  }
}

export function expiryHandler(store: Store, log: FastifyBaseLogger): JobHandler<ExpiryJob> {
  return async (_data, job) => {
    // A per-verification `expire` job from before the sweep may still be delayed in Redis after
    // an upgrade: the sweep expires its verification, so it just ends.
    if (job.name !== SWEEP_JOB) return
    try {
      const expired = await sweepExpired(store)
      if (expired > 0) log.debug({ expired }, 'expiry sweep')
    } catch (error) {
      // The next tick tries again; expiry is late by a period meanwhile (reads still expire).
      log.warn({ err: errorSummary(error) }, 'expiry sweep failed')
      throw error
    }
  }
}
