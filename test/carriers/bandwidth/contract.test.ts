import { signBandwidth } from '../../../src/carriers/bandwidth/sign.js'
import { carrierContract } from '../contract.js'

carrierContract({
  carrier: 'bandwidth',
  env: { BANDWIDTH_CALLBACK_USERNAME: 'contract-user', BANDWIDTH_CALLBACK_PASSWORD: 'contract-password' },
  offEnv: { BANDWIDTH_CALLBACK_PASSWORD: '' },
  signer: (config) => signBandwidth(config.bandwidth.username, config.bandwidth.password),
  foreignSigner: (config) => signBandwidth(config.bandwidth.username, 'a-guessed-password'),
  credentialCoversAnyBody: true,
})
