import { createHmac, timingSafeEqual } from 'node:crypto'

// X-Callverify-Sip-Signature: t=<unix seconds>,v1=<HMAC-SHA256 of "<t>.<raw body>", keyed by
// SIP_SHARED_SECRET, base64url without padding> (what sip/kamailio.cfg's crypto_hmac_sha256
// writes). The timestamp is signed with the body, so a captured report is refused once it is
// more than MAX_SKEW_SECONDS off, and within that the Call-ID is remembered (a replay is a
// duplicate that changes nothing).

export const SIP_SIGNATURE_HEADER = 'x-callverify-sip-signature'
export const MAX_SKEW_SECONDS = 300

function mac(secret: string, timestamp: string, rawBody: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest()
}

/** The header value the edge sends for a body at a time (tests, the simulator). */
export function signSipReport(secret: string, rawBody: string, nowMs: number): string {
  const t = String(Math.floor(nowMs / 1000))
  return `t=${t},v1=${mac(secret, t, rawBody).toString('base64url')}`
}

export function verifySipSignature(options: { secret: string; header: string | undefined; rawBody: Buffer; now: number }): boolean {
  const match = /^t=(\d{1,12}),v1=([A-Za-z0-9_-]{43})$/.exec(options.header ?? '')
  if (!match || !options.secret) return false
  const [, t, v1] = match
  if (Math.abs(options.now / 1000 - Number(t)) > MAX_SKEW_SECONDS) return false
  const given = Buffer.from(v1!, 'base64url')
  const expected = mac(options.secret, t!, options.rawBody)
  return given.length === expected.length && timingSafeEqual(given, expected)
}
