import { describe, expect, it } from 'vitest'
import {
  STATUSES, applyCall, applyCancel, applyConfirm, countsAsFailure, expireIfDue, isInsideWindow, isOpen, isTerminal,
  remainingSeconds, type Verification, type VerificationStatus,
} from '../../src/domain/verification.js'

const CREATED = 1_000_000
const EXPIRES = CREATED + 120_000
const INSIDE = CREATED + 60_000

const pending: Verification = {
  id: 'vf_1', tenant: 'bank-a', phoneMasked: '*******5678', phoneHash: 'h', verificationNumber: '+81120000001', status: 'pending',
  createdAt: CREATED, expiresAt: EXPIRES, calls: 0, pollTokenHash: 'h',
}
const verified: Verification = { ...pending, status: 'verified', verifiedAt: CREATED + 10_000, calls: 1 }
const confirmed: Verification = { ...verified, status: 'confirmed', confirmedAt: CREATED + 20_000 }
const cancelled: Verification = { ...pending, status: 'cancelled', cancelledAt: CREATED + 5_000, cancelReason: 'customer' }
const expired: Verification = { ...pending, status: 'expired' }
const byStatus: Record<VerificationStatus, Verification> = { pending, verified, confirmed, cancelled, expired }

describe('statuses', () => {
  it('statuses — the five of the contract', () => {
    expect([...STATUSES].sort()).toEqual(['cancelled', 'confirmed', 'expired', 'pending', 'verified'])
  })

  it.each([
    ['pending', true, false, false],
    ['verified', true, false, false],
    ['confirmed', false, true, false],
    ['expired', false, true, true],
    ['cancelled', false, true, true],
  ] as const)('status %s — open %s, terminal %s, counts as a failure %s (R11)', (status, open, terminal, failure) => {
    expect(isOpen(status)).toBe(open)
    expect(isTerminal(status)).toBe(terminal)
    expect(countsAsFailure(status)).toBe(failure)
  })
})

describe('window (R3)', () => {
  it('isInsideWindow — from createdAt up to, not including, expiresAt', () => {
    expect(isInsideWindow(pending, CREATED)).toBe(true)
    expect(isInsideWindow(pending, EXPIRES - 1)).toBe(true)
    expect(isInsideWindow(pending, EXPIRES)).toBe(false)
    expect(isInsideWindow(pending, EXPIRES + 1)).toBe(false)
  })

  it.each([
    [CREATED, 120],
    [CREATED + 500, 120],
    [EXPIRES - 1500, 2],
    [EXPIRES - 1, 1],
    [EXPIRES, 0],
    [EXPIRES + 60_000, 0],
  ])('remainingSeconds — at %i it is %i (rounded up, never negative)', (now, seconds) => {
    expect(remainingSeconds(pending, now)).toBe(seconds)
  })

  it.each(['pending', 'verified'] as const)('expireIfDue — %s at exactly expiresAt becomes expired, keeping its other fields', (status) => {
    const v = byStatus[status]
    expect(expireIfDue(v, EXPIRES)).toEqual({ ...v, status: 'expired' })
    expect(expireIfDue(v, EXPIRES + 1).status).toBe('expired')
    expect(v.status).toBe(status)
  })

  it.each(['pending', 'verified'] as const)('expireIfDue — %s one millisecond before expiresAt is unchanged', (status) => {
    expect(expireIfDue(byStatus[status], EXPIRES - 1)).toBe(byStatus[status])
  })

  it.each(['confirmed', 'cancelled', 'expired'] as const)('expireIfDue — %s after the window stays %s', (status) => {
    expect(expireIfDue(byStatus[status], EXPIRES + 1)).toBe(byStatus[status])
  })
})

describe('applyCall (R4, R7)', () => {
  it('applyCall — pending inside the window becomes verified with verifiedAt and one call', () => {
    const t = applyCall(pending, INSIDE)
    expect(t).toEqual({ ok: true, changed: true, verification: { ...pending, status: 'verified', verifiedAt: INSIDE, calls: 1 } })
    expect(pending.status).toBe('pending')
  })

  it('applyCall — verified inside the window counts the call and stays verified (R7)', () => {
    const t = applyCall(verified, EXPIRES - 1)
    expect(t).toEqual({ ok: true, changed: false, verification: { ...verified, calls: 2 } })
  })

  it.each(['pending', 'verified'] as const)('applyCall — %s at exactly expiresAt → VERIFICATION_EXPIRED, expired', (status) => {
    const t = applyCall(byStatus[status], EXPIRES)
    expect(t).toMatchObject({ ok: false, refusal: 'VERIFICATION_EXPIRED', verification: { status: 'expired', calls: byStatus[status].calls } })
  })

  it.each([
    ['cancelled', 'VERIFICATION_CANCELLED'],
    ['confirmed', 'VERIFICATION_CONFIRMED'],
    ['expired', 'VERIFICATION_EXPIRED'],
  ] as const)('applyCall — %s → %s and unchanged', (status, refusal) => {
    expect(applyCall(byStatus[status], INSIDE)).toEqual({ ok: false, refusal, verification: byStatus[status] })
  })
})

describe('applyConfirm (R9, R3)', () => {
  it('applyConfirm — verified inside the window becomes confirmed with confirmedAt', () => {
    const t = applyConfirm(verified, EXPIRES - 1)
    expect(t).toEqual({ ok: true, changed: true, verification: { ...verified, status: 'confirmed', confirmedAt: EXPIRES - 1 } })
  })

  it('applyConfirm — pending inside the window → VERIFICATION_PENDING and still pending (may press again)', () => {
    expect(applyConfirm(pending, INSIDE)).toEqual({ ok: false, refusal: 'VERIFICATION_PENDING', verification: pending })
  })

  it.each(['pending', 'verified'] as const)('applyConfirm — %s at exactly expiresAt → VERIFICATION_EXPIRED, expired', (status) => {
    expect(applyConfirm(byStatus[status], EXPIRES)).toMatchObject({ ok: false, refusal: 'VERIFICATION_EXPIRED', verification: { status: 'expired' } })
  })

  it('applyConfirm — confirmed again, even after the window, answers the same unchanged', () => {
    expect(applyConfirm(confirmed, EXPIRES + 10_000)).toEqual({ ok: true, changed: false, verification: confirmed })
  })

  it.each([
    ['cancelled', 'VERIFICATION_CANCELLED'],
    ['expired', 'VERIFICATION_EXPIRED'],
  ] as const)('applyConfirm — %s → %s', (status, refusal) => {
    expect(applyConfirm(byStatus[status], INSIDE)).toEqual({ ok: false, refusal, verification: byStatus[status] })
  })
})

describe('applyCancel (R10)', () => {
  it.each(['pending', 'verified'] as const)('applyCancel — %s inside the window becomes cancelled with the reason', (status) => {
    const t = applyCancel(byStatus[status], INSIDE, 'backend')
    expect(t).toEqual({ ok: true, changed: true, verification: { ...byStatus[status], status: 'cancelled', cancelledAt: INSIDE, cancelReason: 'backend' } })
  })

  it('applyCancel — cancelled again answers the same, keeping the first reason and time', () => {
    expect(applyCancel(cancelled, EXPIRES + 1, 'superseded')).toEqual({ ok: true, changed: false, verification: cancelled })
  })

  it('applyCancel — pending at exactly expiresAt → VERIFICATION_EXPIRED, expired', () => {
    expect(applyCancel(pending, EXPIRES, 'customer')).toEqual({ ok: false, refusal: 'VERIFICATION_EXPIRED', verification: expired })
  })

  it.each([
    ['confirmed', 'VERIFICATION_CONFIRMED'],
    ['expired', 'VERIFICATION_EXPIRED'],
  ] as const)('applyCancel — %s → %s', (status, refusal) => {
    expect(applyCancel(byStatus[status], INSIDE, 'customer')).toEqual({ ok: false, refusal, verification: byStatus[status] })
  })
})
