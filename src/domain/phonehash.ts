import { createHmac, createSecretKey, type KeyObject } from 'node:crypto'

// docs/contract.md "Personal data at rest": no store keeps a customer's number in clear. Where a number
// is a key or a field, the store keeps HMAC-SHA256(PHONE_HASH_KEY, E.164) instead, plus the R1
// mask for display. A keyed hash, not a plain one: Japan's numbering plan is small enough
// (~10^10) that an unkeyed SHA-256 of every number is computed in minutes.

export interface PhoneHashKeys {
  current: Buffer
  /** The key before a rotation: every lookup honours both until it is removed. */
  previous?: Buffer
}

/** One number as a store looks it up: its digest under the current key, and under the previous one during a rotation. */
export interface HashedPhone {
  hash: string
  previousHash?: string
}

// Per key its KeyObject, made once (from a Buffer, createHmac makes one on every call).
const secrets = new WeakMap<Buffer, KeyObject>()

/** HMAC-SHA256(key, E.164), base64url: 43 characters. */
export function hashPhoneNumber(key: Buffer, e164: string): string {
  let secret = secrets.get(key)
  if (!secret) secrets.set(key, (secret = createSecretKey(key)))
  return createHmac('sha256', secret).update(e164).digest('base64url')
}

/** The digests a lookup must try: the current key's first, then the previous key's during a rotation. */
export function hashedPhone(keys: PhoneHashKeys, e164: string): HashedPhone {
  const hash = hashPhoneNumber(keys.current, e164)
  return keys.previous ? { hash, previousHash: hashPhoneNumber(keys.previous, e164) } : { hash }
}

/** PHONE_HASH_KEY / PHONE_HASH_PREVIOUS_KEY: hex, or base64 (standard or url-safe), at least 32 bytes. */
export function parsePhoneHashKey(raw: string): Buffer | undefined {
  const text = raw.trim()
  const bytes = /^(?:[0-9a-fA-F]{2})+$/.test(text)
    ? Buffer.from(text, 'hex')
    : /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : undefined
  return bytes && bytes.length >= 32 ? bytes : undefined
}
