// Work that must happen later or be retried (callbacks, expiry, pool health), behind one small
// interface: BullMQ in Redis mode (bullmq.ts: survives restarts, shared by every instance),
// timers in memory mode (memory.ts: one process, gone with it). Both keep the same semantics,
// so the tests of the jobs run unchanged against either: jobId dedup, delay, attempts, capped
// exponential backoff, Permanent (no retry) and Postpone (later, without spending an attempt).

import { cappedBackoffMs } from '../domain/retry.js'

export interface Backoff {
  type: 'fixed' | 'exponential'
  /** ms: the fixed delay, or the first retry's delay (then doubling). */
  delay: number
  /** ms: no retry waits longer than this. */
  cap?: number
}

export interface JobOptions {
  /** ms before the first attempt. */
  delay?: number
  /** A job whose id is already known is not added again (dedup across instances). */
  jobId?: string
  /** Total attempts, the first included. */
  attempts?: number
  backoff?: Backoff
}

export interface JobInfo {
  id: string
  name: string
  /** 1-based: this attempt. */
  attempt: number
  attempts: number
}

export type JobHandler<T> = (data: T, job: JobInfo) => Promise<void>

export interface FailedJob<T> {
  id: string
  name: string
  data: T
  attempts: number
  error: string
  failedAt: number
}

export interface JobQueue<T> {
  readonly name: string
  add(name: string, data: T, options?: JobOptions): Promise<void>
  /** Starts this instance's worker for the queue. */
  work(handler: JobHandler<T>, options?: { concurrency?: number }): void
  /**
   * Adds a job named `name` every `everyMs`, once per period however many instances share the
   * queue (BullMQ: a job scheduler upserted by id; memory: an unref'd interval that skips a
   * tick while the last one runs). BullMQ schedules the next tick as one starts, so a tick that
   * outlasts `everyMs` may overlap the next on another instance: the work must allow that.
   */
  repeat(name: string, data: T, everyMs: number): Promise<void>
  /** Jobs waiting or delayed (not yet running). */
  depth(): Promise<number>
  /** The dead letters: jobs that failed for good, newest first (capped). */
  failed(limit: number): Promise<FailedJob<T>[]>
  /** True while the job exists and has not finished (waiting, delayed or running). */
  isPending(jobId: string): Promise<boolean>
  close(): Promise<void>
}

/** Thrown by a handler: fail now, no more attempts (a refused target, say). */
export class Permanent extends Error {
  override readonly name = 'Permanent'
}

/** Thrown by a handler: run again in `ms`; the attempt is not spent (waiting on something else). */
export class Postpone extends Error {
  override readonly name = 'Postpone'
  constructor(readonly ms: number, message = 'postponed') {
    super(message)
  }
}

/** The wait before retry number `retry` (1 = after the first failed attempt). */
export function retryDelay(backoff: Backoff | undefined, retry: number): number {
  if (!backoff) return 0
  const cap = backoff.cap ?? Number.POSITIVE_INFINITY
  return backoff.type === 'fixed' ? Math.min(backoff.delay, cap) : cappedBackoffMs(backoff.delay, cap, retry)
}

export const FAILED_CAP = 1000
/** Finished job ids are remembered this long, so a late duplicate add is still a duplicate. */
export const DEDUP_MS = 3600_000
