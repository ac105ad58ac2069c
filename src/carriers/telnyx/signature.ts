import { createPublicKey, verify, type KeyObject } from 'node:crypto'

// Telnyx signs each webhook with Ed25519 over "<telnyx-timestamp>|<raw body>" and sends the
// signature base64 in telnyx-signature-ed25519 (Telnyx docs, "Webhook signing"; the telnyx SDK's
// TelnyxWebhook.verify, which test/carriers/telnyx/signature.test.ts holds this equal to). The
// raw body is what is verified: re-encoding a parsed form would change the bytes.

/** Telnyx refuses more than this much skew, and so do we (replay of a captured request). */
export const TELNYX_TOLERANCE_SECONDS = 300

/** TELNYX_PUBLIC_KEY (base64 of the 32-byte key, as Mission Control shows it) → a key, or null. */
export function telnyxPublicKey(base64: string): KeyObject | null {
  const raw = Buffer.from(base64, 'base64')
  if (raw.length !== 32 || raw.toString('base64') !== base64) return null
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' })
  } catch {
    return null
  }
}

export interface TelnyxSigned {
  key: KeyObject
  timestamp: string | undefined
  signature: string | undefined
  rawBody: Buffer
  /** ms since epoch. */
  now: number
}

export function verifyTelnyxSignature(request: TelnyxSigned): boolean {
  const { timestamp, signature } = request
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false
  if (Math.abs(Math.floor(request.now / 1000) - Number(timestamp)) > TELNYX_TOLERANCE_SECONDS) return false
  const sig = Buffer.from(signature, 'base64')
  if (sig.length !== 64) return false
  const signed = Buffer.concat([Buffer.from(`${timestamp}|`), request.rawBody])
  try {
    return verify(null, signed, request.key, sig)
  } catch {
    return false
  }
}
