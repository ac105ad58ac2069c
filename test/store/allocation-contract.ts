import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { CreateVerificationInput, Store } from '../../src/store/types.js'

// The store contract's statistical cases for R2 (called from contract.ts storeContract): the
// weighted choice against its weights, the caller's own numbers left out, and pool changes
// reaching allocation at once. Randoms come from a seeded generator, so a case reproduces
// exactly; the chi-square bound is the 0.1 % point of its distribution.

type Harness = () => Promise<{ store: Store }>

const POOL = ['+81120000001', '+81120000002', '+81120000003', '+81120000004'] as const
const [N1, N2, N3, N4] = POOL
const CALLER = '+819012345678'
/** The chi-square distribution's upper 0.1 % points for 1 and 3 degrees of freedom. */
const CHI_SQUARE_999 = { 1: 10.828, 3: 16.266 } as const

/** mulberry32: a small seeded generator of uniforms in [0, 1). */
function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function chiSquare(observed: readonly number[], weights: readonly number[]): number {
  const n = observed.reduce((a, b) => a + b, 0)
  const total = weights.reduce((a, b) => a + b, 0)
  return observed.reduce((sum, o, i) => {
    const expected = (n * weights[i]!) / total
    return sum + (o - expected) ** 2 / expected
  }, 0)
}

const phone = (i: number): string => `+8170${String(i).padStart(8, '0')}`

export function allocationContract(harness: Harness): void {
  describe('allocation — distribution (R2)', () => {
    const input = (over: Partial<CreateVerificationInput>): CreateVerificationInput => ({
      id: `vf_${randomUUID()}`, tenant: 'bank-a', phoneNumber: CALLER, pollTokenHash: 'ab'.repeat(32), windowMs: 120_000, random: 0, ...over,
    })
    const numberOf = async (store: Store, over: Partial<CreateVerificationInput>): Promise<string> =>
      (await store.createVerification(input(over))).verification.verificationNumber

    function tally(numbers: readonly string[]): number[] {
      return POOL.map((n) => numbers.filter((got) => got === n).length)
    }

    /** Four numbers of weights 1, 2, 3, 4. */
    async function weighted(): Promise<Store> {
      const { store } = await harness()
      await store.addNumber({ e164: N4, weight: 4 })
      await store.updateNumber(N2, { weight: 2 })
      await store.updateNumber(N3, { weight: 3 })
      return store
    }

    it('allocation — 4,000 creates over weights 1:2:3:4 pass a chi-square test against the weights (α = 0.1 %)', async () => {
      const store = await weighted()
      const random = seeded(20)
      const got: string[] = []
      // In batches: 4,000 at once would queue past the store's command timeout on a busy machine.
      for (let batch = 0; batch < 40; batch++) {
        const randoms = Array.from({ length: 100 }, random)
        got.push(...(await Promise.all(randoms.map((r, i) => numberOf(store, { phoneNumber: phone(batch * 100 + i), random: r })))))
      }
      const observed = tally(got)
      expect(observed.every((o) => o > 0)).toBe(true)
      expect(chiSquare(observed, [1, 2, 3, 4])).toBeLessThan(CHI_SQUARE_999[3])
    })

    it('allocation — a caller holding two numbers gets the other two at 1:4 (chi-square, α = 0.1 %), never its own', async () => {
      const store = await weighted()
      // Hold N2 and N3 (in another tenant each) by leaving each alone in allocation for one create.
      for (const [tenant, held] of [['held-2', N2], ['held-3', N3]] as const) {
        for (const n of POOL) if (n !== held) await store.updateNumber(n, { state: 'draining' })
        expect(await numberOf(store, { tenant })).toBe(held)
        for (const n of POOL) await store.updateNumber(n, { state: 'active' })
      }
      const random = seeded(21)
      // One tenant again and again: each create supersedes the one before it, which frees its
      // number before allocation, so every create sees N2 and N3 held, whatever the order.
      const got: string[] = []
      for (let batch = 0; batch < 20; batch++) {
        const randoms = Array.from({ length: 50 }, random)
        got.push(...(await Promise.all(randoms.map((r) => numberOf(store, { tenant: 'probe', random: r })))))
      }
      const [n1, n2, n3, n4] = tally(got)
      expect([n2, n3]).toEqual([0, 0])
      expect(n1! + n4!).toBe(1000)
      expect(chiSquare([n1!, n4!], [1, 4])).toBeLessThan(CHI_SQUARE_999[1])
    })

    it('allocation — drain, weight 0, retire and quarantine take a number out at once; a new weight counts at once', async () => {
      const { store } = await harness()
      await store.addNumber({ e164: N4 })
      // Evenly spread points: with equal weights each remaining number gets exactly its share.
      let caller = 0
      const spread = async (n: number): Promise<number[]> =>
        tally(await Promise.all(Array.from({ length: n }, (_, i) => numberOf(store, { phoneNumber: phone(++caller), random: (i + 0.5) / n }))))
      expect(await spread(40)).toEqual([10, 10, 10, 10])
      await store.updateNumber(N1, { state: 'draining' })
      expect(await spread(30)).toEqual([0, 10, 10, 10])
      await store.updateNumber(N2, { weight: 0 })
      expect(await spread(20)).toEqual([0, 0, 10, 10])
      await store.updateNumber(N3, { state: 'retired' })
      expect(await spread(10)).toEqual([0, 0, 0, 10])
      await store.updateNumber(N1, { state: 'active', weight: 3 })
      expect(await spread(40)).toEqual([30, 0, 0, 10])
      await store.recordCallStatus({ callSid: `CA${randomUUID().replace(/-/g, '')}`, to: N4, status: 'completed', durationSeconds: 2 })
      expect(await spread(10)).toEqual([10, 0, 0, 0])
      await store.addNumber({ e164: '+81120000005', weight: 3 })
      const [first] = await spread(60)
      expect(first).toBe(30)
    })
  })
}
