import { DEDUP_MS, FAILED_CAP, Permanent, Postpone, retryDelay, type FailedJob, type JobHandler, type JobOptions, type JobQueue } from './queue.js'

// The JobQueue of memory mode: timers in this process, gone with it, with BullMQ's rules
// (jobId dedup, delay, attempts, backoff, Permanent, Postpone) so the job tests run unchanged
// against either queue (test/jobs/queue.test.ts).

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
