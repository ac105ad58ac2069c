import { createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { hashedPhone, hashPhoneNumber } from '../../src/domain/phonehash.js'

// PHONE_HASH_KEY: HMAC-SHA256 of the E.164 number. hashPhoneNumber keeps the last digest per key
// (a create hashes its caller twice in a row); whatever the order of numbers and keys, every
// answer is the HMAC itself.

const hmac = (key: Buffer, e164: string) => createHmac('sha256', key).update(e164).digest('base64url')

describe('hashPhoneNumber', () => {
  it('hashPhoneNumber — answers the HMAC of each number under each key, repeated or interleaved', () => {
    const [k1, k2] = [randomBytes(32), randomBytes(32)]
    const sequence: [Buffer, string][] = [
      [k1, '+819012345678'], [k1, '+819012345678'], [k1, '+819087654321'], [k2, '+819087654321'],
      [k1, '+819012345678'], [k2, '+819012345678'], [k2, '+819012345678'], [k1, '+819087654321'],
    ]
    for (const [key, e164] of sequence) expect(hashPhoneNumber(key, e164), e164).toBe(hmac(key, e164))
    expect(hashPhoneNumber(k1, '+819012345678')).toHaveLength(43)
  })

  it('hashedPhone — the current key, and the previous one during a rotation', () => {
    const [current, previous] = [randomBytes(32), randomBytes(32)]
    expect(hashedPhone({ current }, '+819012345678')).toEqual({ hash: hmac(current, '+819012345678') })
    expect(hashedPhone({ current, previous }, '+819012345678')).toEqual({ hash: hmac(current, '+819012345678'), previousHash: hmac(previous, '+819012345678') })
  })
})
