import type { Verification } from '../domain/verification.js'
import type { CreateVerificationInput } from './types.js'

/**
 * R2's allocation view: each allocatable number (weight > 0; weights are whole numbers, the
 * admin schema's Integer) at the running total of the weights up to and including it, so it
 * owns the points [end − weight, end). Built once per pool change, read by every create.
 * The Redis twin is the sorted set pool:active:cdf (lua/includes/pool.lua rebuild_cdf).
 */
export interface WeightIndex {
  readonly keys: readonly string[]
  readonly ends: readonly number[]
  readonly positions: ReadonlyMap<string, number>
  readonly total: number
}

export function weightIndex(entries: Iterable<{ key: string; weight: number }>): WeightIndex {
  const keys: string[] = []
  const ends: number[] = []
  const positions = new Map<string, number>()
  let total = 0
  for (const { key, weight } of entries) {
    if (!(weight > 0)) continue
    total += weight
    positions.set(key, keys.length)
    keys.push(key)
    ends.push(total)
  }
  return { keys, ends, positions, total }
}

/**
 * R2: a weighted random pick among the index's numbers except `busy` (the caller's own open
 * ones); `random` is uniform in [0, 1). One point is drawn over the free weight and moved past
 * each busy number's points below it, so the free numbers keep exactly their weights' shares:
 * O(busy · log busy + log pool). The Lua twin is in lua/createVerification-n.lua.
 */
export function pickWeighted(index: WeightIndex, busy: Iterable<string>, random: number): string | undefined {
  const skipped: { start: number; width: number }[] = []
  let free = index.total
  for (const key of new Set(busy)) {
    const i = index.positions.get(key)
    if (i === undefined) continue
    const start = i === 0 ? 0 : index.ends[i - 1]!
    skipped.push({ start, width: index.ends[i]! - start })
    free -= index.ends[i]! - start
  }
  if (free <= 0) return undefined
  let point = Math.min(Math.floor(random * free), free - 1)
  skipped.sort((a, b) => a.start - b.start)
  for (const s of skipped) if (point >= s.start) point += s.width
  // The first number whose end lies above the point.
  let low = 0
  let high = index.ends.length - 1
  while (low < high) {
    const mid = (low + high) >> 1
    if (index.ends[mid]! > point) high = mid
    else low = mid + 1
  }
  return index.keys[low]
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
