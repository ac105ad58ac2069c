import type { Verification } from '../domain/verification.js'
import type { CreateVerificationInput } from './types.js'

/** R2: a weighted random pick; `random` is uniform in [0, 1). The Lua twin is in lua/createVerification-n.lua. */
export function pickWeighted(candidates: readonly { key: string; weight: number }[], random: number): string | undefined {
  const total = candidates.reduce((sum, c) => sum + c.weight, 0)
  if (total <= 0) return undefined
  let point = random * total
  for (const c of candidates) {
    point -= c.weight
    if (point < 0) return c.key
  }
  return candidates[candidates.length - 1]?.key
}

/** The verification a create opens on `verificationNumber` at `now` (both stores; '' is none, as in Redis). */
export function openedVerification(input: CreateVerificationInput, phone: { hash: string; masked: string }, verificationNumber: string, now: number): Verification {
  const verification: Verification = {
    id: input.id,
    tenant: input.tenant,
    phoneMasked: phone.masked,
    phoneHash: phone.hash,
    verificationNumber,
    status: 'pending',
    createdAt: now,
    expiresAt: now + input.windowMs,
    calls: 0,
    pollTokenHash: input.pollTokenHash,
  }
  if (input.reference) verification.reference = input.reference
  if (input.callbackUrl) verification.callbackUrl = input.callbackUrl
  return verification
}
