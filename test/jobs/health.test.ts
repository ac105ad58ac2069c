import { randomUUID } from 'node:crypto'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { isSilentNumber as isSilent } from '../../src/domain/pool.js'
import { HEALTH_QUEUE } from '../../src/jobs/health.js'
import type { Store } from '../../src/store/types.js'
import { ADMIN_TOKEN, STORE_KINDS, bearer, buildTestApp, type TestApp } from '../support/app.js'
import { deleteKeys, redisUrl, testPrefix } from '../support/redis.js'

// The pool health job: the rule, the store's atomic mark, a run on both stores, and its
// scheduling (a timer in memory mode, one BullMQ job scheduler in Redis mode).

const [N1, N2, N3] = ['+81120000001', '+81120000002', '+81120000003']

describe('isSilent — the rule', () => {
  const n = (over: Partial<Parameters<typeof isSilent>[0]>) => ({ state: 'active' as const, health: 'ok' as const, allocationsSinceCall: 0, ...over })
  it.each([
    [{ allocationsSinceCall: 19 }, false],
    [{ allocationsSinceCall: 20 }, true],
    [{ allocationsSinceCall: 50, state: 'draining' as const }, true],
    [{ allocationsSinceCall: 50, state: 'retired' as const }, false],
    [{ allocationsSinceCall: 50, health: 'silent' as const }, false],
    [{ allocationsSinceCall: 50, health: 'answered' as const }, false],
  ])('isSilent — %j with HEALTH_SILENT_AFTER 20 → %s', (over, expected) => {
    expect(isSilent(n(over), 20)).toBe(expected)
  })
})

/** Hands N1 out `count` times (the others drained), each to a different caller. */
async function allocateN1(store: Store, count: number): Promise<void> {
  await store.updateNumber(N2, { state: 'draining' })
  await store.updateNumber(N3, { state: 'draining' })
  for (let i = 0; i < count; i++) {
    await store.createVerification({ id: `vf_${randomUUID()}`, tenant: 'demo', phoneNumber: `+8190${String(10_000_000 + i)}`, pollTokenHash: 'ab'.repeat(32), windowMs: 120_000, random: 0.5 })
  }
}

for (const kind of STORE_KINDS) {
  describe(`pool health on the ${kind} store`, () => {
    let t: TestApp
    afterEach(async () => t?.close())

    it('markSilent — marks only an ok, unretired number at the threshold; a call makes it ok again', async () => {
      t = await buildTestApp(kind, { env: { HEALTH_INTERVAL_SECONDS: '3600' } })
      await allocateN1(t.store, 3)
      expect(await t.store.markSilent(N1, 4)).toBe(false)
      expect(await t.store.markSilent(N2, 0)).toBe(true) // draining, ok, 0 ≥ 0
      expect(await t.store.markSilent(N1, 3)).toBe(true)
      expect(await t.store.markSilent(N1, 3)).toBe(false) // already silent
      await t.store.updateNumber(N3, { state: 'retired' })
      expect(await t.store.markSilent(N3, 0)).toBe(false)
      expect(await t.store.markSilent('+81120000009', 0)).toBe(false)
      await t.store.recordCall({ callSid: `CA${randomUUID()}`, from: '+819011112222', to: N1 })
      expect(await t.store.getNumber(N1)).toMatchObject({ health: 'ok', allocationsSinceCall: 0 })
    })

    it('run — marks a number silent after HEALTH_SILENT_AFTER allocations without a call, and shows it', async () => {
      t = await buildTestApp(kind, { env: { HEALTH_SILENT_AFTER: '3', HEALTH_INTERVAL_SECONDS: '3600' } })
      await allocateN1(t.store, 2)
      expect(await t.app.poolHealth.run()).toEqual({ silent: [], answered: [] })
      await allocateN1(t.store, 1)
      expect(await t.app.poolHealth.run()).toEqual({ silent: [N1], answered: [] })
      expect(await t.app.poolHealth.run()).toEqual({ silent: [], answered: [] }) // marked once
      const numbers = (await t.app.inject({ url: '/admin/numbers', headers: bearer(ADMIN_TOKEN) })).json().numbers
      expect(numbers[0]).toMatchObject({ e164: N1, health: 'silent', state: 'active', allocationsSinceCall: 3 })
      const metrics = (await t.app.inject({ url: '/metrics', headers: bearer(ADMIN_TOKEN) })).body
      expect(metrics).toContain(`callverify_pool_number_health{number="${N1}",carrier="twilio",health="silent",state="active"} 1`)
      expect(metrics).toContain(`callverify_pool_number_health{number="${N2}",carrier="twilio",health="ok",state="draining"} 1`)
    })

    it('run — reports a number that answered a call (quarantined by the status webhook) until it is retired', async () => {
      t = await buildTestApp(kind, { env: { HEALTH_INTERVAL_SECONDS: '3600' } })
      await t.store.recordCallStatus({ callSid: 'CA1', to: N2, status: 'completed', durationSeconds: 4 })
      expect(await t.app.poolHealth.run()).toEqual({ silent: [], answered: [N2] })
      expect((await t.app.inject({ url: '/metrics', headers: bearer(ADMIN_TOKEN) })).body).toContain(`callverify_pool_number_health{number="${N2}",carrier="twilio",health="answered",state="quarantined"} 1`)
      await t.store.updateNumber(N2, { state: 'retired' })
      expect((await t.app.poolHealth.run()).answered).toEqual([])
    })
  })
}

describe('pool health scheduling', () => {
  let t: TestApp | undefined
  const extra: TestApp[] = []
  afterEach(async () => {
    await Promise.all([t, ...extra.splice(0)].map((x) => x?.close()))
    t = undefined
  })

  it('memory — an unref\'d timer runs the check every HEALTH_INTERVAL_SECONDS', async () => {
    t = await buildTestApp('memory', { env: { HEALTH_SILENT_AFTER: '2', HEALTH_INTERVAL_SECONDS: '1' } })
    await allocateN1(t.store, 2)
    await vi.waitFor(async () => expect((await t!.store.getNumber(N1))?.health).toBe('silent'), { timeout: 3000, interval: 100 })
  })

  it('redis — one BullMQ job scheduler per deployment runs the check and marks the silent number', async () => {
    const keyPrefix = testPrefix()
    const env = { HEALTH_SILENT_AFTER: '2', HEALTH_INTERVAL_SECONDS: '1' }
    try {
      t = await buildTestApp('redis', { keyPrefix, env })
      extra.push(await buildTestApp('redis', { keyPrefix, env })) // a second instance of the same deployment
      await allocateN1(t.store, 2)
      await vi.waitFor(async () => expect((await t!.store.getNumber(N1))?.health).toBe('silent'), { timeout: 5000, interval: 100 })
      const connection = new Redis(redisUrl(), { maxRetriesPerRequest: null })
      const queue = new Queue(HEALTH_QUEUE, { connection, prefix: `${keyPrefix}bull` })
      const schedulers = await queue.getJobSchedulers()
      expect(schedulers).toHaveLength(1)
      expect(schedulers[0]).toMatchObject({ key: 'pool-health', every: 1000 })
      await queue.close()
      connection.disconnect()
    } finally {
      await Promise.all([t, ...extra.splice(0)].map((x) => x?.close()))
      t = undefined
      await deleteKeys(keyPrefix)
    }
  })
})
