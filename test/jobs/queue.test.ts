import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import { createBullQueue } from '../../src/jobs/bullmq.js'
import { createMemoryQueue } from '../../src/jobs/memory.js'
import { createRedisConnections } from '../../src/plugins/redis.js'
import { Permanent, Postpone, retryDelay, type JobInfo, type JobQueue } from '../../src/jobs/queue.js'
import { deleteKeys, redisUrl, testPrefix } from '../support/redis.js'
import { waitUntil } from './support/receiver.js'

// One JobQueue contract, both implementations: the in-process queue of memory mode must keep
// BullMQ's semantics (dedup, delay, attempts, backoff, dead letters), or memory mode lies.

type Data = { n: number }
const KINDS = {
  memory: async () => ({ queue: createMemoryQueue<Data>('test'), cleanup: async () => {} }),
  bullmq: async () => {
    const prefix = testPrefix()
    const connections = createRedisConnections(redisUrl(), { prefix: `${prefix}bull` })
    return {
      queue: createBullQueue<Data>('test', connections),
      cleanup: async () => {
        await connections.close()
        await deleteKeys(prefix)
      },
    }
  },
}

describe('retryDelay — capped exponential', () => {
  it('doubles from the base and stops at the cap; the default schedule spans over an hour', () => {
    const backoff = { type: 'exponential' as const, delay: 2000, cap: 600_000 }
    expect([1, 2, 3, 9, 10, 14].map((r) => retryDelay(backoff, r))).toEqual([2000, 4000, 8000, 512_000, 600_000, 600_000])
    let total = 0
    for (let retry = 1; retry < 15; retry++) total += retryDelay(backoff, retry)
    expect(total).toBe(4_022_000)
    expect(retryDelay({ type: 'fixed', delay: 300 }, 7)).toBe(300)
  })
})

for (const [kind, make] of Object.entries(KINDS)) {
  describe(`JobQueue on ${kind}`, () => {
    let queue: JobQueue<Data>
    let cleanup: () => Promise<void>
    afterEach(async () => {
      await queue.close()
      await cleanup()
    })

    async function start(handler: (data: Data, job: JobInfo) => Promise<void>) {
      ;({ queue, cleanup } = await make())
      queue.work(handler, { concurrency: 4 })
    }

    it('add — a job id already known is not added again', async () => {
      const seen: number[] = []
      await start(async (d) => void seen.push(d.n))
      await queue.add('x', { n: 1 }, { jobId: 'same' })
      await queue.add('x', { n: 2 }, { jobId: 'same' })
      await waitUntil(() => seen.length >= 1)
      await queue.add('x', { n: 3 }, { jobId: 'same' }) // after completion too
      await queue.add('x', { n: 99 }, { jobId: 'barrier' }) // added after it: runs after it would have
      await waitUntil(() => seen.includes(99))
      expect(seen.filter((n) => n !== 99)).toEqual([1])
    })

    it('add — a delayed job runs after its delay, not before', async () => {
      const ran: number[] = []
      await start(async () => void ran.push(Date.now()))
      const started = Date.now()
      await queue.add('x', { n: 1 }, { delay: 400, jobId: 'later' })
      expect(await queue.isPending('later')).toBe(true)
      await waitUntil(() => ran.length === 1)
      expect(ran[0]! - started).toBeGreaterThanOrEqual(390)
      await waitUntil(async () => !(await queue.isPending('later')), 2000, 'job finished')
    })

    it('work — retries with backoff, then dead-letters with the last error and the attempts made', async () => {
      const attempts: JobInfo[] = []
      await start(async (_d, job) => {
        attempts.push(job)
        throw new Error(`boom ${job.attempt}`)
      })
      await queue.add('x', { n: 7 }, { jobId: 'bad', attempts: 3, backoff: { type: 'exponential', delay: 50, cap: 80 } })
      await waitUntil(async () => (await queue.failed(10)).length === 1, 5000, 'dead letter')
      expect(attempts.map((a) => [a.attempt, a.attempts])).toEqual([[1, 3], [2, 3], [3, 3]])
      const [dead] = await queue.failed(10)
      expect(dead).toMatchObject({ id: 'bad', name: 'x', data: { n: 7 }, attempts: 3, error: 'boom 3' })
      expect(await queue.isPending('bad')).toBe(false)
    })

    it('work — Permanent fails at once; Postpone runs again later without spending an attempt', async () => {
      let postponed = 0
      const done: number[] = []
      await start(async (d, job) => {
        if (d.n === 1) throw new Permanent('refused target')
        if (postponed < 3) {
          postponed++
          throw new Postpone(30)
        }
        expect(job.attempt).toBe(1)
        done.push(d.n)
      })
      await queue.add('x', { n: 1 }, { jobId: 'refused', attempts: 5, backoff: { type: 'fixed', delay: 10 } })
      await queue.add('x', { n: 2 }, { jobId: 'waits', attempts: 1 })
      await waitUntil(() => done.length === 1, 5000)
      const failed = await queue.failed(10)
      expect(failed.map((f) => [f.id, f.attempts, f.error])).toEqual([['refused', 1, 'refused target']])
    })

    it('repeat — adds the named job with its data every period until the queue closes', async () => {
      const runs: JobInfo[] = []
      const data: Data[] = []
      await start(async (d, job) => {
        runs.push(job)
        data.push(d)
      })
      await queue.repeat('tick', { n: 9 }, 100)
      await waitUntil(() => runs.length >= 3, 3000, 'three ticks')
      expect(new Set(runs.map((r) => r.name))).toEqual(new Set(['tick']))
      expect(new Set(data.map((d) => d.n))).toEqual(new Set([9]))
      expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length)
      await queue.close()
      const closedAt = runs.length
      // The barrier: the same schedule on a queue of its own ticks three more times meanwhile.
      const witness = await make()
      onTestFinished(async () => {
        await witness.queue.close()
        await witness.cleanup()
      })
      let ticks = 0
      witness.queue.work(async () => void ticks++)
      await witness.queue.repeat('tick', { n: 9 }, 100)
      await waitUntil(() => ticks >= 3, 3000, 'three witness ticks')
      expect(runs.length).toBe(closedAt)
    })

    it('depth — counts waiting and delayed jobs', async () => {
      ;({ queue, cleanup } = await make()) // no worker: nothing leaves the queue
      await queue.add('x', { n: 1 }, { jobId: 'a' })
      await queue.add('x', { n: 2 }, { jobId: 'b', delay: 60_000 })
      expect(await queue.depth()).toBe(2)
    })
  })
}

describe('JobQueue.repeat — once per period', () => {
  it('repeat — a tick still running holds the next one back (memory)', async () => {
    const queue = createMemoryQueue<Data>('test')
    onTestFinished(() => queue.close())
    let running = 0
    let overlapped = false
    let runs = 0
    queue.work(async () => {
      if (running++ > 0) overlapped = true
      await new Promise((r) => setTimeout(r, 250))
      running--
      runs++
    }, { concurrency: 4 })
    await queue.repeat('tick', { n: 1 }, 50)
    await waitUntil(() => runs >= 2, 3000, 'two ticks')
    expect(overlapped).toBe(false)
  })

  it('repeat — two instances upserting one schedule run each tick once (BullMQ)', async () => {
    const prefix = testPrefix()
    const seen: string[] = []
    const connections = [0, 1].map(() => createRedisConnections(redisUrl(), { prefix: `${prefix}bull` }))
    const queues = connections.map((c) => createBullQueue<Data>('test', c))
    onTestFinished(async () => {
      await Promise.all(queues.map((q) => q.close()))
      await Promise.all(connections.map((c) => c.close()))
      await deleteKeys(prefix)
    })
    for (const q of queues) {
      q.work(async (_d, job) => void seen.push(job.id))
      await q.repeat('tick', { n: 1 }, 200)
    }
    const started = Date.now()
    await waitUntil(() => seen.length >= 6, 5000, 'six ticks')
    const elapsed = Date.now() - started
    expect(new Set(seen).size).toBe(seen.length)
    // One schedule: about elapsed / 200 ticks (two would run about twice as many).
    expect(seen.length).toBeGreaterThanOrEqual(3)
    expect(seen.length).toBeLessThanOrEqual(Math.ceil(elapsed / 200) + 2)
  })
})
