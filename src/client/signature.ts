import { createHmac, timingSafeEqual } from 'node:crypto'

// docs/contract.md "Event callbacks": Callverify-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "t.rawBody" keyed by the API key>, one v1 per key of the tenant while keys are rotated.

export interface VerifyCallbackSignatureOptions {
  /** The request body exactly as received (before any JSON parsing). */
  rawBody: string | Uint8Array
  /** The Callverify-Signature header. */
  signature: string | string[] | undefined | null
  /** Your API keys: during a rotation, the old and the new; any one that matches will do. */
  apiKeys: readonly string[]
  /** How old (or how far ahead) t may be: refuses replays of an old delivery. */
  toleranceSeconds?: number
  /** Now, in ms since the epoch (tests). */
  now?: number
}

/** True only for a fresh, valid signature; every candidate is compared in constant time. */
export function verifyCallbackSignature({ rawBody, signature, apiKeys, toleranceSeconds = 300, now = Date.now() }: VerifyCallbackSignatureOptions): boolean {
  const header = Array.isArray(signature) ? signature.join(',') : signature
  if (typeof header !== 'string' || apiKeys.length === 0) return false
  const parts = header.split(',').map((part) => {
    const at = part.indexOf('=')
    return at < 0 ? ['', ''] : [part.slice(0, at).trim(), part.slice(at + 1).trim()]
  })
  const stamps = parts.filter(([k]) => k === 't')
  if (stamps.length !== 1 || !/^\d{1,12}$/.test(stamps[0]![1]!)) return false
  const t = stamps[0]![1]!
  if (Math.abs(now / 1000 - Number(t)) > toleranceSeconds) return false
  const presented = parts.filter(([k, v]) => k === 'v1' && /^[0-9a-f]{64}$/i.test(v!)).map(([, v]) => Buffer.from(v!, 'hex'))
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : Buffer.from(rawBody)
  let valid = false
  // No early exit: the time taken does not say which key or which signature matched.
  for (const key of apiKeys) {
    const expected = createHmac('sha256', key).update(`${t}.`).update(body).digest()
    for (const candidate of presented) if (timingSafeEqual(candidate, expected)) valid = true
  }
  return valid
}
