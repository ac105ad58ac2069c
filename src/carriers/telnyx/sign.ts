import { createPrivateKey, sign } from 'node:crypto'
import type { Signer } from '../sign.js'

// Telnyx holds the private key; we hold only its public half (TELNYX_PUBLIC_KEY). This dev
// key's public half is config.ts' dev default, so `npm run simulate-call -- --carrier telnyx`
// works against `npm start`. Production refuses nothing here: it never has this key's public half
// unless someone sets it, and then only the simulator could sign for it.
export const DEV_TELNYX_PRIVATE_KEY = '_ygY_C_x77zZecKQ9AmZcltpJdjEyd-dyVotZKHN2ok'

/** Ed25519 over "<timestamp>|<raw body>", base64 (Telnyx docs, "Webhook signing"); `privateKey` is the JWK `d`. */
export function signTelnyx(privateKey: string, publicKeyX?: string): Signer {
  const key = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: privateKey, x: publicKeyX ?? publicOf(privateKey) }, format: 'jwk' })
  return (request, now) => {
    const timestamp = String(Math.floor(now / 1000))
    const signature = sign(null, Buffer.from(`${timestamp}|${request.body}`), key).toString('base64')
    return { 'telnyx-timestamp': timestamp, 'telnyx-signature-ed25519': signature }
  }
}

/** The JWK `x` of a private `d`: node derives it when given PKCS#8, so go through it once. */
function publicOf(d: string): string {
  // PKCS#8 for Ed25519 is a fixed 16-byte prefix and the 32-byte seed (RFC 8410).
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(d, 'base64url')])
  const jwk = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' })
  return jwk.x!
}
