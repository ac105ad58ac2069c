import { signTwilioForm } from '../../../src/carriers/twilio/sign.js'
import { carrierContract } from '../contract.js'

carrierContract({
  carrier: 'signalwire',
  env: { SIGNALWIRE_SIGNING_KEY: 'PSK_contract_signing_key' },
  offEnv: { SIGNALWIRE_SIGNING_KEY: '' },
  signer: (config) => signTwilioForm(config.signalwire.signingKey, 'x-signalwire-signature'),
  foreignSigner: () => signTwilioForm('PSK_someone_else', 'x-signalwire-signature'),
  credentialCoversAnyBody: false,
})
