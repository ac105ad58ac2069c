import { randomBytes } from 'node:crypto'
import type { Signer } from '../sign.js'
import { parseForm } from '../form.js'
import { signPlivo } from './signature.js'

/** X-Plivo-Signature-V3 with a fresh nonce, as Plivo sends it. */
export function signPlivoRequest(authToken: string): Signer {
  return (request) => {
    const params = parseForm(request.method === 'POST' ? request.body : '')
    const nonce = randomBytes(10).toString('hex')
    return { 'x-plivo-signature-v3': signPlivo(authToken, request.method, request.url, params, nonce), 'x-plivo-signature-v3-nonce': nonce }
  }
}
