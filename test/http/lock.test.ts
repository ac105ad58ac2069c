import { afterEach, describe, expect, it } from 'vitest'
import { nextJapanMidnight } from '../../src/domain/japan.js'
import { API_KEY, OTHER_API_KEY, STORE_KINDS, bearer, buildTestApp, type StoreKind, type TestApp } from '../support/app.js'

// R11 over HTTP: failures counted by the store (cancel, supersede, expiry) lock a tenant's number
// until the next 00:00 Japan time, and create answers 423 LOCKED with reason code B84.

const PHONE = '09012345678'
const E164 = '+819012345678'
/** Tuesday 2026-03-10 12:00 Japan time: no closure of the seed calendar (R12) is near. */
const NOON = Date.parse('2026-03-10T03:00:00Z')
const LOCKED_JA = 'ただ今お取扱いできません。詳しくは本サービスのお問合せ窓口へご照会下さい。理由コードはB84です。'

for (const kind of STORE_KINDS) {
  describe(`day lock (R11) on the ${kind} store`, () => {
    let t: TestApp
    afterEach(async () => t?.close())

    // Redis judges windows by its own clock; the service-hours gate reads the app clock, held at noon.
    async function build(env: Record<string, string> = {}, startAt = NOON) {
      t = await buildTestApp(kind, {
        env: { LOCK_AFTER_FAILURES: '3', ...env },
        ...(kind === 'memory' ? { startAt } : { deps: { clock: () => startAt } }),
      })
      return t
    }

    async function create(phoneNumber = PHONE, key = API_KEY) {
      return t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(key), payload: { phoneNumber } })
    }
    async function createOk(phoneNumber = PHONE, key = API_KEY): Promise<{ id: string; verificationNumber: { e164: string } }> {
      const res = await create(phoneNumber, key)
      expect(res.statusCode, res.body).toBe(201)
      return res.json()
    }
    async function cancel(id: string) {
      const res = await t.app.inject({ method: 'POST', url: `/v1/verifications/${id}/cancel`, headers: bearer(API_KEY) })
      expect(res.statusCode).toBe(200)
    }
    async function expectLocked(res: Awaited<ReturnType<typeof create>>) {
      expect(res.statusCode, res.body).toBe(423)
      const until = nextJapanMidnight(await t.store.now())
      expect(res.json().error).toEqual({
        code: 'LOCKED', reasonCode: 'B84', lockedUntil: new Date(until).toISOString(),
        message: expect.any(String), messageJa: LOCKED_JA,
      })
      const retryAfter = Number(res.headers['retry-after'])
      expect(retryAfter).toBeGreaterThan(0)
      // Counted from the store's clock (the test clock in memory), not this instance's.
      expect(Math.abs(retryAfter - (until - (await t.store.now())) / 1000)).toBeLessThan(3)
    }

    it('create — three cancelled verifications lock the number: 423 LOCKED, B84, until the next 00:00 Japan time', async () => {
      await build()
      for (let i = 0; i < 3; i++) await cancel((await createOk()).id)
      await expectLocked(await create())
      expect((await t.store.getLock('demo', E164)).failures).toBe(3)
      // Every accepted form of the number is the same customer.
      await expectLocked(await create(E164))
    })

    it('create — a third supersede locks the number, and the create that caused it is refused', async () => {
      await build()
      for (let i = 0; i < 3; i++) await createOk()
      await expectLocked(await create())
      expect((await t.store.getLock('demo', E164)).failures).toBe(3)
    })

    it('create — a verification that expired unread counts at the next create', async () => {
      await build(kind === 'redis' ? { WINDOW_SECONDS: '1' } : {})
      const waitOut = async () => (kind === 'memory' ? t.clock.advance(121_000) : new Promise((r) => setTimeout(r, 1100)))
      await createOk()
      await waitOut()
      await createOk() // the first expires here: one failure
      await waitOut()
      await createOk()
      expect((await t.store.getLock('demo', E164)).failures).toBe(2)
      await waitOut()
      await expectLocked(await create())
    })

    it('create — confirmed verifications never count', async () => {
      await build()
      for (let i = 0; i < 4; i++) {
        const v = await createOk()
        await t.store.recordCall({ callSid: `CA${String(i).padStart(32, '0')}`, from: E164, to: v.verificationNumber.e164 })
        const res = await t.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/confirm`, headers: bearer(API_KEY) })
        expect(res.json().status).toBe('confirmed')
      }
      expect((await t.store.getLock('demo', E164)).failures).toBe(0)
      await createOk()
    })

    it("create — the lock is one tenant's for one number: another tenant or another number is not locked", async () => {
      await build()
      for (let i = 0; i < 3; i++) await cancel((await createOk()).id)
      await expectLocked(await create())
      await createOk(PHONE, OTHER_API_KEY)
      await createOk('09087654321')
    })

    it('store.clearLock — lifts the lock before midnight and forgets the day\'s failures (staff help)', async () => {
      await build()
      for (let i = 0; i < 3; i++) await cancel((await createOk()).id)
      await expectLocked(await create())
      const before = await t.store.clearLock('demo', E164)
      expect(before.lockedUntil).toBe(nextJapanMidnight(await t.store.now()))
      await cancel((await createOk()).id)
      expect(await t.store.getLock('demo', E164)).toMatchObject({ failures: 1 })
      expect((await t.store.getLock('demo', E164)).lockedUntil).toBeUndefined()
    })
  })
}

describe('day lock (R11) at midnight (memory store, controlled clock)', () => {
  let t: TestApp
  afterEach(async () => t?.close())

  it('create — a lock taken at 23:59:50 lifts at 00:00, and the new day counts from zero', async () => {
    const kind: StoreKind = 'memory'
    // 2026-03-10 23:59:30 Japan time; a 5 s window ends before the 00:00 closure (R12).
    t = await buildTestApp(kind, { env: { LOCK_AFTER_FAILURES: '3', WINDOW_SECONDS: '5' }, startAt: Date.parse('2026-03-10T14:59:30Z') })
    const create = () => t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: PHONE } })
    for (let i = 0; i < 3; i++) {
      const id = (await create()).json().id
      await t.app.inject({ method: 'POST', url: `/v1/verifications/${id}/cancel`, headers: bearer(API_KEY) })
      t.clock.advance(10_000)
    }
    // 23:59:54 (the last create whose window ends before the closure): locked until 2026-03-11 00:00
    t.clock.advance(-6_000)
    const locked = await create()
    expect(locked.statusCode).toBe(423)
    expect(locked.json().error.lockedUntil).toBe('2026-03-10T15:00:00.000Z')
    // 00:00:30: the lock is gone, but the daily 00:00–00:01 closure answers first
    t.clock.advance(36_000)
    const closed = await create()
    expect(closed.statusCode).toBe(503)
    expect(closed.json().error.code).toBe('OUT_OF_SERVICE_HOURS')
    // 00:01:10: open, unlocked, no failure counted yet today
    t.clock.advance(40_000)
    expect((await create()).statusCode).toBe(201)
    expect(await t.store.getLock('demo', E164)).toEqual({ tenant: 'demo', phoneNumber: E164, failures: 0 })
  })
})
