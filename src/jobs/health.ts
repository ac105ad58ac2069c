import { isSilentNumber } from '../domain/pool.js'
import type { Store } from '../store/types.js'

// The pool health job. A number handed out again and again with not one call arriving is
// "silent": customers dial it and we never hear of it, so its carrier routing is likely
// broken. A number that answered a call is "answered" (the status webhook marks and
// quarantines it at once); the job reports both. It does not take silent numbers out of
// rotation: when the carrier route breaks for the whole account every number goes silent,
// and quarantining them all would turn a degraded pool into an empty one; an operator decides.
// It runs on the `health` queue's schedule (plugins/health.ts), like the expiry sweep: once per
// HEALTH_INTERVAL_SECONDS however many instances share the queue.

export interface HealthReport {
  /** Marked silent by this run. */
  silent: string[]
  /** Answered a call and not yet retired: the carrier answers instead of letting us reject. */
  answered: string[]
}

/** The health job carries nothing: the store knows the pool. */
export type HealthJob = Record<string, never>

export const HEALTH_QUEUE = 'health'
/** The schedule's name (BullMQ: its job scheduler's id, upserted by every instance). */
export const HEALTH_JOB = 'pool-health'

/** One run: marks what the rule says (the store re-checks it atomically) and reports. */
export async function checkPoolHealth(store: Store, silentAfter: number): Promise<HealthReport> {
  const numbers = await store.listNumbers()
  const silent: string[] = []
  for (const n of numbers) {
    // A call may arrive between the list and the mark: markSilent decides again in one step.
    if (isSilentNumber(n, silentAfter) && (await store.markSilent(n.e164, silentAfter))) silent.push(n.e164)
  }
  const answered = numbers.filter((n) => n.health === 'answered' && n.state !== 'retired').map((n) => n.e164)
  return { silent, answered }
}
