import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { createMemoryStore } from '../../src/store/memory.js'
import { createRedisStore } from '../../src/store/redis/index.js'
import { CALL_ID_TTL_MS } from '../../src/store/types.js'
import { TEST_PHONE_HASH } from '../support/app.js'
import { PRODUCTION_ENV } from '../support/production.js'
import { deleteKeys, redisUrl, testPrefix } from '../support/redis.js'

// Issue 14 item 3: R15 brings a customer back every 30 days. A captured signed voice webhook
// replayed then must stay a duplicate, or it verifies the customer's new window: call ids are
// remembered at least 35 days, on both stores.

const DAY_MS = 86_400_000
const options = { lockAfterFailures: 5, retentionMs: DAY_MS, phoneHash: TEST_PHONE_HASH }
const sid = (n: number) => `CA${String(n).padStart(32, '0')}`

describe('call id memory (issue 14 item 3)', () => {
  it('memory — a call id replayed 34 days later is a duplicate, and matches nothing', async () => {
    let now = Date.UTC(2026, 0, 5, 3)
    const store = createMemoryStore({ ...options, clock: () => now })
    await store.ensurePoolNumbers(['+81120000001'])
    expect((await store.recordCall({ callSid: sid(1), from: '+819012345678', to: '+81120000001' })).outcome).toBe('unmatched')
    now += 34 * DAY_MS
    // The customer is back (R15) with a window on the same pool number; the replay must not verify it.
    const opened = await store.createVerification({ id: 'vf_back', tenant: 'bank', phoneNumber: '+819012345678', pollTokenHash: '00', windowMs: 120_000, random: 0 })
    expect(opened.verification.verificationNumber).toBe('+81120000001')
    expect((await store.recordCall({ callSid: sid(1), from: '+819012345678', to: '+81120000001' })).outcome).toBe('duplicate')
    expect((await store.getVerification('vf_back'))!.verification.status).toBe('pending')
    await store.close()
  })

  describe('redis', () => {
    const keyPrefix = testPrefix()
    const redis = new Redis(redisUrl())
    afterAll(async () => {
      await deleteKeys(keyPrefix)
      redis.disconnect()
    })

    it('redis — a call id is kept at least 35 days (its name plus about 55 bytes)', async () => {
      const store = await createRedisStore({ ...options, url: redisUrl(), keyPrefix })
      await store.ensurePoolNumbers(['+81120000001'])
      await store.recordCall({ callSid: sid(2), from: '+819012345678', to: '+81120000001' })
      await store.recordWithheldCall('+81120000001', sid(3))
      await store.close()
      // Found by the call id, whatever the key's name: the call ids are the only keys holding one.
      for (const callSid of [sid(2), sid(3)]) {
        const keys: string[] = []
        for await (const batch of redis.scanStream({ match: `${keyPrefix}*${callSid}*`, count: 1000 })) keys.push(...(batch as string[]))
        expect(keys).toHaveLength(1)
        expect(await redis.pttl(keys[0]!)).toBeGreaterThan(35 * DAY_MS - 60_000)
        // README "Security" sizes the memory of call ids by this: the key's name plus ~55 bytes.
        expect(Number(await redis.memory('USAGE', keys[0]!)) - keys[0]!.length).toBeLessThanOrEqual(64)
      }
      expect(CALL_ID_TTL_MS).toBeGreaterThanOrEqual(35 * DAY_MS)
    })
  })

  it('config — production refuses an http PUBLIC_BASE_URL (the carrier would sign webhooks sent in clear)', () => {
    expect(() => loadConfig({ ...PRODUCTION_ENV, PUBLIC_BASE_URL: 'http://callverify.example' })).toThrow(/PUBLIC_BASE_URL must be https in production/)
  })
})
