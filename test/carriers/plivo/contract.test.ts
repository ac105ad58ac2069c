import { signPlivoRequest } from '../../../src/carriers/plivo/sign.js'
import { carrierContract } from '../contract.js'

// Two tokens while rotating (docs/contract.md "The carriers"): Plivo signs with the new one.
carrierContract({
  carrier: 'plivo',
  env: { PLIVO_AUTH_ID: 'MAZDQ1ZDM5ZTI2NTQ3NT', PLIVO_AUTH_TOKEN: 'old-contract-token,new-contract-token' },
  offEnv: { PLIVO_AUTH_TOKEN: '' },
  signer: () => signPlivoRequest('new-contract-token'),
  foreignSigner: () => signPlivoRequest('someone-elses-token'),
  credentialCoversAnyBody: false,
})
