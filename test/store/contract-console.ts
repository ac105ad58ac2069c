import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { HOUR_MS, HOURLY_HOURS, type AdminSession, type Store } from '../../src/store/types.js'

// The store contract's cases for the operations console (http/admin/console.ts): the per-hour
// call counters behind its chart and the sessions its sign-in keeps. Run from storeContract
// (contract.ts) with its harness, so every store runs them unchanged.

interface Harness {
  store: Store
  advance(ms: number): Promise<void>
}

const POOL = ['+81120000001', '+81120000002', '+81120000003'] as const
const [N1, N2] = POOL
const CALLER = '+819012345678'
const callSid = (): string => `CA${randomUUID().replace(/-/g, '')}`

export function consoleContract(harness: () => Promise<Harness>): void {
  describe('hourlyCalls', () => {
    it('hourlyCalls — every call counts in its hour, the call that verified also as verified; current hour last', async () => {
      const { store } = await harness()
      const before = await store.now()
      const v = (await store.createVerification({
        id: `vf_${randomUUID()}`, tenant: 'bank-a', phoneNumber: CALLER, pollTokenHash: 'ab'.repeat(32), windowMs: 120_000, random: 0.5,
      })).verification
      const to = v.verificationNumber
      const sid = callSid()
      expect((await store.recordCall({ callSid: sid, from: CALLER, to })).outcome).toBe('verified')
      expect((await store.recordCall({ callSid: sid, from: CALLER, to })).outcome).toBe('duplicate')
      expect((await store.recordCall({ callSid: callSid(), from: CALLER, to })).outcome).toBe('repeat')
      await store.recordCall({ callSid: callSid(), from: '+818011112222', to })
      await store.recordWithheldCall(to, callSid())
      await store.recordCall({ callSid: callSid(), from: CALLER, to: '+81120999999' })
      const after = await store.now()

      const { firstHour, numbers } = await store.hourlyCalls(HOURLY_HOURS)
      const lastHour = firstHour + (HOURLY_HOURS - 1) * HOUR_MS
      // The store's clock decides the hour; the calls happened between `before` and `after`.
      expect(lastHour).toBeLessThanOrEqual(after)
      expect(lastHour + HOUR_MS).toBeGreaterThan(before)
      // The hour the calls fell in: the current one, or the one before if an hour began since.
      const hourOfCalls = Math.floor(before / HOUR_MS) * HOUR_MS
      const at = (hourOfCalls - firstHour) / HOUR_MS
      expect(at === HOURLY_HOURS - 1 || at === HOURLY_HOURS - 2).toBe(true)
      expect(numbers.map((n) => n.e164)).toEqual([...POOL])
      for (const n of numbers) {
        expect(n.calls).toHaveLength(HOURLY_HOURS)
        expect(n.verified).toHaveLength(HOURLY_HOURS)
        const expected = n.e164 === to ? { calls: 4, verified: 1 } : { calls: 0, verified: 0 }
        expect({ calls: n.calls[at], verified: n.verified[at] }).toEqual(expected)
        expect(n.calls.filter((_, i) => i !== at).every((c) => c === 0) && n.verified.filter((_, i) => i !== at).every((c) => c === 0)).toBe(true)
      }
    })

    it('hourlyCalls — a retired number counts nothing; fewer hours asked, fewer answered', async () => {
      const { store } = await harness()
      await store.updateNumber(N2, { state: 'retired' })
      await store.recordCall({ callSid: callSid(), from: CALLER, to: N2 })
      await store.recordWithheldCall(N1, callSid())
      const { numbers } = await store.hourlyCalls(3)
      expect(numbers.find((n) => n.e164 === N1)).toEqual({ e164: N1, calls: [0, 0, 1], verified: [0, 0, 0] })
      expect(numbers.find((n) => n.e164 === N2)).toEqual({ e164: N2, calls: [0, 0, 0], verified: [0, 0, 0] })
      expect((await store.hourlyCalls(1000)).numbers[0]!.calls).toHaveLength(HOURLY_HOURS)
    })
  })

  describe('sessions', () => {
    it('sessions — put, read and delete under a digest; another digest reads nothing', async () => {
      const { store } = await harness()
      const now = await store.now()
      const session: AdminSession = { admin: 'alice', csrfToken: 'csrf-1', tokenMac: 'm1', createdAt: now, expiresAt: now + 60_000 }
      await store.putSession('d1', session)
      expect(await store.getSession('d1')).toEqual(session)
      expect(await store.getSession('d2')).toBeNull()
      await store.deleteSession('d1')
      expect(await store.getSession('d1')).toBeNull()
    })

    it('sessions — gone once past expiresAt', async () => {
      const { store, advance } = await harness()
      const now = await store.now()
      await store.putSession('short', { admin: 'alice', csrfToken: 'c', tokenMac: 'm', createdAt: now, expiresAt: now + 300 })
      await store.putSession('long', { admin: 'bob', csrfToken: 'c', tokenMac: 'm', createdAt: now, expiresAt: now + 60_000 })
      expect((await store.getSession('short'))?.admin).toBe('alice')
      await advance(400)
      expect(await store.getSession('short')).toBeNull()
      expect((await store.getSession('long'))?.admin).toBe('bob')
    })
  })
}
