import { afterEach, describe, expect, it } from 'vitest'
import type { VerificationStatus } from '../../src/domain/verification.js'
import { expiryHandler } from '../../src/jobs/expiry.js'
import { Postpone } from '../../src/jobs/queue.js'
import { API_KEY, bearer, buildTestApp, type TestApp } from '../support/app.js'
import { waitUntil } from './support/receiver.js'

// R3 as an event, and the race it brings: a confirm at the window edge against the expiry
// job. Both are atomic store steps (Lua on Redis), so exactly one of them wins.

const sleepUntil = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())))

describe('expiry job (Redis)', () => {
  let t: TestApp
  afterEach(async () => t?.close())

  it('expiry — the job expires a window nobody polls, and the store publishes it once', async () => {
    t = await buildTestApp('redis', { env: { WINDOW_SECONDS: '1' } })
    const events: VerificationStatus[] = []
    t.store.onStatus((e) => events.push(e.status))
    const v = (await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: '09012345678' } })).json()
    await waitUntil(() => events.includes('expired'), 3000, 'expired event')
    expect(events).toEqual(['expired'])
    expect((await t.store.getLock('demo', '+819012345678')).failures).toBe(1)
    expect((await t.app.inject({ url: `/v1/verifications/${v.id}`, headers: bearer(API_KEY) })).json().status).toBe('expired')
  })

  it('expiry — a confirm racing the job at the window edge: confirmed (no expired event) or expired (confirm 410), never both', async () => {
    t = await buildTestApp('redis', { env: { WINDOW_SECONDS: '1' } })
    const seen = new Map<string, VerificationStatus[]>()
    t.store.onStatus((e) => seen.set(e.id, [...(seen.get(e.id) ?? []), e.status]))
    const runJob = expiryHandler(t.app.store)
    // Far before and after the edge (certain outcomes), and densely around it (the race).
    const offsets = [-150, -8, -4, -2, -1, 0, 0, 1, 2, 4, 8, 150]
    const rounds = await Promise.all(offsets.map(async (offset, i) => {
      const created = await t.app.inject({ method: 'POST', url: '/v1/verifications', headers: bearer(API_KEY), payload: { phoneNumber: `0901234${String(5600 + i)}` } })
      const v = created.json()
      const call = await t.store.recordCall({ callSid: `CA${String(i).padStart(32, '7')}`, from: `+81901234${String(5600 + i)}`, to: v.verificationNumber.e164 })
      expect(call.outcome).toBe('verified')
      const storeNow = await t.store.now()
      await sleepUntil(Date.now() + (Date.parse(v.expiresAt) - storeNow) + offset)
      const [confirm] = await Promise.all([
        t.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/confirm`, headers: bearer(API_KEY) }),
        runJob({ id: v.id }, { id: `expire.${v.id}`, name: 'expire', attempt: 1, attempts: 1 }).catch((e: unknown) => {
          if (!(e instanceof Postpone)) throw e // not yet due by the store's clock: the job would come back
        }),
      ])
      return { id: v.id as string, confirm: confirm.statusCode }
    }))
    await new Promise((r) => setTimeout(r, 600)) // the real expiry jobs (window + 250 ms) run too
    for (const { id, confirm } of rounds) {
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
    const outcomes = new Set(rounds.map((r) => r.confirm))
    expect(outcomes).toEqual(new Set([200, 410]))
  })
})
