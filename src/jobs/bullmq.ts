import { DelayedError, Queue, UnrecoverableError, Worker, type Job, type WorkerOptions } from 'bullmq'
import type { Redis } from 'ioredis'
import { FAILED_CAP, DEDUP_MS, Permanent, Postpone, retryDelay, type Backoff, type JobHandler, type JobQueue } from './queue.js'

// The JobQueue of Redis mode. Jobs live in Redis under `<REDIS_KEY_PREFIX>bull`, so any
// instance's worker may run a job another instance added, and a job survives the instance:
// a worker killed mid-job loses its lock, and BullMQ's stalled check hands the job to another.

/**
 * A job whose worker died (SIGKILL, a crash, a lost host) goes to another worker once its lock
 * has lapsed and BullMQ's stalled check has seen it on two rounds. At BullMQ's defaults (lock
 * and check 30 s) that took up to about two minutes: the check runs once per interval for the
 * whole queue, and a worker's round that comes while another's still counts is skipped, so
 * rounds may be twice the interval apart (test/jobs/restart.test.ts waited past a minute for a
 * killed instance's delivery). A 15 s lock and a 5 s check bring it within about 25 s. A live
 * worker renews its lock every 7.5 s, so only an event loop stalled for 15 s loses a job it holds,
 * which then runs twice: deliveries are at least once anyway, each signed with its event id.
 */
const LOCK_MS = 15_000
const STALLED_CHECK_MS = 5_000

/** Where the queues get their Redis connections: one factory per app (plugins/redis.ts). */
export interface BullConnections {
  /** BullMQ's own key prefix (it refuses ioredis keyPrefix): `<REDIS_KEY_PREFIX>bull`. */
  readonly prefix: string
  /** A new connection for one queue or one worker, named for the log; the factory closes it. */
  open(name: string): Redis
  /** Waits for `closing` at most as long as the factory's close grace allows. */
  settle(closing: Promise<unknown>): Promise<void>
}

export interface BullQueueOptions {
  /** Overrides for tests (lockDuration, stalledInterval) and tuning. */
  worker?: Partial<WorkerOptions>
  onError?: (error: Error) => void
}

/** A JobQueue on BullMQ; `queue` is BullMQ's own, for the queues dashboard. */
export interface BullJobQueue<T> extends JobQueue<T> {
  readonly queue: Queue
}

// BullMQ's backoff options carry only {type, delay}; our cap rides in the type name and the
// worker's custom strategy reads it back, so both queue kinds share retryDelay().
const CAPPED = 'capped-exponential:'

function toBullBackoff(backoff: Backoff | undefined) {
  if (!backoff) return undefined
  if (backoff.type === 'exponential' && backoff.cap !== undefined) return { type: `${CAPPED}${backoff.cap}`, delay: backoff.delay }
  return { type: backoff.type, delay: backoff.delay }
}

function backoffStrategy(attemptsMade: number, type?: string, _error?: Error, job?: { opts: { backoff?: number | { delay?: number } } }): number {
  const delay = typeof job?.opts.backoff === 'object' ? job.opts.backoff.delay ?? 0 : 0
  const cap = type?.startsWith(CAPPED) ? Number(type.slice(CAPPED.length)) : undefined
  return retryDelay({ type: 'exponential', delay, ...(cap !== undefined ? { cap } : {}) }, attemptsMade)
}

export function createBullQueue<T>(name: string, connections: BullConnections, options: BullQueueOptions = {}): BullJobQueue<T> {
  const onError = options.onError ?? (() => {})
  const { prefix } = connections
  const queue = new Queue<T>(name, { connection: connections.open(name), prefix })
  queue.on('error', onError)
  let worker: Worker<T> | undefined

  return {
    name,
    queue: queue as Queue,
    async add(jobName, data, opts = {}) {
      const backoff = toBullBackoff(opts.backoff)
      // (BullMQ's generics want the data and name types spelt out; ours are plain.)
      await (queue as Queue).add(jobName, data, {
        ...(opts.jobId !== undefined ? { jobId: opts.jobId } : {}),
        ...(opts.delay !== undefined ? { delay: Math.max(0, Math.round(opts.delay)) } : {}),
        attempts: opts.attempts ?? 1,
        ...(backoff ? { backoff } : {}),
        // Kept an hour after success so a late duplicate add (another instance) stays deduped.
        removeOnComplete: { age: DEDUP_MS / 1000, count: 10_000 },
        removeOnFail: { count: FAILED_CAP },
      })
    },

    work(handler: JobHandler<T>, workOptions = {}) {
      worker = new Worker<T>(name, async (job: Job<T>, token?: string) => {
        const attempts = job.opts.attempts ?? 1
        try {
          await handler(job.data, { id: job.id ?? '', name: job.name, attempt: job.attemptsMade + 1, attempts })
        } catch (error) {
          if (error instanceof Postpone) {
            await job.moveToDelayed(Date.now() + error.ms, token)
            throw new DelayedError()
          }
          if (error instanceof Permanent) throw new UnrecoverableError(error.message)
          throw error
        }
      }, {
        connection: connections.open(`${name} worker`),
        prefix,
        concurrency: workOptions.concurrency ?? 1,
        settings: { backoffStrategy },
        lockDuration: LOCK_MS,
        stalledInterval: STALLED_CHECK_MS,
        ...options.worker,
      })
      worker.on('error', onError)
    },

    async repeat(jobName, data, everyMs) {
      // Upserting by id is idempotent: every instance does it at start, one schedule results,
      // and each tick's job is taken by one worker. A tick done is dropped (one a second would
      // crowd the dashboard); a failed one stays there for a while.
      await (queue as Queue).upsertJobScheduler(jobName, { every: everyMs }, {
        name: jobName,
        data,
        opts: { attempts: 1, removeOnComplete: true, removeOnFail: { count: 100 } },
      })
    },

    async depth() {
      const counts = await queue.getJobCounts('waiting', 'delayed', 'prioritized')
      return Object.values(counts).reduce((a, b) => a + b, 0)
    },

    async failed(limit) {
      const jobs = (await queue.getFailed(0, Math.max(0, limit - 1))) as Job<T>[]
      return jobs.map((job) => ({
        id: job.id ?? '',
        name: job.name,
        data: job.data,
        attempts: job.attemptsMade,
        error: job.failedReason,
        failedAt: job.finishedOn ?? job.timestamp,
      }))
    },

    async isPending(jobId) {
      const state = await queue.getJobState(jobId)
      return state !== 'completed' && state !== 'failed' && state !== 'unknown'
    },

    async close() {
      // The worker first: it finishes the jobs it holds (a delivery has its own timeout). With
      // Redis away a graceful close would wait for it forever: past the grace the factory drops
      // the connections; a job left active is recovered as stalled by another worker.
      const graceful = (async () => {
        await worker?.close()
        await queue.close()
      })()
      graceful.catch(() => {})
      await connections.settle(graceful)
    },
  }
}
