import { randomUUID } from 'node:crypto'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { CallverifyError, type ErrorCode } from '../../src/domain/errors.js'
import { nextJapanMidnight } from '../../src/domain/japan.js'
import type { Verification } from '../../src/domain/verification.js'
import type { CreateVerificationInput, NumberState, StatusEvent, Store } from '../../src/store/types.js'
import { allocationContract } from './allocation-contract.js'
import { consoleContract } from './contract-console.js'

// The one store contract suite (in the manner of better-auth's testAdapter): every store runs
// these cases unchanged. Time is the harness's: memory moves an injected clock, Redis really
// waits, so only the window-edge and expiry cases use short windows and advance past them.

export interface StoreHarness {
  store: Store
  /** Moves the store's clock forward (memory) or waits that long (Redis). */
  advance(ms: number): Promise<void>
  cleanup(): Promise<void>
}

export interface HarnessOptions {
  lockAfterFailures: number
  retentionMs: number
  /** The window this case's verifications use: a factory that must wait may size its waits by it. */
  windowMs: number
}

export type StoreFactory = (options: HarnessOptions) => Promise<StoreHarness>

const POOL = ['+81120000001', '+81120000002', '+81120000003'] as const
const [N1, N2, N3] = POOL
const CALLER = '+819012345678'
const OTHER_CALLER = '+818011112222'
const LONG = 120_000
/** Expiry cases: short enough that Redis waits little, long enough to act inside it first. */
const SHORT = 500
const PAST_SHORT = SHORT + 100
/** The window-edge case: act at 80 % and 120 % of it. */
const EDGE = 1000

const callSid = (): string => `CA${randomUUID().replace(/-/g, '')}`
const phone = (i: number): string => `+8190${String(i).padStart(8, '0')}`

/** Awaits a refusal and checks it is the contract's error with this code. */
async function refusal(promise: Promise<unknown>, code: ErrorCode): Promise<CallverifyError> {
  let outcome: unknown
  try {
    outcome = await promise
  } catch (error) {
    expect(error).toBeInstanceOf(CallverifyError)
    expect((error as CallverifyError).code).toBe(code)
    return error as CallverifyError
  }
  throw new Error(`expected ${code}, got ${JSON.stringify(outcome)}`)
}

export function storeContract(name: string, factory: StoreFactory): void {
  describe(`store contract — ${name}`, () => {
    async function harness(options: Partial<HarnessOptions> = {}): Promise<StoreHarness> {
      const h = await factory({ lockAfterFailures: 5, retentionMs: 3_600_000, windowMs: LONG, ...options })
      onTestFinished(() => h.cleanup())
      await h.store.ensurePoolNumbers(POOL)
      return h
    }

    function input(over: Partial<CreateVerificationInput> = {}): CreateVerificationInput {
      return {
        id: `vf_${randomUUID()}`, tenant: 'bank-a', phoneNumber: CALLER, pollTokenHash: 'ab'.repeat(32),
        windowMs: LONG, random: Math.random(), ...over,
      }
    }

    async function create(store: Store, over: Partial<CreateVerificationInput> = {}): Promise<Verification> {
      return (await store.createVerification(input(over))).verification
    }

    async function get(store: Store, id: string): Promise<Verification> {
      const found = await store.getVerification(id)
      if (!found) throw new Error(`verification ${id} not found`)
      return found.verification
    }

    /** Leaves only `e164` allocatable, so a case knows which number it gets. */
    async function onlyActive(store: Store, e164: string): Promise<void> {
      for (const n of POOL) if (n !== e164) await store.updateNumber(n, { state: 'draining' })
    }

    async function verified(store: Store, over: Partial<CreateVerificationInput> = {}): Promise<Verification> {
      const v = await create(store, over)
      const call = await store.recordCall({ callSid: callSid(), from: over.phoneNumber ?? CALLER, to: v.verificationNumber })
      expect(call.outcome).toBe('verified')
      return get(store, v.id)
    }

    describe('createVerification', () => {
      it('createVerification — opens a pending verification on a pool number, window judged by the store clock', async () => {
        const { store } = await harness()
        const before = await store.now()
        const outcome = await store.createVerification(input({ id: 'vf_first', tenant: 'bank-a', reference: 'ref-1', callbackUrl: 'https://bank.example/cb' }))
        const after = await store.now()
        const v = outcome.verification
        expect(v).toMatchObject({
          id: 'vf_first', tenant: 'bank-a', phoneMasked: '*******5678', status: 'pending', calls: 0,
          pollTokenHash: 'ab'.repeat(32), reference: 'ref-1', callbackUrl: 'https://bank.example/cb',
        })
        expect(POOL).toContain(v.verificationNumber)
        expect(v.createdAt).toBe(outcome.now)
        expect(v.createdAt).toBeGreaterThanOrEqual(before)
        expect(v.createdAt).toBeLessThanOrEqual(after)
        expect(v.expiresAt - v.createdAt).toBe(LONG)
        expect(v.verifiedAt).toBeUndefined()
        expect(outcome.changed).toEqual([])
        expect(await get(store, v.id)).toEqual(v)
      })

      it('createVerification — 50 concurrent creates for one tenant and number leave one pending and 49 superseded', async () => {
        const { store } = await harness({ lockAfterFailures: 1000 })
        const ids = Array.from({ length: 50 }, () => `vf_${randomUUID()}`)
        await Promise.all(ids.map((id) => store.createVerification(input({ id }))))
        const all = await Promise.all(ids.map((id) => get(store, id)))
        const pending = all.filter((v) => v.status === 'pending')
        const cancelled = all.filter((v) => v.status === 'cancelled' && v.cancelReason === 'superseded')
        expect(pending).toHaveLength(1)
        expect(cancelled).toHaveLength(49)
        const open = (await store.listNumbers()).reduce((sum, n) => sum + n.pending, 0)
        expect(open).toBe(1)
        const call = await store.recordCall({ callSid: callSid(), from: CALLER, to: pending[0]!.verificationNumber })
        expect(call.outcome).toBe('verified')
        expect(call.changed.map((c) => c.id)).toEqual([pending[0]!.id])
      })

      it('createVerification — supersedes the older open one of the same tenant and number, reported in changed', async () => {
        const { store } = await harness()
        const older = await create(store)
        const otherTenant = await create(store, { tenant: 'bank-b' })
        const outcome = await store.createVerification(input())
        expect(outcome.changed).toHaveLength(1)
        expect(outcome.changed[0]).toMatchObject({ id: older.id, status: 'cancelled', cancelReason: 'superseded', cancelledAt: outcome.now })
        expect(await get(store, older.id)).toMatchObject({ status: 'cancelled', cancelReason: 'superseded' })
        expect((await get(store, otherTenant.id)).status).toBe('pending')
      })

      it('createVerification — a reference holding separators and control characters reads back whole and changes nothing else', async () => {
        const { store } = await harness()
        // What a reply format joined by a separator could take for fields of its own.
        const reference = 'a\x1fstatus\x1fverified\x1f\u0000\n|,"}\x1f'
        const v = await create(store, { reference, callbackUrl: 'https://bank.example/cb?a=1' })
        const read = await get(store, v.id)
        expect(read).toEqual(v)
        expect(read).toMatchObject({ reference, status: 'pending', callbackUrl: 'https://bank.example/cb?a=1' })
      })

      it('createVerification — an empty reference or callbackUrl is stored as none', async () => {
        const { store } = await harness()
        const v = await create(store, { reference: '', callbackUrl: '' })
        for (const read of [v, await get(store, v.id)]) {
          expect(read.reference).toBeUndefined()
          expect(read.callbackUrl).toBeUndefined()
        }
      })
    })

    describe('allocation', () => {
      it('allocation — spreads over every active number', async () => {
        const { store } = await harness()
        const all = await Promise.all(Array.from({ length: 300 }, (_, i) => create(store, { phoneNumber: phone(i) })))
        const counts = new Map<string, number>()
        for (const v of all) counts.set(v.verificationNumber, (counts.get(v.verificationNumber) ?? 0) + 1)
        expect([...counts.keys()].sort()).toEqual([...POOL])
        // 100 expected each; 50 is more than six standard deviations away.
        for (const n of POOL) expect(counts.get(n)).toBeGreaterThanOrEqual(50)
      })

      it('allocation — weight 3 against weight 1 gets between 60 % and 90 %', async () => {
        const { store } = await harness()
        await store.updateNumber(N1, { weight: 3 })
        await store.updateNumber(N3, { state: 'draining' })
        const all = await Promise.all(Array.from({ length: 300 }, (_, i) => create(store, { phoneNumber: phone(i) })))
        const heavy = all.filter((v) => v.verificationNumber === N1).length / all.length
        expect(all.every((v) => v.verificationNumber === N1 || v.verificationNumber === N2)).toBe(true)
        expect(heavy).toBeGreaterThan(0.6)
        expect(heavy).toBeLessThan(0.9)
      })

      it('allocation — never hands out a draining, quarantined or retired number', async () => {
        const { store } = await harness()
        await store.addNumber({ e164: '+81120000004' })
        await store.updateNumber(N1, { state: 'draining' })
        await store.updateNumber(N2, { state: 'quarantined' })
        await store.updateNumber(N3, { state: 'retired' })
        const all = await Promise.all(
          [0, 0.25, 0.5, 0.75, 0.999999].flatMap((random, j) => Array.from({ length: 10 }, (_, i) => create(store, { phoneNumber: phone(j * 10 + i), random }))),
        )
        expect(new Set(all.map((v) => v.verificationNumber))).toEqual(new Set(['+81120000004']))
      })

      it('allocation — never hands out a number of weight 0; only weight 0 left → POOL_EXHAUSTED', async () => {
        const { store } = await harness()
        await store.updateNumber(N1, { weight: 0 })
        await store.updateNumber(N3, { weight: 0 })
        const all = await Promise.all([0, 0.3, 0.6, 0.999999].map((random, i) => create(store, { phoneNumber: phone(i), random })))
        expect(all.map((v) => v.verificationNumber)).toEqual([N2, N2, N2, N2])
        await store.updateNumber(N2, { weight: 0 })
        const error = await refusal(store.createVerification(input({ phoneNumber: phone(9) })), 'POOL_EXHAUSTED')
        expect(error.status).toBe(503)
      })

      it('allocation — two open verifications of one caller (two tenants) never share a number', async () => {
        const { store } = await harness()
        // random 0 always points at the first candidate: only the exclusion spreads them.
        const a = await create(store, { tenant: 'bank-a', random: 0 })
        const b = await create(store, { tenant: 'bank-b', random: 0 })
        const c = await create(store, { tenant: 'bank-c', random: 0 })
        expect(new Set([a, b, c].map((v) => v.verificationNumber)).size).toBe(3)
        const call = await store.recordCall({ callSid: callSid(), from: CALLER, to: b.verificationNumber })
        expect(call.outcome).toBe('verified')
        expect(call.changed.map((v) => v.id)).toEqual([b.id])
        expect((await get(store, a.id)).status).toBe('pending')
        expect((await get(store, c.id)).status).toBe('pending')
      })

      it('allocation — POOL_EXHAUSTED when every active number is held by this caller, others unaffected', async () => {
        const { store } = await harness()
        const held = await Promise.all(['bank-a', 'bank-b', 'bank-c'].map((tenant) => create(store, { tenant })))
        await refusal(store.createVerification(input({ tenant: 'bank-d' })), 'POOL_EXHAUSTED')
        expect((await create(store, { tenant: 'bank-d', phoneNumber: OTHER_CALLER })).status).toBe('pending')
        await store.cancelVerification(held[1]!.id, 'customer')
        const freed = await create(store, { tenant: 'bank-d' })
        expect(freed.verificationNumber).toBe(held[1]!.verificationNumber)
      })

      it('allocation — a number held by a window that ran out is free again, and no longer pending', async () => {
        const { store, advance } = await harness({ windowMs: SHORT })
        await onlyActive(store, N1)
        await create(store, { tenant: 'bank-a', windowMs: SHORT })
        await refusal(store.createVerification(input({ tenant: 'bank-b' })), 'POOL_EXHAUSTED')
        expect((await store.getNumber(N1))!.pending).toBe(1)
        await advance(PAST_SHORT)
        expect((await store.getNumber(N1))!.pending).toBe(0)
        expect((await create(store, { tenant: 'bank-b' })).verificationNumber).toBe(N1)
      })
    })

    // Superseding counts as a failure (R11): the statistical cases supersede a thousand times.
    allocationContract(() => harness({ lockAfterFailures: 100_000 }))

    describe('recordCall', () => {
      it('recordCall — the registered number calling inside the window verifies at once', async () => {
        const { store } = await harness()
        const v = await create(store)
        const call = await store.recordCall({ callSid: callSid(), from: CALLER, to: v.verificationNumber })
        expect(call.outcome).toBe('verified')
        expect(call.changed).toHaveLength(1)
        expect(call.changed[0]).toMatchObject({ id: v.id, status: 'verified', verifiedAt: call.now, calls: 1 })
        expect(await get(store, v.id)).toMatchObject({ status: 'verified', verifiedAt: call.now, calls: 1 })
      })

      it('recordCall — repeat calls count and stay verified (R7)', async () => {
        const { store } = await harness()
        const v = await verified(store)
        for (const calls of [2, 3]) {
          const call = await store.recordCall({ callSid: callSid(), from: CALLER, to: v.verificationNumber })
          expect(call.outcome).toBe('repeat')
          expect(call.changed).toEqual([])
          expect(await get(store, v.id)).toMatchObject({ status: 'verified', verifiedAt: v.verifiedAt, calls })
        }
      })

      it('recordCall — the same CallSid again changes nothing', async () => {
        const { store } = await harness()
        const v = await create(store)
        const sid = callSid()
        expect((await store.recordCall({ callSid: sid, from: CALLER, to: v.verificationNumber })).outcome).toBe('verified')
        const again = await store.recordCall({ callSid: sid, from: CALLER, to: v.verificationNumber })
        expect(again).toMatchObject({ outcome: 'duplicate', changed: [] })
        expect((await get(store, v.id)).calls).toBe(1)
        expect((await store.getNumber(v.verificationNumber))!.callsToday).toBe(1)
      })

      it('recordCall — a call id counts once per carrier: the same id through another carrier is another call', async () => {
        const { store } = await harness()
        await store.updateNumber(N1, { carrier: 'telnyx' })
        await onlyActive(store, N1)
        const v = await create(store)
        const sid = callSid()
        expect((await store.recordCall({ callSid: sid, from: CALLER, to: N1, carrier: 'telnyx' })).outcome).toBe('verified')
        expect((await store.recordCall({ callSid: sid, from: CALLER, to: N1, carrier: 'telnyx' })).outcome).toBe('duplicate')
        // Twilio's own retry of an id it never sent for this number: a new call, of the wrong carrier.
        expect((await store.recordCall({ callSid: sid, from: CALLER, to: N1, carrier: 'twilio' })).outcome).toBe('wrong-carrier')
        expect((await get(store, v.id)).calls).toBe(1)
      })

      it('recordCall — through another carrier than the number\'s own: wrong-carrier, verifies and counts nothing; nor can its status callback quarantine', async () => {
        const { store } = await harness()
        await store.updateNumber(N1, { carrier: 'plivo' })
        await onlyActive(store, N1)
        const v = await create(store)
        const call = await store.recordCall({ callSid: callSid(), from: CALLER, to: N1 })
        expect(call).toMatchObject({ outcome: 'wrong-carrier', changed: [] })
        await store.recordWithheldCall(N1, callSid(), 'bandwidth')
        expect(await get(store, v.id)).toMatchObject({ status: 'pending', calls: 0 })
        expect((await store.getNumber(N1))!.callsToday).toBe(0)
        await store.recordCallStatus({ callSid: callSid(), to: N1, status: 'completed', durationSeconds: 5, carrier: 'twilio' })
        expect(await store.getNumber(N1)).toMatchObject({ state: 'active', health: 'ok', carrier: 'plivo' })
        expect((await store.recordCall({ callSid: callSid(), from: CALLER, to: N1, carrier: 'plivo' })).outcome).toBe('verified')
      })

      it('recordCall — the attestation is kept on the verification it verifies; a refusing tenant is not verified', async () => {
        const { store } = await harness()
        const v = await create(store)
        const refused = await store.recordCall({ callSid: callSid(), from: CALLER, to: v.verificationNumber, attestation: { result: 'failed' }, refusingTenants: ['bank-z', 'bank-a'] })
        expect(refused).toMatchObject({ outcome: 'attestation-refused', changed: [] })
        expect(await get(store, v.id)).toMatchObject({ status: 'pending', calls: 0 })
        const call = await store.recordCall({ callSid: callSid(), from: CALLER, to: v.verificationNumber, attestation: { result: 'passed', level: 'B' }, refusingTenants: ['bank-b'] })
        expect(call.outcome).toBe('verified')
        expect(call.changed[0]?.callerAttestation).toEqual({ result: 'passed', level: 'B' })
        expect((await get(store, v.id)).callerAttestation).toEqual({ result: 'passed', level: 'B' })
        // A later call's attestation does not rewrite the one that verified.
        await store.recordCall({ callSid: callSid(), from: CALLER, to: v.verificationNumber, attestation: { result: 'failed' } })
        expect((await get(store, v.id)).callerAttestation).toEqual({ result: 'passed', level: 'B' })
      })

      it('recordCall — without an attestation the verification has none (unknown, never failed)', async () => {
        const { store } = await harness()
        const v = await verified(store)
        expect(v.callerAttestation).toBeUndefined()
      })

      it('recordCall — another caller is unmatched and verifies nothing', async () => {
        const { store } = await harness()
        const v = await create(store)
        const call = await store.recordCall({ callSid: callSid(), from: OTHER_CALLER, to: v.verificationNumber })
        expect(call).toMatchObject({ outcome: 'unmatched', changed: [] })
        expect(await get(store, v.id)).toMatchObject({ status: 'pending', calls: 0 })
      })

      it('recordCall — calling another pool number than the one handed out is unmatched', async () => {
        const { store } = await harness()
        const v = await create(store)
        const other = POOL.find((n) => n !== v.verificationNumber)!
        expect((await store.recordCall({ callSid: callSid(), from: CALLER, to: other })).outcome).toBe('unmatched')
        expect((await get(store, v.id)).status).toBe('pending')
      })

      it('recordCall — a To that is not a pool number is unknown-number', async () => {
        const { store } = await harness()
        await create(store)
        expect((await store.recordCall({ callSid: callSid(), from: CALLER, to: '+81120999999' })).outcome).toBe('unknown-number')
      })

      it('recordCall — a retired number is unknown-number and verifies nothing', async () => {
        const { store } = await harness()
        const v = await create(store)
        await store.updateNumber(v.verificationNumber, { state: 'retired' })
        expect((await store.recordCall({ callSid: callSid(), from: CALLER, to: v.verificationNumber })).outcome).toBe('unknown-number')
        expect((await get(store, v.id)).status).toBe('pending')
      })

      it.each(['draining', 'quarantined'] as const)('recordCall — a %s number still verifies its open windows', async (state: NumberState) => {
        const { store } = await harness()
        const v = await create(store)
        await store.updateNumber(v.verificationNumber, { state })
        expect((await store.recordCall({ callSid: callSid(), from: CALLER, to: v.verificationNumber })).outcome).toBe('verified')
        expect((await get(store, v.id)).status).toBe('verified')
      })

      it('recordCall — after the window is expired and expires the verification', async () => {
        const { store, advance } = await harness({ windowMs: SHORT })
        const v = await create(store, { windowMs: SHORT })
        await advance(PAST_SHORT)
        const call = await store.recordCall({ callSid: callSid(), from: CALLER, to: v.verificationNumber })
        expect(call.outcome).toBe('expired')
        expect(call.changed).toMatchObject([{ id: v.id, status: 'expired' }])
        expect(await get(store, v.id)).toMatchObject({ status: 'expired', calls: 0 })
        expect((await store.recordCall({ callSid: callSid(), from: CALLER, to: v.verificationNumber })).changed).toEqual([])
      })

      it('recordCall — a cancelled verification is unmatched', async () => {
        const { store } = await harness()
        const v = await create(store)
        await store.cancelVerification(v.id, 'customer')
        expect((await store.recordCall({ callSid: callSid(), from: CALLER, to: v.verificationNumber })).outcome).toBe('unmatched')
        expect(await get(store, v.id)).toMatchObject({ status: 'cancelled', calls: 0 })
      })

      it('recordCall — window edge: a call at 80 % of the window verifies, at 120 % it is expired', async () => {
        const { store, advance } = await harness({ windowMs: EDGE })
        const early = await create(store, { windowMs: EDGE })
        const late = await create(store, { windowMs: EDGE, phoneNumber: OTHER_CALLER })
        await advance(EDGE * 0.8)
        expect((await get(store, early.id)).status).toBe('pending')
        expect((await store.recordCall({ callSid: callSid(), from: CALLER, to: early.verificationNumber })).outcome).toBe('verified')
        await advance(EDGE * 0.4)
        expect((await store.recordCall({ callSid: callSid(), from: OTHER_CALLER, to: late.verificationNumber })).outcome).toBe('expired')
        expect((await get(store, late.id)).status).toBe('expired')
        expect((await get(store, early.id)).status).toBe('expired')
      })

      it('recordWithheldCall — counted in callsToday and lastCallAt, matches nothing, once per CallSid', async () => {
        const { store } = await harness()
        const v = await create(store)
        const sid = callSid()
        await store.recordWithheldCall(v.verificationNumber, sid)
        await store.recordWithheldCall(v.verificationNumber, sid)
        await store.recordWithheldCall('+81120999999', callSid())
        const n = (await store.getNumber(v.verificationNumber))!
        expect(n.callsToday).toBe(1)
        expect(n.lastCallAt).toEqual(expect.any(Number))
        expect(await get(store, v.id)).toMatchObject({ status: 'pending', calls: 0 })
      })
    })

    describe('confirmVerification', () => {
      it('confirmVerification — pending → VERIFICATION_PENDING, and pressing again after the call confirms (R9)', async () => {
        const { store } = await harness()
        const v = await create(store)
        await refusal(store.confirmVerification(v.id, 'bank-a'), 'VERIFICATION_PENDING')
        expect((await get(store, v.id)).status).toBe('pending')
        await store.recordCall({ callSid: callSid(), from: CALLER, to: v.verificationNumber })
        expect((await store.confirmVerification(v.id, 'bank-a')).verification.status).toBe('confirmed')
      })

      it('confirmVerification — verified → confirmed with confirmedAt', async () => {
        const { store } = await harness()
        const v = await verified(store)
        const outcome = await store.confirmVerification(v.id, 'bank-a')
        expect(outcome.verification).toMatchObject({ status: 'confirmed', confirmedAt: outcome.now, verifiedAt: v.verifiedAt, calls: 1 })
        expect(outcome.changed).toMatchObject([{ id: v.id, status: 'confirmed' }])
        expect(await get(store, v.id)).toEqual(outcome.verification)
      })

      it('confirmVerification — confirmed again answers the same and changes nothing', async () => {
        const { store } = await harness()
        const v = await verified(store)
        const first = await store.confirmVerification(v.id, 'bank-a')
        const again = await store.confirmVerification(v.id, 'bank-a')
        expect(again.verification).toEqual(first.verification)
        expect(again.changed).toEqual([])
      })

      it('confirmVerification — after the window → VERIFICATION_EXPIRED and the verification is expired', async () => {
        const { store, advance } = await harness({ windowMs: SHORT })
        const v = await verified(store, { windowMs: SHORT })
        await advance(PAST_SHORT)
        const error = await refusal(store.confirmVerification(v.id, 'bank-a'), 'VERIFICATION_EXPIRED')
        expect(error.status).toBe(410)
        expect((await store.getVerification(v.id))!).toMatchObject({ verification: { status: 'expired' }, changed: [] })
      })

      it('confirmVerification — cancelled → VERIFICATION_CANCELLED', async () => {
        const { store } = await harness()
        const v = await verified(store)
        await store.cancelVerification(v.id, 'customer')
        await refusal(store.confirmVerification(v.id, 'bank-a'), 'VERIFICATION_CANCELLED')
        expect((await get(store, v.id)).status).toBe('cancelled')
      })

      it('confirmVerification — another tenant or an unknown id → NOT_FOUND', async () => {
        const { store } = await harness()
        const v = await verified(store)
        await refusal(store.confirmVerification(v.id, 'bank-b'), 'NOT_FOUND')
        await refusal(store.confirmVerification('vf_unknown', 'bank-a'), 'NOT_FOUND')
        expect((await get(store, v.id)).status).toBe('verified')
      })
    })

    describe('cancelVerification', () => {
      it('cancelVerification — pending → cancelled with the reason', async () => {
        const { store } = await harness()
        const v = await create(store)
        const outcome = await store.cancelVerification(v.id, 'customer')
        expect(outcome.verification).toMatchObject({ status: 'cancelled', cancelReason: 'customer', cancelledAt: outcome.now })
        expect(outcome.changed).toMatchObject([{ id: v.id, status: 'cancelled' }])
        expect(await get(store, v.id)).toEqual(outcome.verification)
      })

      it('cancelVerification — answers the verification with exactly its fields, in the answer, in changed and when read', async () => {
        const { store } = await harness()
        const v = await create(store)
        const outcome = await store.cancelVerification(v.id, 'customer')
        const expected: Verification = {
          id: v.id, tenant: 'bank-a', phoneMasked: '*******5678', phoneHash: v.phoneHash, verificationNumber: v.verificationNumber, status: 'cancelled',
          createdAt: v.createdAt, expiresAt: v.expiresAt, cancelledAt: outcome.now, cancelReason: 'customer', calls: 0,
          pollTokenHash: 'ab'.repeat(32),
        }
        expect(outcome.verification).toEqual(expected)
        expect(outcome.changed).toEqual([expected])
        expect(await get(store, v.id)).toEqual(expected)
      })

      it('cancelVerification — a verified one by its own tenant → cancelled', async () => {
        const { store } = await harness()
        const v = await verified(store)
        const outcome = await store.cancelVerification(v.id, 'backend', 'bank-a')
        expect(outcome.verification).toMatchObject({ status: 'cancelled', cancelReason: 'backend' })
      })

      it('cancelVerification — cancelled again answers the same and changes nothing', async () => {
        const { store } = await harness()
        const v = await create(store)
        const first = await store.cancelVerification(v.id, 'customer')
        const again = await store.cancelVerification(v.id, 'backend')
        expect(again.verification).toEqual(first.verification)
        expect(again.changed).toEqual([])
      })

      it('cancelVerification — after confirm → VERIFICATION_CONFIRMED', async () => {
        const { store } = await harness()
        const v = await verified(store)
        await store.confirmVerification(v.id, 'bank-a')
        await refusal(store.cancelVerification(v.id, 'customer'), 'VERIFICATION_CONFIRMED')
        expect((await get(store, v.id)).status).toBe('confirmed')
      })

      it('cancelVerification — after the window → VERIFICATION_EXPIRED', async () => {
        const { store, advance } = await harness({ windowMs: SHORT })
        const v = await create(store, { windowMs: SHORT })
        await advance(PAST_SHORT)
        await refusal(store.cancelVerification(v.id, 'customer'), 'VERIFICATION_EXPIRED')
        expect(await get(store, v.id)).toMatchObject({ status: 'expired' })
        expect((await get(store, v.id)).cancelReason).toBeUndefined()
      })

      it('cancelVerification — another tenant or an unknown id → NOT_FOUND', async () => {
        const { store } = await harness()
        const v = await create(store)
        await refusal(store.cancelVerification(v.id, 'backend', 'bank-b'), 'NOT_FOUND')
        await refusal(store.cancelVerification('vf_unknown', 'customer'), 'NOT_FOUND')
        expect((await get(store, v.id)).status).toBe('pending')
      })
    })

    describe('getVerification', () => {
      it('getVerification — an unknown id → null', async () => {
        const { store } = await harness()
        expect(await store.getVerification('vf_unknown')).toBeNull()
      })

      it('getVerification — after the window it is expired, and changed reports it once only', async () => {
        const { store, advance } = await harness({ windowMs: SHORT })
        const v = await create(store, { windowMs: SHORT })
        const inside = await store.getVerification(v.id)
        expect(inside).toMatchObject({ verification: { status: 'pending' }, changed: [] })
        await advance(PAST_SHORT)
        const first = (await store.getVerification(v.id))!
        expect(first.verification.status).toBe('expired')
        expect(first.changed).toMatchObject([{ id: v.id, status: 'expired' }])
        expect(first.now).toBeGreaterThanOrEqual(v.expiresAt)
        const second = (await store.getVerification(v.id))!
        expect(second.verification.status).toBe('expired')
        expect(second.changed).toEqual([])
      })
    })

    describe('rate-limit counts', () => {
      const count = (key: string, max: number, windowMs = 60_000) => ({ key, max, windowMs })

      it('hit — counts one per call in a fixed window from the first hit; each key apart', async () => {
        const { store } = await harness()
        expect(await store.hit('addr:198.51.100.7', 60_000)).toEqual({ current: 1, ttlMs: 60_000 })
        const second = await store.hit('addr:198.51.100.7', 60_000)
        expect(second.current).toBe(2)
        expect(second.ttlMs).toBeGreaterThan(55_000)
        expect(second.ttlMs).toBeLessThanOrEqual(60_000)
        expect((await store.hit('addr:198.51.100.8', 60_000)).current).toBe(1)
      })

      it('hit — after the window a counter starts over', async () => {
        const { store, advance } = await harness({ windowMs: SHORT })
        await store.hit('key:bank-a', SHORT)
        expect((await store.hit('key:bank-a', SHORT)).current).toBe(2)
        await advance(PAST_SHORT)
        expect(await store.hit('key:bank-a', SHORT)).toEqual({ current: 1, ttlMs: SHORT })
      })

      it('getVerification — takes its counts on the same counters as hit, found or not; past the max → TOO_MANY_REQUESTS and no read', async () => {
        const { store } = await harness()
        const v = await create(store)
        await store.hit('addr:a', 60_000)
        expect((await store.getVerification(v.id, [count('addr:a', 3)]))?.verification.id).toBe(v.id)
        expect(await store.getVerification('vf_unknown', [count('addr:a', 3)])).toBeNull()
        const refused = await refusal(store.getVerification(v.id, [count('addr:a', 3)]), 'TOO_MANY_REQUESTS')
        expect(refused.retryAfterSeconds).toBeGreaterThan(55)
        expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60)
        expect((await store.hit('addr:a', 60_000)).current).toBe(5)
        // Another counter is apart; no counts at all reads as ever.
        expect((await store.getVerification(v.id, [count('addr:b', 1)]))?.verification.id).toBe(v.id)
        expect((await store.getVerification(v.id))?.verification.id).toBe(v.id)
      })

      it('createVerification — counts in order, then the number\'s own count, and stops at the first past its max, creating and superseding nothing', async () => {
        const { store, advance } = await harness()
        const numberCount = { max: 1, windowMs: 3_600_000 }
        const first = await create(store, { counts: [count('key:bank-a', 3)], numberCount })
        // The number's count is past its max: the key count was taken, nothing else happened.
        const refused = await refusal(store.createVerification(input({ counts: [count('key:bank-a', 3)], numberCount })), 'TOO_MANY_REQUESTS')
        expect(refused.retryAfterSeconds).toBeGreaterThan(3590)
        expect((await get(store, first.id)).status).toBe('pending')
        expect((await store.hit('key:bank-a', 60_000)).current).toBe(3)
        // Now the key count is past its max: the number's count is not taken (below, at max 3, the next create is its third).
        await refusal(store.createVerification(input({ counts: [count('key:bank-a', 3)], numberCount })), 'TOO_MANY_REQUESTS')
        expect((await get(store, first.id)).status).toBe('pending')
        // The number's count is per tenant, and counts the refused create too: at max 3 the next is its third.
        expect((await store.createVerification(input({ tenant: 'bank-b', numberCount }))).verification.status).toBe('pending')
        const third = { max: 3, windowMs: 3_600_000 }
        const opened = await store.createVerification(input({ numberCount: third }))
        await refusal(store.createVerification(input({ numberCount: third })), 'TOO_MANY_REQUESTS')
        expect((await get(store, first.id)).status).toBe('cancelled') // superseded by `opened`
        expect((await get(store, opened.verification.id)).status).toBe('pending')
        // A fixed window from the first hit: once it ends the count starts again.
        const brief = { max: 1, windowMs: SHORT }
        expect((await store.createVerification(input({ tenant: 'bank-c', numberCount: brief }))).verification.status).toBe('pending')
        await refusal(store.createVerification(input({ tenant: 'bank-c', numberCount: brief })), 'TOO_MANY_REQUESTS')
        await advance(PAST_SHORT)
        expect((await store.createVerification(input({ tenant: 'bank-c', numberCount: brief }))).verification.status).toBe('pending')
      })
    })

    describe('expireDue', () => {
      it('expireDue — expires every due one (pending or verified), publishes expired and counts each failure once; leaves open windows', async () => {
        const { store, advance } = await harness({ windowMs: SHORT })
        const events: StatusEvent[] = []
        store.onStatus((event) => events.push(event))
        const pending = await create(store, { windowMs: SHORT })
        const called = await verified(store, { windowMs: SHORT, phoneNumber: OTHER_CALLER })
        const open = await create(store, { phoneNumber: phone(1) })
        await advance(PAST_SHORT)
        const swept = await store.expireDue(100)
        expect(swept.changed.map((v) => v.id).sort()).toEqual([pending.id, called.id].sort())
        for (const v of swept.changed) {
          expect(v.status).toBe('expired')
          expect(swept.now).toBeGreaterThanOrEqual(v.expiresAt)
        }
        expect(swept.changed.find((v) => v.id === called.id)).toMatchObject({ calls: 1, verifiedAt: called.verifiedAt })
        const expected = [{ id: called.id, status: 'verified' }, { id: pending.id, status: 'expired' }, { id: called.id, status: 'expired' }]
        await vi.waitFor(() => expect(events).toHaveLength(expected.length), { timeout: 3000, interval: 10 })
        expect(events).toEqual(expect.arrayContaining(expected))
        expect((await store.getLock('bank-a', CALLER)).failures).toBe(1)
        expect((await store.getLock('bank-a', OTHER_CALLER)).failures).toBe(1)
        // Reads afterwards change nothing and count nothing again.
        expect(await store.getVerification(pending.id)).toMatchObject({ verification: { status: 'expired' }, changed: [] })
        expect((await store.getLock('bank-a', CALLER)).failures).toBe(1)
        expect(await get(store, open.id)).toMatchObject({ status: 'pending' })
        expect((await store.listNumbers()).reduce((sum, n) => sum + n.pending, 0)).toBe(1)
      })

      it('expireDue — at most limit per call; the next calls go on until none is left', async () => {
        const { store, advance } = await harness({ windowMs: SHORT })
        const ids = []
        for (let i = 0; i < 5; i++) ids.push((await create(store, { windowMs: SHORT, phoneNumber: phone(10 + i) })).id)
        await advance(PAST_SHORT)
        const batches = []
        for (let i = 0; i < 4; i++) batches.push((await store.expireDue(2)).changed.map((v) => v.id))
        expect(batches.map((b) => b.length)).toEqual([2, 2, 1, 0])
        expect(batches.flat().sort()).toEqual(ids.sort())
      })

      it('expireDue — leaves ended ones alone and is idempotent: a second sweep changes and counts nothing', async () => {
        const { store, advance } = await harness({ windowMs: SHORT })
        const confirmed = await verified(store, { windowMs: SHORT })
        await store.confirmVerification(confirmed.id, 'bank-a')
        const cancelled = await create(store, { windowMs: SHORT, phoneNumber: OTHER_CALLER })
        await store.cancelVerification(cancelled.id, 'customer')
        const read = await create(store, { windowMs: SHORT, phoneNumber: phone(1) })
        const due = await create(store, { windowMs: SHORT, phoneNumber: phone(2) })
        await advance(PAST_SHORT)
        expect((await store.getVerification(read.id))!.changed).toMatchObject([{ id: read.id, status: 'expired' }])
        expect((await store.expireDue(100)).changed.map((v) => v.id)).toEqual([due.id])
        expect((await store.expireDue(100)).changed).toEqual([])
        expect(await get(store, confirmed.id)).toMatchObject({ status: 'confirmed' })
        expect(await get(store, cancelled.id)).toMatchObject({ status: 'cancelled', cancelReason: 'customer' })
        for (const [p, failures] of [[CALLER, 0], [OTHER_CALLER, 1], [phone(1), 1], [phone(2), 1]] as const) {
          expect((await store.getLock('bank-a', p)).failures, p).toBe(failures)
        }
      })

      it('expireDue — a later create on the same number does not hide a due one from the sweep', async () => {
        const { store, advance } = await harness({ windowMs: SHORT })
        await onlyActive(store, N1)
        const due = await create(store, { windowMs: SHORT })
        await advance(PAST_SHORT)
        const later = await create(store, { phoneNumber: OTHER_CALLER })
        expect(later.verificationNumber).toBe(N1)
        expect((await store.expireDue(100)).changed.map((v) => v.id)).toEqual([due.id])
        expect(await get(store, later.id)).toMatchObject({ status: 'pending' })
      })

      it('expireDue — nothing due → an empty batch', async () => {
        const { store } = await harness()
        await create(store)
        expect(await store.expireDue(100)).toEqual({ now: expect.any(Number), changed: [] })
      })
    })

    describe('day lock (R11)', () => {
      it('day lock — reaching the limit locks the number until the next Japan midnight (LOCKED, B84)', async () => {
        const { store } = await harness({ lockAfterFailures: 2 })
        await store.cancelVerification((await create(store)).id, 'customer')
        const second = await store.cancelVerification((await create(store)).id, 'customer')
        const error = await refusal(store.createVerification(input()), 'LOCKED')
        expect(error.status).toBe(423)
        expect(error.details).toEqual({ reasonCode: 'B84', lockedUntil: new Date(nextJapanMidnight(second.now)).toISOString() })
        expect(error.retryAfterSeconds).toBeGreaterThan(0)
      })

      it('day lock — one failure short of the limit does not lock', async () => {
        const { store } = await harness({ lockAfterFailures: 3 })
        await store.cancelVerification((await create(store)).id, 'customer')
        await store.cancelVerification((await create(store)).id, 'customer')
        expect((await create(store)).status).toBe('pending')
      })

      it('getLock — shows the failures and lockedUntil; clearLock lifts the lock', async () => {
        const { store } = await harness({ lockAfterFailures: 2 })
        expect(await store.getLock('bank-a', CALLER)).toEqual({ tenant: 'bank-a', phoneNumber: CALLER, failures: 0 })
        await store.cancelVerification((await create(store)).id, 'customer')
        expect(await store.getLock('bank-a', CALLER)).toEqual({ tenant: 'bank-a', phoneNumber: CALLER, failures: 1 })
        const second = await store.cancelVerification((await create(store)).id, 'customer')
        const locked = { tenant: 'bank-a', phoneNumber: CALLER, failures: 2, lockedUntil: nextJapanMidnight(second.now) }
        expect(await store.getLock('bank-a', CALLER)).toEqual(locked)
        expect(await store.clearLock('bank-a', CALLER)).toEqual(locked)
        expect(await store.getLock('bank-a', CALLER)).toEqual({ tenant: 'bank-a', phoneNumber: CALLER, failures: 0 })
        expect((await create(store)).status).toBe('pending')
      })

      it('day lock — confirmed verifications do not count', async () => {
        const { store } = await harness({ lockAfterFailures: 2 })
        for (let i = 0; i < 3; i++) {
          const v = await verified(store)
          await store.confirmVerification(v.id, 'bank-a')
        }
        expect((await create(store)).status).toBe('pending')
        expect((await store.getLock('bank-a', CALLER)).failures).toBe(0)
      })

      it('day lock — superseded verifications count', async () => {
        const { store } = await harness({ lockAfterFailures: 2 })
        await create(store)
        await create(store)
        expect((await store.getLock('bank-a', CALLER)).failures).toBe(1)
        await refusal(store.createVerification(input()), 'LOCKED')
      })

      it('day lock — an expired verification counts at the next create even if nobody read it', async () => {
        const { store, advance } = await harness({ lockAfterFailures: 2, windowMs: SHORT })
        const v = await create(store, { windowMs: SHORT })
        await advance(PAST_SHORT)
        const next = await store.createVerification(input())
        expect(next.changed).toMatchObject([{ id: v.id, status: 'expired' }])
        expect((await store.getLock('bank-a', CALLER)).failures).toBe(1)
        // Reading it afterwards neither changes it again nor counts it twice.
        expect(await store.getVerification(v.id)).toMatchObject({ verification: { status: 'expired' }, changed: [] })
        expect((await store.getLock('bank-a', CALLER)).failures).toBe(1)
      })

      it('day lock — is per tenant and number', async () => {
        const { store } = await harness({ lockAfterFailures: 1 })
        await store.cancelVerification((await create(store)).id, 'customer')
        await refusal(store.createVerification(input()), 'LOCKED')
        expect((await create(store, { tenant: 'bank-b' })).status).toBe('pending')
        expect((await create(store, { phoneNumber: OTHER_CALLER })).status).toBe('pending')
        expect((await store.getLock('bank-b', CALLER)).lockedUntil).toBeUndefined()
      })
    })

    describe('onStatus', () => {
      it('onStatus — delivers verified, confirmed, cancelled and expired; unsubscribe stops it', async () => {
        const { store, advance } = await harness({ windowMs: SHORT })
        const events: StatusEvent[] = []
        const unsubscribe = store.onStatus((event) => events.push(event))
        const a = await verified(store)
        await store.confirmVerification(a.id, 'bank-a')
        const b = await create(store, { phoneNumber: OTHER_CALLER })
        await store.cancelVerification(b.id, 'customer')
        const c = await create(store, { phoneNumber: phone(1), windowMs: SHORT })
        await advance(PAST_SHORT)
        await store.getVerification(c.id)
        const expected = [
          { id: a.id, status: 'verified' }, { id: a.id, status: 'confirmed' },
          { id: b.id, status: 'cancelled' }, { id: c.id, status: 'expired' },
        ]
        await vi.waitFor(() => expect(events).toHaveLength(expected.length), { timeout: 3000, interval: 10 })
        expect(events).toEqual(expected)
        unsubscribe()
        // The barrier: a listener still subscribed hears the next event; by then the other would have too.
        const barrier: StatusEvent[] = []
        store.onStatus((event) => barrier.push(event))
        const d = await create(store, { phoneNumber: phone(2) })
        await store.cancelVerification(d.id, 'customer')
        await vi.waitFor(() => expect(barrier).toEqual([{ id: d.id, status: 'cancelled' }]), { timeout: 3000, interval: 10 })
        expect(events).toHaveLength(expected.length)
      })
    })

    describe('outbox', () => {
      it('outbox — every status change is in it, in order, the moment the step returns: no listener needed', async () => {
        const { store, advance } = await harness({ windowMs: SHORT })
        const a = await verified(store, { callbackUrl: 'https://bank.example/cb' })
        await store.confirmVerification(a.id, 'bank-a')
        const b = await create(store, { phoneNumber: OTHER_CALLER })
        const superseding = await create(store, { phoneNumber: OTHER_CALLER })
        const c = await create(store, { phoneNumber: phone(1), windowMs: SHORT })
        await advance(PAST_SHORT)
        await store.expireDue(100)
        const entries = await store.outbox.read('relay-1', 100, 0)
        expect(entries.map(({ id, status, tenant, callback, wasVerified }) => ({ id, status, tenant, callback, wasVerified }))).toEqual([
          { id: a.id, status: 'verified', tenant: 'bank-a', callback: true, wasVerified: false },
          { id: a.id, status: 'confirmed', tenant: 'bank-a', callback: true, wasVerified: true },
          { id: b.id, status: 'cancelled', tenant: 'bank-a', callback: false, wasVerified: false },
          // The superseding one stays pending (no event); c's window ended with the sweep.
          { id: c.id, status: 'expired', tenant: 'bank-a', callback: false, wasVerified: false },
        ])
        expect(superseding.status).toBe('pending')
        expect(await store.outbox.length()).toBe(4)
        await store.outbox.ack(entries.slice(0, 2).map((e) => e.entry))
        expect(await store.outbox.length()).toBe(2)
        expect(await store.outbox.read('relay-2', 100, 0)).toEqual([]) // read once: the rest is relay-1's, pending
      })
    })

    describe('pool', () => {
      it('ensurePoolNumbers — adds missing numbers once and leaves existing ones as they are', async () => {
        const { store } = await harness()
        await store.updateNumber(N1, { weight: 5, state: 'draining' })
        await store.ensurePoolNumbers([...POOL, '+81120000004'])
        await store.ensurePoolNumbers([...POOL, '+81120000004'])
        const numbers = await store.listNumbers()
        expect(numbers.map((n) => n.e164)).toEqual([...POOL, '+81120000004'])
        expect(numbers[0]).toMatchObject({ e164: N1, weight: 5, state: 'draining' })
        expect(numbers[3]).toMatchObject({ state: 'active', weight: 1, health: 'ok', pending: 0, callsToday: 0, allocationsSinceCall: 0 })
      })

      it('summarizePool and countActiveNumbers — every number\'s state, health and weight sorted; the active ones counted', async () => {
        const { store } = await harness()
        await store.updateNumber(N1, { weight: 3 })
        await store.updateNumber(N2, { state: 'quarantined', health: 'answered' })
        await store.updateNumber(N3, { state: 'draining' })
        expect(await store.summarizePool()).toEqual([
          { e164: N1, carrier: 'twilio', state: 'active', health: 'ok', weight: 3 },
          { e164: N2, carrier: 'twilio', state: 'quarantined', health: 'answered', weight: 1 },
          { e164: N3, carrier: 'twilio', state: 'draining', health: 'ok', weight: 1 },
        ])
        expect(await store.countActiveNumbers()).toBe(1)
        await store.addNumber({ e164: '+81120000004' })
        expect(await store.countActiveNumbers()).toBe(2)
      })

      it('addNumber — adds an active, healthy number; the same again → ALREADY_EXISTS', async () => {
        const { store } = await harness()
        const now = await store.now()
        const added = await store.addNumber({ e164: '+81120000004', weight: 2, label: 'osaka' })
        expect(added).toMatchObject({ e164: '+81120000004', state: 'active', weight: 2, label: 'osaka', health: 'ok', pending: 0, callsToday: 0 })
        expect(added.addedAt).toBeGreaterThanOrEqual(now)
        expect(await store.getNumber('+81120000004')).toEqual(added)
        const error = await refusal(store.addNumber({ e164: '+81120000004' }), 'ALREADY_EXISTS')
        expect(error.status).toBe(409)
        await refusal(store.addNumber({ e164: N1 }), 'ALREADY_EXISTS')
        expect((await store.getNumber('+81120000004'))!.weight).toBe(2)
      })

      it('updateNumber — changes state, weight and label and answers before and after', async () => {
        const { store } = await harness()
        const { before, after } = await store.updateNumber(N1, { state: 'draining', weight: 4, label: 'tokyo' })
        expect(before).toMatchObject({ e164: N1, state: 'active', weight: 1 })
        expect(before.label).toBeUndefined()
        expect(after).toMatchObject({ e164: N1, state: 'draining', weight: 4, label: 'tokyo' })
        expect(await store.getNumber(N1)).toEqual(after)
        const next = await store.updateNumber(N1, { state: 'active' })
        expect(next.before).toEqual(after)
        expect(next.after).toMatchObject({ state: 'active', weight: 4, label: 'tokyo' })
      })

      it('updateNumber — an empty label clears it', async () => {
        const { store } = await harness()
        await store.updateNumber(N1, { label: 'tokyo' })
        const { after } = await store.updateNumber(N1, { label: '' })
        expect(after.label).toBeUndefined()
        expect((await store.getNumber(N1))!.label).toBeUndefined()
      })

      it('updateNumber — an unknown number → NOT_FOUND; getNumber → null', async () => {
        const { store } = await harness()
        const error = await refusal(store.updateNumber('+81120999999', { state: 'retired' }), 'NOT_FOUND')
        expect(error.status).toBe(404)
        expect(await store.getNumber('+81120999999')).toBeNull()
      })

      it('listNumbers — pending counts open verifications; callsToday and lastCallAt follow calls', async () => {
        const { store } = await harness()
        await onlyActive(store, N1)
        const a = await create(store)
        const b = await create(store, { phoneNumber: OTHER_CALLER })
        await create(store, { phoneNumber: phone(1) })
        const call = await store.recordCall({ callSid: callSid(), from: CALLER, to: N1 })
        await store.recordCall({ callSid: callSid(), from: phone(2), to: N1 })
        await store.recordWithheldCall(N1, callSid())
        let [n1, n2] = await store.listNumbers()
        expect(n1).toMatchObject({ e164: N1, pending: 3, callsToday: 3 })
        expect(n1!.lastCallAt).toBeGreaterThanOrEqual(call.now)
        expect(n2).toMatchObject({ e164: N2, pending: 0, callsToday: 0 })
        expect(n2!.lastCallAt).toBeUndefined()
        await store.confirmVerification(a.id, 'bank-a')
        await store.cancelVerification(b.id, 'customer')
        ;[n1] = await store.listNumbers()
        expect(n1!.pending).toBe(1)
      })

      it('listNumbers — allocationsSinceCall counts allocations until a call arrives; a call ends health silent', async () => {
        const { store } = await harness()
        await onlyActive(store, N1)
        await Promise.all([1, 2, 3].map((i) => create(store, { phoneNumber: phone(i) })))
        expect((await store.getNumber(N1))!.allocationsSinceCall).toBe(3)
        await store.updateNumber(N1, { health: 'silent' })
        await store.recordCall({ callSid: callSid(), from: phone(1), to: N1 })
        expect(await store.getNumber(N1)).toMatchObject({ allocationsSinceCall: 0, health: 'ok' })
        await create(store, { phoneNumber: phone(4) })
        expect((await store.getNumber(N1))!.allocationsSinceCall).toBe(1)
      })

      it('listNumbers — answers each number as getNumber reads it: pending, today\'s calls and outcomes, the last outcome, label', async () => {
        const { store } = await harness()
        await onlyActive(store, N1)
        await create(store)
        await store.recordWithheldCall(N1, callSid())
        await store.recordCallStatus({ callSid: callSid(), to: N1, status: 'busy', durationSeconds: 0 })
        await store.updateNumber(N2, { label: 'osaka', weight: 3 })
        const listed = await store.listNumbers()
        expect(listed).toEqual(await Promise.all(POOL.map((e164) => store.getNumber(e164))))
        expect(listed[0]).toMatchObject({ e164: N1, pending: 1, callsToday: 1, outcomesToday: { busy: 1 }, lastOutcome: { status: 'busy', durationSeconds: 0 } })
        expect(listed[1]).toMatchObject({ e164: N2, label: 'osaka', weight: 3, pending: 0, callsToday: 0, outcomesToday: {} })
      })

      it('recordCallStatus — answers the number as getNumber reads it after the callback', async () => {
        const { store } = await harness()
        await onlyActive(store, N1)
        await create(store)
        const result = await store.recordCallStatus({ callSid: callSid(), to: N1, status: 'completed', durationSeconds: 2 })
        expect(result.number).toEqual(await store.getNumber(N1))
        expect(result.number).toMatchObject({ pending: 1, state: 'quarantined', health: 'answered', outcomesToday: { completed: 1 } })
      })

      it('recordCallStatus — a call with a duration quarantines the number as answered; never allocated again', async () => {
        const { store } = await harness()
        const result = await store.recordCallStatus({ callSid: callSid(), to: N1, status: 'completed', durationSeconds: 3 })
        expect(result.answered).toBe(true)
        expect(result.number).toMatchObject({ e164: N1, state: 'quarantined', health: 'answered' })
        expect(await store.getNumber(N1)).toMatchObject({ state: 'quarantined', health: 'answered' })
        const all = await Promise.all([0, 0.2, 0.4, 0.6, 0.8, 0.999999].map((random, i) => create(store, { phoneNumber: phone(i), random })))
        expect(all.some((v) => v.verificationNumber === N1)).toBe(false)
      })

      it('recordCallStatus — a call without duration changes nothing; an unknown number answers null', async () => {
        const { store } = await harness()
        const result = await store.recordCallStatus({ callSid: callSid(), to: N1, status: 'busy', durationSeconds: 0 })
        expect(result.answered).toBe(false)
        expect(result.number).toMatchObject({ e164: N1, state: 'active', health: 'ok' })
        expect((await store.recordCallStatus({ callSid: callSid(), to: '+81120999999', status: 'completed', durationSeconds: 5 })).number).toBeNull()
        await onlyActive(store, N1)
        expect((await create(store)).verificationNumber).toBe(N1)
      })

      it('recordCallStatus — records each outcome on its pool number: today\'s counts and the last one', async () => {
        const { store } = await harness()
        expect((await store.getNumber(N1))!.outcomesToday).toEqual({})
        for (const status of ['busy', 'busy', 'no-answer', 'failed']) {
          await store.recordCallStatus({ callSid: callSid(), to: N1, status, durationSeconds: 0 })
        }
        const number = await store.getNumber(N1)
        expect(number!.outcomesToday).toEqual({ busy: 2, 'no-answer': 1, failed: 1 })
        expect(number!.lastOutcome).toMatchObject({ status: 'failed', durationSeconds: 0, at: expect.any(Number) })
        expect((await store.getNumber(N2))!.outcomesToday).toEqual({})
        await store.recordCallStatus({ callSid: callSid(), to: N2, status: 'completed', durationSeconds: 4 })
        expect(await store.getNumber(N2)).toMatchObject({ outcomesToday: { completed: 1 }, lastOutcome: { status: 'completed', durationSeconds: 4 } })
      })

      it('maintenance — add, list (past ones dropped, soonest first), remove', async () => {
        const { store } = await harness()
        const now = await store.now()
        const later = await store.addMaintenance({ startsAt: now + 7_200_000, endsAt: now + 10_800_000, note: 'later', createdBy: 'ops' })
        const soon = await store.addMaintenance({ startsAt: now + 3_600_000, endsAt: now + 5_400_000, note: 'soon' })
        await store.addMaintenance({ startsAt: now - 7_200_000, endsAt: now - 3_600_000, note: 'past' })
        expect(later.id).not.toBe(soon.id)
        expect(later).toMatchObject({ note: 'later', createdBy: 'ops' })
        expect(await store.listMaintenance()).toEqual([soon, later])
        expect(await store.removeMaintenance(soon.id)).toEqual(soon)
        expect(await store.removeMaintenance(soon.id)).toBeNull()
        expect(await store.listMaintenance()).toEqual([later])
      })

      it('audit — appended entries list newest first, up to the limit', async () => {
        const { store } = await harness()
        for (const [i, action] of ['add', 'update', 'clear'].entries()) {
          await store.appendAudit({ at: 1000 + i, actor: 'ops', action, target: N1, before: { i }, after: { i: i + 1 } })
        }
        expect((await store.listAudit(10)).map((e) => e.action)).toEqual(['clear', 'update', 'add'])
        expect(await store.listAudit(2)).toEqual([
          { at: 1002, actor: 'ops', action: 'clear', target: N1, before: { i: 2 }, after: { i: 3 } },
          { at: 1001, actor: 'ops', action: 'update', target: N1, before: { i: 1 }, after: { i: 2 } },
        ])
      })

      it('audit — keeps the newest 1000 entries', async () => {
        const { store } = await harness()
        await Promise.all(Array.from({ length: 1010 }, (_, i) => store.appendAudit({ at: i, actor: 'ops', action: `a${i}` })))
        const all = await store.listAudit(5000)
        expect(all).toHaveLength(1000)
        expect(all[0]!.action).toBe('a1009')
        expect(all[999]!.action).toBe('a10')
      })
    })

    consoleContract(harness)
  })
}
