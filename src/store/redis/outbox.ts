import type { Redis } from 'ioredis'
import { toOutboxEntry } from '../outbox.js'
import type { Outbox, OutboxEntry } from '../roles/events.js'
import { openRedis, STORE_CONNECTION_OPTIONS } from './connection.js'
import type { RedisStoreOptions } from './context.js'

// The outbox of Redis mode: the stream `outbox` that every status-changing script appends to
// (includes/verification.lua publish), read through one consumer group. XREADGROUP hands each
// entry to one reader and keeps it in the group's pending list until XACK; a reader that died
// holding entries leaves them there, idle, and XAUTOCLAIM gives them to a live one. An entry
// acknowledged is deleted at once (XDEL): the stream holds only what is not yet enqueued.

const KEY = 'outbox'
const GROUP = 'callbacks'
/** A consumer with nothing pending and silent this long is gone (a restarted instance's old name). */
const FORGET_CONSUMER_MS = 3600_000

type StreamEntry = [id: string, fields: string[] | null]

function parse(entries: StreamEntry[]): { entries: OutboxEntry[]; gone: string[] } {
  const parsed: OutboxEntry[] = []
  const gone: string[] = []
  for (const [id, flat] of entries) {
    // Redis < 7 claims an entry trimmed meanwhile with no fields: nothing to enqueue, only to ack.
    if (!flat) {
      gone.push(id)
      continue
    }
    const fields: Record<string, string> = {}
    for (let i = 0; i < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!
    parsed.push(toOutboxEntry(id, fields))
  }
  return { entries: parsed, gone }
}

const isNoGroup = (error: unknown) => (error as Error).message?.includes('NOGROUP')

export function createRedisOutbox(options: RedisStoreOptions, redis: Redis): Outbox & { close(): Promise<void> } {
  // A blocking read holds its connection: it gets its own, opened on the first read, which
  // waits out an outage (offline queue) rather than fail the relay's loop every second.
  let reader: Redis | undefined
  let group: Promise<void> | undefined
  let cursor = '0-0'

  function ensureGroup(): Promise<void> {
    // From the first entry ('0'), not '$': events appended before any relay ran are not skipped.
    group ??= redis.xgroup('CREATE', KEY, GROUP, '0', 'MKSTREAM').then(() => {}, (error: Error) => {
      if (!error.message.includes('BUSYGROUP')) {
        group = undefined
        throw error
      }
    })
    return group
  }

  /** The stream or its group may be gone (deleted by hand): made again, once. */
  async function withGroup<T>(run: () => Promise<T>): Promise<T> {
    await ensureGroup()
    try {
      return await run()
    } catch (error) {
      if (!isNoGroup(error)) throw error
      group = undefined
      await ensureGroup()
      return run()
    }
  }

  async function acknowledge(ids: string[]): Promise<void> {
    if (ids.length > 0) await redis.multi().xack(KEY, GROUP, ...ids).xdel(KEY, ...ids).exec()
  }

  async function forgetConsumers(): Promise<void> {
    const consumers = (await redis.xinfo('CONSUMERS', KEY, GROUP)) as (string | number)[][]
    for (const flat of consumers) {
      const info = Object.fromEntries(flat.reduce<[string, string | number][]>((pairs, v, i) => (i % 2 === 0 ? [...pairs, [String(v), flat[i + 1]!]] : pairs), []))
      if (Number(info.pending) === 0 && Number(info.idle) > FORGET_CONSUMER_MS) await redis.xgroup('DELCONSUMER', KEY, GROUP, String(info.name))
    }
  }

  return {
    async read(consumer, count, blockMs) {
      reader ??= openRedis(options.url, {
        ...STORE_CONNECTION_OPTIONS, keyPrefix: options.keyPrefix, commandTimeout: undefined, enableOfflineQueue: true, maxRetriesPerRequest: null,
      }).on('error', () => {})
      const connection = reader
      // (BLOCK 0 would wait for ever: no wait is no BLOCK.)
      const block = blockMs > 0 ? ['BLOCK', blockMs] : []
      const reply = (await withGroup(() => connection.xreadgroup('GROUP', GROUP, consumer, 'COUNT', count, ...(block as ['BLOCK', number]), 'STREAMS', KEY, '>'))) as
        [string, StreamEntry[]][] | null
      return reply ? parse(reply[0]![1]).entries : []
    },
    async claim(consumer, idleMs, count) {
      const [next, claimed] = (await withGroup(() => redis.xautoclaim(KEY, GROUP, consumer, idleMs, cursor, 'COUNT', count))) as [string, StreamEntry[]]
      // One page per call: the cursor walks the pending list and starts over at its end.
      cursor = next
      if (cursor === '0-0') await forgetConsumers()
      const { entries, gone } = parse(claimed)
      await acknowledge(gone)
      return entries
    },
    ack: acknowledge,
    async length() {
      return redis.xlen(KEY)
    },
    async close() {
      reader?.disconnect()
    },
  }
}
