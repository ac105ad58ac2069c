import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import type { OutboxEntry, Store } from '../store/types.js'
import { callbackJobOptions, EVENT_TYPES, eventIdFor, type CallbackJob } from './callbacks.js'
import type { JobMetrics } from './metrics.js'
import type { JobQueue } from './queue.js'

// The outbox relay (docs/contract.md "Event callbacks": no event is ever lost). Every instance runs one:
// it reads the store's outbox as one consumer of its group, turns each entry into a delivery job
// whose id is the event id, and only then acknowledges the entry (which removes it). An instance
// killed in between leaves its entries pending; another instance's relay claims them once they
// have been idle OUTBOX_CLAIM_IDLE_MS, and the job id makes a second add of the same event a
// no-op. So an event reaches the queue if any instance ever runs again, whoever heard its
// PUBLISH (pub/sub only wakes long-polls and streams).

const BATCH = 100
const BLOCK_MS = 1000
const RETRY_MS = 1000
/** The outbox this full (of OUTBOX_MAX_LENGTH) is an error: past the cap the oldest events are dropped. */
const ALARM_FRACTION = 0.5

/** Measures the outbox (callverify_outbox_entries) and logs an error when it is filling up: its relays stopped. */
export async function checkOutbox(store: Store, maxLength: number, metrics: Pick<JobMetrics, 'outboxEntries'>, log: Pick<FastifyBaseLogger, 'error'>): Promise<number> {
  const entries = await store.outbox.length()
  metrics.outboxEntries.set(entries)
  if (entries >= maxLength * ALARM_FRACTION) {
    log.error({ entries, cap: maxLength }, 'outbox: events are not being enqueued; past OUTBOX_MAX_LENGTH the oldest are dropped')
  }
  return entries
}

export interface RelayDeps {
  store: Store
  queue: JobQueue<CallbackJob>
  config: Config
  metrics: JobMetrics
  log: FastifyBaseLogger
}

export interface Relay {
  /** Its name in the consumer group. */
  readonly consumer: string
  /** Measures the outbox (callverify_outbox_entries); logs an error when it is filling up. */
  check(): Promise<number>
  close(): Promise<void>
}

export function startRelay({ store, queue, config, metrics, log }: RelayDeps): Relay {
  const consumer = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`
  const { claimIdleMs, maxLength } = config.outbox
  let closed = false
  let lastClaim = 0
  let enqueuing: Promise<void> = Promise.resolve()

  const add = (eventId: string) => queue.add('callback', { eventId }, callbackJobOptions(config.callbacks, eventId))

  /** In outbox order, one at a time: this relay adds a verification's `verified` before its later event. */
  async function enqueue(entries: OutboxEntry[]): Promise<void> {
    for (const entry of entries) {
      if (!entry.callback || !EVENT_TYPES[entry.status]) continue
      // Another relay may hold the `verified` entry still: adding it here too (the same job id,
      // so one job) keeps the later event from being delivered first (callbacks.ts waits for it).
      if (entry.wasVerified) await add(eventIdFor(entry.id, 'verified'))
      await add(eventIdFor(entry.id, entry.status))
    }
    await store.outbox.ack(entries.map((e) => e.entry))
  }

  async function next(): Promise<OutboxEntry[]> {
    // A dead relay's entries first, now and then: they are the oldest.
    if (Date.now() - lastClaim >= claimIdleMs / 2) {
      lastClaim = Date.now()
      const claimed = await store.outbox.claim(consumer, claimIdleMs, BATCH)
      if (claimed.length > 0) {
        log.info({ entries: claimed.length }, 'outbox: took over entries of a relay that stopped')
        return claimed
      }
    }
    return store.outbox.read(consumer, BATCH, BLOCK_MS)
  }

  const loop = (async () => {
    while (!closed) {
      try {
        const entries = await next()
        if (closed || entries.length === 0) continue
        enqueuing = enqueue(entries)
        await enqueuing
      } catch (error) {
        if (closed) break
        // Not acknowledged: the entries stay pending and are claimed again once idle.
        log.error({ err: (error as Error).message }, 'outbox: events not enqueued, trying again')
        await new Promise((r) => setTimeout(r, RETRY_MS).unref())
      }
    }
  })()

  return {
    consumer,
    check: () => checkOutbox(store, maxLength, metrics, log),
    async close() {
      closed = true
      // A batch being enqueued is finished; a blocked read ends with the store's connection.
      await enqueuing.catch(() => {})
      void loop
    },
  }
}
