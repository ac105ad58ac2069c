import { randomUUID } from 'node:crypto'
import { createConnection } from 'node:net'
import { Redis } from 'ioredis'
import { describe, expect, it, onTestFinished } from 'vitest'
import { TEST_PHONE_HASH } from '../support/app.js'
import { pickWeighted, weightIndex } from '../../src/store/allocation.js'
import { createRedisStore } from '../../src/store/redis/index.js'
import type { CreateVerificationInput, Store } from '../../src/store/types.js'
import { freePort } from '../support/global-setup.js'
import { killRedisServer, startRedisServer } from '../support/redis-server.js'
import { deleteKeys, redisUrl, testPrefix } from '../support/redis.js'

// Redis' allocation view, pool:active:cdf (lua/includes/pool.lua): the Lua pick is the twin of
// allocation.ts pickWeighted, the set heals when missing or left behind, and a create reads
// no more of it than one point's neighbourhood.

const CALLER = '+819012345678'
const e164 = (i: number): string => `+8112${String(i).padStart(7, '0')}`

async function openStore(url = redisUrl()): Promise<{ store: Store; redis: Redis; keyPrefix: string }> {
  const keyPrefix = testPrefix()
  const store = await createRedisStore({ url, keyPrefix, lockAfterFailures: 100_000, retentionMs: 3_600_000, phoneHash: TEST_PHONE_HASH })
  const redis = new Redis(url)
  onTestFinished(async () => {
    await store.close()
    if (url === redisUrl()) await deleteKeys(keyPrefix)
    redis.disconnect()
  })
  return { store, redis, keyPrefix }
}

const input = (over: Partial<CreateVerificationInput>): CreateVerificationInput => ({
  id: `vf_${randomUUID()}`, tenant: 'bank-a', phoneNumber: CALLER, pollTokenHash: 'h', windowMs: 120_000, random: 0, ...over,
})
const numberOf = async (store: Store, over: Partial<CreateVerificationInput>): Promise<string> =>
  (await store.createVerification(input(over))).verification.verificationNumber

describe('redis allocation — pool:active:cdf', () => {
  it('the Lua pick is pickWeighted on the same line: same number for every random, the caller\'s own left out', async () => {
    const { store, redis, keyPrefix } = await openStore()
    for (let i = 0; i < 40; i++) await store.addNumber({ e164: e164(i), weight: i % 6 })
    const held = await Promise.all(['t1', 't2', 't3'].map((tenant, i) => numberOf(store, { tenant, random: (i * 0.3 + 0.1) })))
    expect(new Set(held).size).toBe(3)
    const flat = await redis.zrange(`${keyPrefix}pool:active:cdf`, '0', '-1', 'WITHSCORES')
    const line: { key: string; weight: number }[] = []
    for (let i = 0, end = 0; i < flat.length; i += 2) {
      line.push({ key: flat[i]!, weight: Number(flat[i + 1]) - end })
      end = Number(flat[i + 1])
    }
    expect(line.map((n) => n.weight).sort()).toEqual(Array.from({ length: 40 }, (_, i) => i % 6).filter((w) => w > 0).sort())
    const index = weightIndex(line)
    for (let i = 0; i < 200; i++) {
      const random = (i + 0.37) / 200
      expect(await numberOf(store, { tenant: 'probe', random })).toBe(pickWeighted(index, held, random))
    }
  })

  it('a missing set (a pool made by an older release) is built by the next create', async () => {
    const { store, redis, keyPrefix } = await openStore()
    await store.ensurePoolNumbers([e164(1), e164(2), e164(3)])
    await store.updateNumber(e164(2), { weight: 0 })
    await redis.del(`${keyPrefix}pool:active:cdf`)
    const got = await Promise.all([0.1, 0.9].map((random, i) => numberOf(store, { phoneNumber: `+8190000000${i}`, random })))
    expect(got.sort()).toEqual([e164(1), e164(3)])
    expect(await redis.zrange(`${keyPrefix}pool:active:cdf`, '0', '-1', 'WITHSCORES')).toHaveLength(4)
  })

  it('a set left behind by a pool change made without it (an older release) is rebuilt before handing out a number that left', async () => {
    const { store, redis, keyPrefix } = await openStore()
    await store.ensurePoolNumbers([e164(1), e164(2)])
    await redis.hdel(`${keyPrefix}pool:active`, e164(1)) // what an older updateNumber did, and nothing more
    const got = await Promise.all(Array.from({ length: 20 }, (_, i) => numberOf(store, { phoneNumber: `+81900000${String(i).padStart(3, '0')}`, random: (i + 0.5) / 20 })))
    expect(new Set(got)).toEqual(new Set([e164(2)]))
    expect(await redis.zrange(`${keyPrefix}pool:active:cdf`, '0', '-1')).toEqual([e164(2)])
  })

  it('a create over 1,000 numbers reads neither pool:active nor the whole set: only ranged reads around its point', async () => {
    // MONITOR on a redis-server of this test's own: it sees every command a script runs.
    const port = await freePort()
    const server = await startRedisServer(port)
    onTestFinished(() => killRedisServer(server))
    const { store, keyPrefix } = await openStore(`redis://127.0.0.1:${port}`)
    for (let i = 0; i < 1000; i++) await store.addNumber({ e164: e164(i), weight: 1 + (i % 3) })
    await numberOf(store, { tenant: 'other' }) // the caller holds one number: the exclusion runs too
    const monitor = createConnection({ host: '127.0.0.1', port })
    onTestFinished(() => void monitor.destroy())
    monitor.setEncoding('utf8')
    let log = ''
    monitor.on('data', (chunk: string) => (log += chunk))
    monitor.write('MONITOR\r\n')
    await new Promise<void>((resolve) => monitor.once('data', () => resolve()))
    await numberOf(store, { random: 0.5 })
    const marker = `marker:${randomUUID()}`
    const client = new Redis(`redis://127.0.0.1:${port}`)
    await client.echo(marker).finally(() => client.disconnect())
    while (!log.includes(marker)) await new Promise((resolve) => setTimeout(resolve, 10))
    const scripted = log.split('\r\n').filter((line) => / \[\d+ lua\] /.test(line))
    const onPool = scripted.filter((line) => line.includes(`${keyPrefix}pool:active`))
    expect(onPool.length).toBeGreaterThan(0)
    for (const line of onPool) {
      expect(line).not.toMatch(/"(HGETALL|HKEYS|HVALS|HLEN)"/i)
      expect(line).not.toMatch(/"ZRANGE(BYSCORE)?" "[^"]*" "0" "-1"/i)
      expect(line).toMatch(/"(ZRANGE|ZRANGEBYSCORE|ZREVRANGEBYSCORE|ZSCORE|HGET)"/i)
    }
    expect(scripted.length).toBeLessThan(25)
  })
})
