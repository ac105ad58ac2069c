import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import type { CallverifyError } from '../../src/domain/errors.js'
import type { PhoneHashKeys } from '../../src/domain/phonehash.js'
import { loggerOptions } from '../../src/logging.js'
import { createRedisStore } from '../../src/store/redis/index.js'
import type { CreateVerificationInput, Store } from '../../src/store/types.js'
import { ADMIN_TOKEN, API_KEY, bearer, buildTestApp, type TestApp } from '../support/app.js'
import { deleteKeys, redisUrl, testPrefix } from '../support/redis.js'
import { startReceiver, type Receiver } from '../jobs/support/receiver.js'

// docs/contract.md "Personal data at rest": a dump of Redis shows no customer's number. A whole
// flow on a real app (create with reference and callback, a matched call, an unmatched caller, a day
// lock and its lifting by staff, callbacks delivered through BullMQ), then every key under the
// test's prefix is read whole, whatever its type, and searched for each number in every form a
// number is written in. The logs and the metrics are searched the same way.

const CUSTOMER = '09012345678'
const STRANGER = '08011112222'
/** Every form of a number: E.164 with and without +, domestic, national digits, last eight. */
const forms = (domestic: string) => [`+81${domestic.slice(1)}`, `81${domestic.slice(1)}`, domestic, domestic.slice(1), domestic.slice(-8)]

async function dump(redis: Redis, prefix: string): Promise<{ keys: string[]; text: string }> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    keys.push(...found)
  } while (cursor !== '0')
  const parts: string[] = []
  for (const key of keys) {
    const type = await redis.type(key)
    const value =
      type === 'string' ? await redis.get(key)
        : type === 'hash' ? await redis.hgetall(key)
          : type === 'list' ? await redis.lrange(key, 0, -1)
            : type === 'set' ? await redis.smembers(key)
              : type === 'zset' ? await redis.zrange(key, '0', '-1', 'WITHSCORES')
                : type === 'stream' ? await redis.xrange(key, '-', '+')
                  : `unread type ${type}`
    parts.push(key, type, JSON.stringify(value))
  }
  return { keys, text: parts.join('\n') }
}

describe('personal data at rest (Redis)', () => {
  let t: TestApp | undefined
  let receiver: Receiver | undefined
  afterEach(async () => {
    await receiver?.close()
    await t?.close()
  })

  it('personal data — after a whole flow, no key, field or value of any type holds a customer number in any form; nor do logs or metrics', { timeout: 30_000 }, async () => {
    receiver = await startReceiver(API_KEY)
    const lines: string[] = []
    const stream = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done() } })
    t = await buildTestApp('redis', { env: { LOCK_AFTER_FAILURES: '2', CALLBACK_BACKOFF_MS: '40' }, deps: { logger: { ...(loggerOptions('debug') as object), stream } } })
    const create = (phoneNumber: string, extra: Record<string, string> = {}) =>
      t!.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber, ...extra } })

    const v = (await create(CUSTOMER, { reference: 'order-81', callbackUrl: receiver.url })).json()
    expect((await t.app.store.recordCall({ callSid: `CA${'1'.repeat(32)}`, from: `+81${CUSTOMER.slice(1)}`, to: v.verificationNumber.e164 })).outcome).toBe('verified')
    expect((await t.app.store.recordCall({ callSid: `CA${'2'.repeat(32)}`, from: `+81${STRANGER.slice(1)}`, to: v.verificationNumber.e164 })).outcome).toBe('unmatched')
    expect((await t.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/confirm`, headers: bearer(API_KEY) })).statusCode).toBe(200)
    // Two failures lock the number for the day (R11); staff look it up and lift it.
    const second = (await create(CUSTOMER, { callbackUrl: receiver.url })).json()
    await create(CUSTOMER, { callbackUrl: receiver.url }) // supersedes `second`: one failure
    const third = (await t.app.inject({ url: `/v1/verifications/${second.id}`, headers: bearer(API_KEY) })).json()
    expect(third.cancelReason).toBe('superseded')
    expect((await create(CUSTOMER)).statusCode).toBe(423) // superseded the third: the second failure, locked
    const admin = bearer(ADMIN_TOKEN)
    expect((await t.app.inject({ url: `/admin/locks/${CUSTOMER}?tenant=demo`, headers: admin })).json()).toMatchObject({ locked: true, failures: 2 })
    expect((await t.app.inject({ method: 'DELETE', url: `/admin/locks/${CUSTOMER}?tenant=demo`, headers: admin })).json()).toMatchObject({ lifted: true })
    // A failure after the lift: today's count is in the dump too.
    const after = (await create(CUSTOMER)).json()
    expect((await t.app.inject({ method: 'POST', url: `/v1/verifications/${after.id}/cancel`, headers: bearer(API_KEY) })).statusCode).toBe(200)
    await receiver.waitFor((r) => r.delivered.length >= 4) // verified, confirmed, and two cancelled

    const redis = new Redis(redisUrl())
    try {
      const { keys, text } = await dump(redis, t.config.keyPrefix)
      // The dump is real: the verification, its call index, the BullMQ jobs, the audit log are in it.
      for (const kind of ['v:', 'caller:', 'fail:', 'bull:callbacks:', 'audit', 'rl:key:']) {
        expect(keys.some((k) => k.slice(t!.config.keyPrefix.length).startsWith(kind)), kind).toBe(true)
      }
      expect(text).toContain('order-81')
      expect(text).toContain('*******5678')
      for (const form of [...forms(CUSTOMER), ...forms(STRANGER)]) expect(text, form).not.toContain(form)
    } finally {
      redis.disconnect()
    }
    const metrics = (await t.app.inject({ url: '/metrics', headers: admin })).body
    const logs = lines.join('')
    expect(logs).toContain(v.id)
    for (const form of [...forms(CUSTOMER), ...forms(STRANGER)]) {
      expect(logs, form).not.toContain(form)
      expect(metrics, form).not.toContain(form)
    }
  })
})

describe('PHONE_HASH_KEY rotation (Redis)', () => {
  // A memory store's rotation is a restart, which keeps nothing: the memory store runs the same
  // two-key lookups (store/memory.ts hashesOf), and these cases need state to outlive the key.
  const K1 = { current: randomBytes(32) }
  const K2 = { current: randomBytes(32), previous: K1.current }
  const stores: Store[] = []
  let prefix: string
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()))
    await deleteKeys(prefix)
  })
  const open = async (phoneHash: PhoneHashKeys, lockAfterFailures = 2) => {
    const store = await createRedisStore({ url: redisUrl(), keyPrefix: prefix, lockAfterFailures, retentionMs: 3_600_000, phoneHash })
    await store.ensurePoolNumbers(['+81120000001', '+81120000002', '+81120000003'])
    stores.push(store)
    return store
  }
  let n = 0
  const input = (phoneNumber: string, over: Partial<CreateVerificationInput> = {}): CreateVerificationInput => ({
    id: `vf_rot${++n}`, tenant: 'bank-a', phoneNumber, pollTokenHash: 'h', windowMs: 120_000, random: Math.random(), ...over,
  })
  const call = (store: Store, from: string, to: string) => store.recordCall({ callSid: `CA${String(++n).padStart(32, '0')}`, from, to })
  const code = (promise: Promise<unknown>) => promise.then(() => 'ok', (e: CallverifyError) => e.code)

  it('rotation — open windows, locks, day counts, supersede and per-number limits made under the old key hold under the new one, on both sides of it', async () => {
    prefix = testPrefix()
    const before = await open(K1)
    const [A, B, C, D, E] = ['+819000000001', '+819000000002', '+819000000003', '+819000000004', '+819000000005']
    const openA = (await before.createVerification(input(A))).verification // an open window
    for (let i = 0; i < 2; i++) await before.cancelVerification((await before.createVerification(input(B))).verification.id, 'backend') // a lock
    await before.cancelVerification((await before.createVerification(input(C))).verification.id, 'backend') // one failure today
    const openD = (await before.createVerification(input(D))).verification // to be superseded
    await before.cancelVerification((await before.createVerification(input(E))).verification.id, 'backend')
    const openE = (await before.createVerification(input(E))).verification // ends after the rotation: the second failure
    const numberCount = { max: 2, windowMs: 60_000 }
    for (let i = 0; i < 2; i++) await before.createVerification(input('+819000000006', { numberCount }))

    const after = await open(K2) // PHONE_HASH_KEY=K2, PHONE_HASH_PREVIOUS_KEY=K1
    expect((await call(after, A, openA.verificationNumber)).outcome).toBe('verified') // the old window matches
    expect(await after.getLock('bank-a', B)).toMatchObject({ failures: 2, lockedUntil: expect.any(Number) })
    expect(await code(after.createVerification(input(B)))).toBe('LOCKED')
    // C: one failure under K1, one under K2: the day's count is two, and C locks.
    await after.cancelVerification((await after.createVerification(input(C))).verification.id, 'backend')
    expect(await after.getLock('bank-a', C)).toMatchObject({ failures: 2, lockedUntil: expect.any(Number) })
    expect(await code(after.createVerification(input(C)))).toBe('LOCKED')
    // D: the new create supersedes the one opened under K1.
    await after.createVerification(input(D))
    expect((await after.getVerification(openD.id))!.verification).toMatchObject({ status: 'cancelled', cancelReason: 'superseded' })
    // E: a verification opened under K1 ends after the rotation; its lock is found under K2.
    await after.cancelVerification(openE.id, 'backend')
    expect(await code(after.createVerification(input(E)))).toBe('LOCKED')
    // The per-number limit counts the hits under K1.
    expect(await code(after.createVerification(input('+819000000006', { numberCount })))).toBe('TOO_MANY_REQUESTS')
    // Staff lift a lock set under K1 by typing the number.
    await after.clearLock('bank-a', B)
    expect(await after.getLock('bank-a', B)).toEqual({ tenant: 'bank-a', phoneNumber: B, failures: 0 })
    expect(await code(after.createVerification(input(B)))).toBe('ok')

    // The rotation done (PHONE_HASH_PREVIOUS_KEY removed): what K2 wrote still holds.
    const done = await open({ current: K2.current })
    expect(await done.getLock('bank-a', C)).toMatchObject({ failures: 1, lockedUntil: expect.any(Number) }) // the lock and K2's count
    const openF = (await after.createVerification(input('+819000000007'))).verification
    expect((await call(done, '+819000000007', openF.verificationNumber)).outcome).toBe('verified')
  })
})
