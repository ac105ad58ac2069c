import { Queue, Worker } from 'bullmq'
import type { RedisTarget } from '../config.js'
import { isSilentNumber } from '../domain/pool.js'
import { openRedis } from '../store/redis/connection.js'
import type { Store } from '../store/types.js'

// The pool health job. A number handed out again and again with not one call arriving is
// "silent": customers dial it and we never hear of it, so its carrier routing is likely
// broken. A number that answered a call is "answered" (the status webhook marks and
// quarantines it at once); the job reports both. It does not take silent numbers out of
// rotation: when the carrier route breaks for the whole account every number goes silent,
// and quarantining them all would turn a degraded pool into an empty one; an operator decides.

export interface HealthReport {
  /** Marked silent by this run. */
  silent: string[]
  /** Answered a call and not yet retired: the carrier answers instead of letting us reject. */
  answered: string[]
}

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

export interface HealthScheduler {
  queue: Queue
  close(): Promise<void>
}

export const HEALTH_QUEUE = 'health'
const SCHEDULER_ID = 'pool-health'

/**
 * Redis mode: one BullMQ job scheduler shared by every instance (upserting it by id is
 * idempotent), so the check runs once per period however many instances there are; any
 * instance's worker may take it. BullMQ needs maxRetriesPerRequest null on its connections.
 */
export async function startHealthScheduler(options: {
  url: RedisTarget
  prefix: string
  everyMs: number
  run: () => Promise<unknown>
  onError: (error: Error) => void
}): Promise<HealthScheduler> {
  const connect = () => openRedis(options.url, { maxRetriesPerRequest: null }).on('error', options.onError)
  const connections = [connect(), connect()]
  const queue = new Queue(HEALTH_QUEUE, { connection: connections[0]!, prefix: options.prefix })
  queue.on('error', options.onError)
  const worker = new Worker(HEALTH_QUEUE, async () => options.run(), { connection: connections[1]!, prefix: options.prefix, concurrency: 1 })
  worker.on('error', options.onError)
  worker.on('failed', (_job, error) => options.onError(error))
  await queue.upsertJobScheduler(SCHEDULER_ID, { every: options.everyMs }, {
    name: 'check',
    opts: { removeOnComplete: { count: 50 }, removeOnFail: { count: 50 } },
  })
  return {
    queue,
    async close() {
      await worker.close()
      await queue.close()
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())))
    },
  }
}
