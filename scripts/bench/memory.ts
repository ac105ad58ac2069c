import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { appEnv, BENCH_POOL, openVerifications, phoneNumbers, type BenchOptions, type Row } from './api.js'
import { startService } from './service.js'

// Redis memory per pending verification: N creates through the API of a fresh app (so
// whatever a create leaves behind counts: the rate-limit counters, and any BullMQ job), with
// MEMORY USAGE summed over every key under its prefix before the first create and after the
// last. The difference over N is the cost of one pending verification: keys that exist
// before (pool:n:*, pool:all, pool:active and its cdf, BullMQ's meta keys and the expiry sweep's schedule)
// are shared and fall out of it; keys that grow with N (the per-number pending sets, any
// BullMQ job and event stream) are counted in it.

const N = 1000
const TARGET_BYTES = 1024
const BULL_SHARED = new Set(['delayed', 'events', 'meta', 'id', 'wait', 'active', 'completed', 'failed', 'paused', 'prioritized', 'marker', 'stalled-check', 'pc'])

type Usage = Map<string, { keys: number; bytes: number }>

/** A key's kind: its name under the prefix with ids, numbers and days taken out. */
function kindOf(name: string): string {
  const [head, second, third] = name.split(':')
  if (head === 'pool') return `pool:${second}`
  if (head === 'bull') return `bull:${second}:${third && BULL_SHARED.has(third) ? third : 'job'}`
  return head!
}

async function usageByKind(redis: Redis, prefix: string): Promise<Usage> {
  const usage: Usage = new Map()
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    const pipeline = redis.pipeline()
    // SAMPLES 0: every element of a hash, set or stream counts, not an estimate from five.
    for (const key of keys) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')
    const sizes = (await pipeline.exec()) ?? []
    keys.forEach((key, i) => {
      const kind = kindOf(key.slice(prefix.length))
      const entry = usage.get(kind) ?? { keys: 0, bytes: 0 }
      entry.keys += 1
      entry.bytes += Number(sizes[i]?.[1] ?? 0)
      usage.set(kind, entry)
    })
  } while (cursor !== '0')
  return usage
}

const bytes = (usage: Usage, only?: (kind: string) => boolean) =>
  [...usage].filter(([kind]) => !only || only(kind)).reduce((sum, [, u]) => sum + u.bytes, 0)

/** Work a create sets off may land after it answers: wait until the key count stops moving. */
async function settled(redis: Redis, prefix: string): Promise<Usage> {
  let last = -1
  for (;;) {
    const usage = await usageByKind(redis, prefix)
    const keys = [...usage.values()].reduce((sum, u) => sum + u.keys, 0)
    if (keys === last) return usage
    last = keys
    await sleep(300)
  }
}

export async function benchMemory(options: BenchOptions): Promise<Row[]> {
  const prefix = `${options.prefix}mem:`
  const apiKey = randomBytes(18).toString('base64url')
  const app = await startService(appEnv(options, prefix, apiKey))
  const redis = new Redis(options.redisUrl)
  try {
    const before = await settled(redis, prefix)
    await openVerifications(app.url, apiKey, phoneNumbers(), N, 20)
    const after = await settled(redis, prefix)
    const grown = (only?: (kind: string) => boolean) => (bytes(after, only) - bytes(before, only)) / N
    const perKind = [...after]
      .map(([kind, u]) => ({ kind, keys: u.keys, per: (u.bytes - (before.get(kind)?.bytes ?? 0)) / N }))
      .filter((k) => Math.round(k.per) !== 0)
      .sort((a, b) => b.per - a.per)
      .map((k) => `${k.kind} ${k.per.toFixed(0)} B (${k.keys} keys)`)
    const store = grown((kind) => !kind.startsWith('bull:') && kind !== 'rl')
    const perVerification = grown()
    return [{
      name: `Redis memory per pending verification (N=${N}, pool of ${BENCH_POOL.length})`,
      value: perVerification,
      unit: 'B',
      target: `≤ ${TARGET_BYTES} B`,
      pass: perVerification <= TARGET_BYTES,
      note:
        `store keys ${store.toFixed(0)} B + BullMQ ${grown((k) => k.startsWith('bull:')).toFixed(0)} B + ` +
        `rate-limit counters ${grown((k) => k === 'rl').toFixed(0)} B; by kind: ${perKind.join(', ')}; ` +
        `keys present before the first create (${bytes(before)} B in all) are shared and excluded`,
    }]
  } finally {
    redis.disconnect()
    await app.close()
  }
}
