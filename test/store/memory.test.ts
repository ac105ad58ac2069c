import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { CallverifyError } from '../../src/domain/errors.js'
import { JAPAN_ZONE } from '../../src/domain/japan.js'
import { createMemoryStore } from '../../src/store/memory.js'
import type { CreateVerificationInput, Store } from '../../src/store/types.js'
import { storeContract } from './contract.js'
import { TEST_PHONE_HASH } from '../support/app.js'

/** A Japan wall-clock time → ms. */
const jst = (local: string): number => DateTime.fromISO(local, { zone: JAPAN_ZONE }).toMillis()

// A Wednesday afternoon in Japan: far from any midnight, so day-lock cases stay in one day.
const START = jst('2027-05-12T14:00')

storeContract('memory', async ({ lockAfterFailures, retentionMs }) => {
  let now = START
  const store = createMemoryStore({ lockAfterFailures, retentionMs, phoneHash: TEST_PHONE_HASH, clock: () => now })
  return {
    store,
    advance: async (ms) => {
      now += ms
    },
    cleanup: () => store.close(),
  }
})

// What only a movable clock can show exactly; Redis runs the same rules at ~0.8 s / ~1.2 s of
// a 1 s window in the contract's window-edge case.
describe('memory store — exact time', () => {
  const CALLER = '+819012345678'
  const POOL = ['+81120000001']

  function setup(start: number, lockAfterFailures = 5): { store: Store; at(ms: number): void; tick(ms: number): void } {
    let now = start
    const store = createMemoryStore({ lockAfterFailures, retentionMs: 3_600_000, phoneHash: TEST_PHONE_HASH, clock: () => now })
    return { store, at: (ms) => (now = ms), tick: (ms) => (now += ms) }
  }

  let n = 0
  const input = (over: Partial<CreateVerificationInput> = {}): CreateVerificationInput => ({
    id: `vf_${++n}`, tenant: 'bank-a', phoneNumber: CALLER, pollTokenHash: 'h', windowMs: 120_000, random: 0.5, ...over,
  })

  it('window — at 119.9 s a verification is pending and a call verifies it; at 120.0 s and 120.1 s it is expired (R3)', async () => {
    const { store, at } = setup(START)
    await store.ensurePoolNumbers(POOL)
    const callable = (await store.createVerification(input())).verification
    const boundary = (await store.createVerification(input({ phoneNumber: '+818011112222' }))).verification
    const late = (await store.createVerification(input({ phoneNumber: '+817011112222' }))).verification
    expect(callable.expiresAt).toBe(START + 120_000)

    at(START + 119_900)
    expect((await store.getVerification(callable.id))!.verification.status).toBe('pending')
    expect((await store.recordCall({ callSid: 'CA1', from: CALLER, to: POOL[0]! })).outcome).toBe('verified')
    expect((await store.confirmVerification(callable.id, 'bank-a')).verification.status).toBe('confirmed')

    at(START + 120_000)
    expect((await store.recordCall({ callSid: 'CA2', from: '+818011112222', to: POOL[0]! })).outcome).toBe('expired')
    expect((await store.getVerification(boundary.id))!.verification.status).toBe('expired')

    at(START + 120_100)
    expect((await store.getVerification(late.id))!.verification.status).toBe('expired')
    expect((await store.getVerification(callable.id))!.verification.status).toBe('confirmed')
  })

  it('window — confirm at 119.9 s succeeds, at 120.1 s answers VERIFICATION_EXPIRED', async () => {
    const { store, at } = setup(START)
    await store.ensurePoolNumbers(POOL)
    const v = (await store.createVerification(input())).verification
    const w = (await store.createVerification(input({ phoneNumber: '+818011112222' }))).verification
    await store.recordCall({ callSid: 'CA1', from: CALLER, to: POOL[0]! })
    await store.recordCall({ callSid: 'CA2', from: '+818011112222', to: POOL[0]! })
    at(START + 119_900)
    expect((await store.confirmVerification(v.id, 'bank-a')).verification.confirmedAt).toBe(START + 119_900)
    at(START + 120_100)
    await expect(store.confirmVerification(w.id, 'bank-a')).rejects.toMatchObject({ code: 'VERIFICATION_EXPIRED' })
  })

  it('day lock — a failure at 23:59:59 JST locks until 00:00 the next day; at 00:00 the lock is gone and the count restarts', async () => {
    const { store, at } = setup(jst('2027-05-12T23:59:58'), 1)
    await store.ensurePoolNumbers(POOL)
    const v = (await store.createVerification(input())).verification
    at(jst('2027-05-12T23:59:59'))
    await store.cancelVerification(v.id, 'customer')
    const midnight = jst('2027-05-13T00:00')

    const error = await store.createVerification(input()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CallverifyError)
    expect((error as CallverifyError).details).toEqual({ reasonCode: 'B84', lockedUntil: '2027-05-12T15:00:00.000Z' })
    expect(await store.getLock('bank-a', CALLER)).toEqual({ tenant: 'bank-a', phoneNumber: CALLER, failures: 1, lockedUntil: midnight })

    at(midnight - 1)
    await expect(store.createVerification(input())).rejects.toMatchObject({ code: 'LOCKED' })

    at(midnight)
    expect(await store.getLock('bank-a', CALLER)).toEqual({ tenant: 'bank-a', phoneNumber: CALLER, failures: 0 })
    const fresh = (await store.createVerification(input())).verification
    expect(fresh.status).toBe('pending')
    // The new day counts from zero: one failure reaches the limit again and locks until the next midnight.
    await store.cancelVerification(fresh.id, 'customer')
    expect(await store.getLock('bank-a', CALLER)).toEqual({
      tenant: 'bank-a', phoneNumber: CALLER, failures: 1, lockedUntil: jst('2027-05-14T00:00'),
    })
  })

  it('day lock — a window that starts before midnight and expires after it counts in the day it began', async () => {
    const { store, at } = setup(jst('2027-05-12T23:59:30'), 1)
    await store.ensurePoolNumbers(POOL)
    const v = (await store.createVerification(input())).verification
    at(jst('2027-05-13T00:02'))
    expect((await store.getVerification(v.id))!.verification.status).toBe('expired')
    expect(await store.getLock('bank-a', CALLER)).toEqual({ tenant: 'bank-a', phoneNumber: CALLER, failures: 0 })
    expect((await store.createVerification(input())).verification.status).toBe('pending')
  })

  it('callsToday — counts per Japan day: a call at 23:59 JST is not today at 00:00', async () => {
    const { store, at } = setup(jst('2027-05-12T23:59'))
    await store.ensurePoolNumbers(POOL)
    await store.recordWithheldCall(POOL[0]!, 'CA1')
    expect((await store.getNumber(POOL[0]!))!.callsToday).toBe(1)
    at(jst('2027-05-13T00:00'))
    expect((await store.getNumber(POOL[0]!))!.callsToday).toBe(0)
    expect((await store.getNumber(POOL[0]!))!.lastCallAt).toBe(jst('2027-05-12T23:59'))
  })
})
