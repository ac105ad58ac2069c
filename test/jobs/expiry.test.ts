import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest'
import type { VerificationStatus } from '../../src/domain/verification.js'
import { expiryHandler, SWEEP_JOB, sweepExpired } from '../../src/jobs/expiry.js'
import { createMemoryStore } from '../../src/store/memory.js'
import { API_KEY, STORE_KINDS, bearer, buildTestApp, type TestApp } from '../support/app.js'
import { deleteKeys, redisUrl, testPrefix } from '../support/redis.js'
import { waitUntil } from './support/receiver.js'
import { TEST_PHONE_HASH } from '../support/app.js'

// R3 as an event: the expiry sweep (every EXPIRY_SWEEP_MS) expires what nobody reads, and the
// race it brings: a confirm at the window edge against the sweep. Both are atomic store steps
// (Lua on Redis), so exactly one of them wins.

const sleepUntil = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())))
const create = async (t: TestApp, phoneNumber = '09012345678') =>
  (await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber } })).json()

for (const kind of STORE_KINDS) {
  describe(`expiry sweep (${kind})`, () => {
    let t: TestApp
    afterEach(async () => t?.close())

    it('expiry — the sweep expires a window nobody polls within one sweep period, published and counted once', async () => {
      t = await buildTestApp(kind, { env: { WINDOW_SECONDS: '1', EXPIRY_SWEEP_MS: '200' } })
      const events: { status: VerificationStatus; at: number }[] = []
      let first = ''
      t.store.onStatus((e) => {
        if (e.id === first) events.push({ status: e.status, at: Date.now() })
      })
      const v = await create(t)
      first = v.id
      const windowEnds = Date.now() + (Date.parse(v.expiresAt) - (await t.store.now()))
      if (kind === 'memory') t.clock.advance(1000) // the memory store's clock; the sweep's timer is real
      await waitUntil(() => events.length > 0, 3000, 'expired event')
      expect(events.map((e) => e.status)).toEqual(['expired'])
      // Window end + one period (200 ms) + the sweep's own time, with room for a loaded machine.
      if (kind === 'redis') expect(events[0]!.at - windowEnds).toBeLessThan(200 + 800)
      expect((await t.store.getLock('demo', '+819012345678')).failures).toBe(1)
      expect((await t.app.inject({ url: `/v1/verifications/${v.id}`, headers: bearer(API_KEY) })).json().status).toBe('expired')
      // The barrier: a later window, expired by a later sweep; by then the sweeps ran again past the first.
      const later: string[] = []
      t.store.onStatus((e) => later.push(`${e.id} ${e.status}`))
      const next = await create(t, '08011112222')
      if (kind === 'memory') t.clock.advance(1000)
      await waitUntil(() => later.includes(`${next.id} expired`), 3000, 'the later expiry')
      expect(events).toHaveLength(1)
    })

    it('expiry — a confirm racing the sweep at the window edge: confirmed (no expired event) or expired (confirm 410), never both', async () => {
      t = await buildTestApp(kind, { env: { WINDOW_SECONDS: '1', EXPIRY_SWEEP_MS: '100' } })
      const seen = new Map<string, VerificationStatus[]>()
      t.store.onStatus((e) => seen.set(e.id, [...(seen.get(e.id) ?? []), e.status]))
      // Far before and after the edge (certain outcomes), and densely around it (the race).
      const offsets = kind === 'redis' ? [-150, -8, -4, -2, -1, 0, 0, 1, 2, 4, 8, 150] : [-1, 0, 1]
      const rounds = await Promise.all(offsets.map(async (offset, i) => {
        const v = await create(t, `0901234${String(5600 + i)}`)
        const call = await t.store.recordCall({ callSid: `CA${String(i).padStart(32, '7')}`, from: `+81901234${String(5600 + i)}`, to: v.verificationNumber.e164 })
        expect(call.outcome).toBe('verified')
        return { v, offset }
      }))
      const results = kind === 'memory'
        // One clock for every round: each offset at its own instant, the sweep and the confirm in one tick.
        ? await sequentialMemoryRaces(t, rounds)
        : await Promise.all(rounds.map(async ({ v, offset }) => {
          await sleepUntil(Date.now() + (Date.parse(v.expiresAt) - (await t.store.now())) + offset)
          const [confirm] = await Promise.all([
            t.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/confirm`, headers: bearer(API_KEY) }),
            sweepExpired(t.app.store),
          ])
          return { id: v.id as string, confirm: confirm.statusCode }
        }))
      await sweepExpired(t.app.store) // one more sweep after the race: nothing left for it to change
      for (const { id, confirm } of results) {
        const final = (await t.app.inject({ url: `/v1/verifications/${id}`, headers: bearer(API_KEY) })).json().status
        const events = seen.get(id) ?? []
        expect(events.filter((s) => s === 'confirmed' || s === 'expired'), id).toHaveLength(1)
        if (confirm === 200) {
          expect(final).toBe('confirmed')
          expect(events).toEqual(['verified', 'confirmed'])
        } else {
          expect(confirm).toBe(410)
          expect(final).toBe('expired')
          expect(events).toEqual(['verified', 'expired'])
        }
      }
      expect(new Set(results.map((r) => r.confirm))).toEqual(new Set([200, 410]))
    })
  })
}

/** Memory: moves the store clock to each edge in turn; confirm and sweep start in the same tick. */
async function sequentialMemoryRaces(t: TestApp, rounds: { v: { id: string; expiresAt: string }; offset: number }[]) {
  const results: { id: string; confirm: number }[] = []
  for (const { v, offset } of rounds) {
    t.clock.now = Date.parse(v.expiresAt) + offset
    const [confirm] = await Promise.all([
      t.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/confirm`, headers: bearer(API_KEY) }),
      sweepExpired(t.app.store),
    ])
    results.push({ id: v.id, confirm: confirm.statusCode })
  }
  return results
}

describe('expiry sweep — the job', () => {
  it('sweepExpired — calls the store in batches while a batch comes back full, and answers the total', async () => {
    let now = Date.now()
    const store = createMemoryStore({ lockAfterFailures: 100, retentionMs: 3_600_000, phoneHash: TEST_PHONE_HASH, clock: () => now })
    await store.ensurePoolNumbers(['+81120000001', '+81120000002'])
    for (let i = 0; i < 5; i++) {
      await store.createVerification({ id: `vf_${i}`, tenant: 't', phoneNumber: `+8190000000${i}0`, pollTokenHash: 'h', windowMs: 1000, random: 0.5 })
    }
    now += 1000
    const calls = vi.spyOn(store, 'expireDue')
    expect(await sweepExpired(store, 2)).toBe(5)
    expect(calls.mock.calls).toEqual([[2], [2], [2]])
    expect(await sweepExpired(store, 2)).toBe(0)
  })

  it('expiry job — an `expire` job left from the per-verification design ends without touching the store', async () => {
    const store = createMemoryStore({ lockAfterFailures: 5, retentionMs: 3_600_000, phoneHash: TEST_PHONE_HASH })
    const calls = vi.spyOn(store, 'expireDue')
    const log = { debug: vi.fn(), warn: vi.fn() } as unknown as Parameters<typeof expiryHandler>[1]
    const run = expiryHandler(store, log)
    await run({}, { id: 'expire.vf_old', name: 'expire', attempt: 1, attempts: 10 })
    expect(calls).not.toHaveBeenCalled()
    await run({}, { id: 'repeat:sweep:1', name: SWEEP_JOB, attempt: 1, attempts: 1 })
    expect(calls).toHaveBeenCalledTimes(1)
  })

  it('expiry job — two instances on one Redis share one schedule, and a create adds no job', async () => {
    const keyPrefix = testPrefix()
    const apps: TestApp[] = []
    const connection = new Redis(redisUrl(), { maxRetriesPerRequest: null })
    const queue = new Queue('expiry', { connection, prefix: `${keyPrefix}bull` })
    onTestFinished(async () => {
      for (const app of apps) await app.close()
      await queue.close()
      connection.disconnect()
      await deleteKeys(keyPrefix)
    })
    for (let i = 0; i < 2; i++) apps.push(await buildTestApp('redis', { keyPrefix, env: { EXPIRY_SWEEP_MS: '250' } }))
    expect((await queue.getJobSchedulers()).map((s) => [s.key, s.name, s.every])).toEqual([[SWEEP_JOB, SWEEP_JOB, 250]])
    await create(apps[0]!)
    await create(apps[1]!, '08011112222')
    // The barrier: the schedule has run twice more since the creates.
    const afterCreates = Date.now()
    await waitUntil(async () => ((await queue.getJobSchedulers())[0]?.next ?? 0) > afterCreates + 500, 5000, 'two more sweeps')
    const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed'])
    expect(new Set(jobs.map((j) => j.name))).toEqual(new Set([SWEEP_JOB]))
    expect(await queue.getJobCounts('failed')).toEqual({ failed: 0 })
  })
})
