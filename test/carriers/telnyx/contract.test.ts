import { generateKeyPairSync } from 'node:crypto'
import { signTelnyx } from '../../../src/carriers/telnyx/sign.js'
import { carrierContract } from '../contract.js'

function keyPair(): { publicKey: string; d: string; x: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const x = publicKey.export({ format: 'jwk' }).x!
  return { publicKey: Buffer.from(x, 'base64url').toString('base64'), d: privateKey.export({ format: 'jwk' }).d!, x }
}
const ours = keyPair()
const theirs = keyPair()

carrierContract({
  carrier: 'telnyx',
  env: { TELNYX_PUBLIC_KEY: ours.publicKey },
  offEnv: { TELNYX_PUBLIC_KEY: '' },
  signer: () => signTelnyx(ours.d, ours.x),
  foreignSigner: () => signTelnyx(theirs.d, theirs.x),
  credentialCoversAnyBody: true,
})
