// Work that must happen later or be retried (callbacks, expiry), behind one small interface:
// BullMQ in Redis mode (bullmq.ts: survives restarts, shared by every instance), timers in
// memory mode (here: one process, gone with it). Both keep the same semantics, so the tests of
// the jobs run unchanged against either: jobId dedup, delay, attempts, capped exponential
// backoff, Permanent (no retry) and Postpone (later, without spending an attempt).

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

interface MemoryJob<T> {
  id: string
  name: string
  data: T
  options: JobOptions
  attemptsMade: number
  state: 'waiting' | 'running' | 'done'
  finishedAt?: number
  timer?: NodeJS.Timeout
}

let counter = 0

/** The in-process queue of memory mode: timers, the same retry and dedup rules as BullMQ. */
export function createMemoryQueue<T>(name: string): JobQueue<T> {
  const jobs = new Map<string, MemoryJob<T>>()
  const ready: MemoryJob<T>[] = []
  const dead: FailedJob<T>[] = []
  const running = new Set<Promise<void>>()
  let handler: JobHandler<T> | undefined
  const repeating: NodeJS.Timeout[] = []
  let concurrency = 1
  let active = 0
  let closed = false

  function schedule(job: MemoryJob<T>, ms: number): void {
    job.state = 'waiting'
    job.timer = setTimeout(() => {
      job.timer = undefined
      ready.push(job)
      pump()
    }, Math.max(0, ms))
  }

  function finish(job: MemoryJob<T>): void {
    job.state = 'done'
    job.finishedAt = Date.now()
  }

  function pump(): void {
    while (handler && !closed && active < concurrency && ready.length > 0) {
      const job = ready.shift()!
      active++
      job.state = 'running'
      const run = runOnce(handler, job).finally(() => {
        active--
        running.delete(run)
        pump()
      })
      running.add(run)
    }
  }

  async function runOnce(work: JobHandler<T>, job: MemoryJob<T>): Promise<void> {
    const attempts = job.options.attempts ?? 1
    try {
      await work(job.data, { id: job.id, name: job.name, attempt: job.attemptsMade + 1, attempts })
      job.attemptsMade++
      finish(job)
    } catch (error) {
      if (closed) return
      if (error instanceof Postpone) return schedule(job, error.ms)
      job.attemptsMade++
      if (!(error instanceof Permanent) && job.attemptsMade < attempts) return schedule(job, retryDelay(job.options.backoff, job.attemptsMade))
      finish(job)
      dead.unshift({ id: job.id, name: job.name, data: job.data, attempts: job.attemptsMade, error: (error as Error).message, failedAt: Date.now() })
      dead.length = Math.min(dead.length, FAILED_CAP)
    }
  }

  function forgetFinished(now: number): void {
    for (const [id, job] of jobs) if (job.state === 'done' && now - job.finishedAt! > DEDUP_MS) jobs.delete(id)
  }

  function enqueue(jobName: string, data: T, options: JobOptions): MemoryJob<T> | undefined {
    if (closed) return undefined
    forgetFinished(Date.now())
    const id = options.jobId ?? `${++counter}`
    if (jobs.has(id)) return undefined
    const job: MemoryJob<T> = { id, name: jobName, data, options, attemptsMade: 0, state: 'waiting' }
    jobs.set(id, job)
    schedule(job, options.delay ?? 0)
    return job
  }

  return {
    name,
    async add(jobName, data, options = {}) {
      enqueue(jobName, data, options)
    },
    work(work, options = {}) {
      handler = work
      concurrency = options.concurrency ?? 1
      pump()
    },
    async repeat(jobName, data, everyMs) {
      if (closed) return
      let last: MemoryJob<T> | undefined
      repeating.push(setInterval(() => {
        if (last && last.state !== 'done') return
        if (last) jobs.delete(last.id) // a tick has nothing to dedup against later
        last = enqueue(jobName, data, {})
      }, everyMs).unref())
    },
    async depth() {
      let n = 0
      for (const job of jobs.values()) if (job.state === 'waiting') n++
      return n
    },
    async failed(limit) {
      return dead.slice(0, limit)
    },
    async isPending(jobId) {
      const job = jobs.get(jobId)
      return job !== undefined && job.state !== 'done'
    },
    async close() {
      closed = true
      for (const timer of repeating) clearInterval(timer)
      for (const job of jobs.values()) if (job.timer) clearTimeout(job.timer)
      await Promise.allSettled([...running])
    },
  }
}
