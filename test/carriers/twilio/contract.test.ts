import { signTwilioForm } from '../../../src/carriers/twilio/sign.js'
import { carrierContract } from '../contract.js'

carrierContract({
  carrier: 'twilio',
  env: { TWILIO_AUTH_TOKEN: 'contract-twilio-token' },
  offEnv: { TWILIO_AUTH_TOKEN: '' },
  signer: (config) => signTwilioForm(config.twilio.authToken, 'x-twilio-signature'),
  foreignSigner: () => signTwilioForm('someone-elses-token', 'x-twilio-signature'),
  credentialCoversAnyBody: false,
})
