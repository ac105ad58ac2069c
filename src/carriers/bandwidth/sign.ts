import type { Signer } from '../sign.js'

/** HTTP basic auth, as Bandwidth sends it with the application's callback credentials. */
export function signBandwidth(username: string, password: string): Signer {
  return () => ({ authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` })
}
