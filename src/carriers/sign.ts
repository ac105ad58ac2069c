import type { Config } from '../config.js'
import { signBandwidth } from './bandwidth/sign.js'
import { signPlivoRequest } from './plivo/sign.js'
import { signSipEdge } from './sip/sign.js'
import { signTelnyx, DEV_TELNYX_PRIVATE_KEY } from './telnyx/sign.js'
import { signTwilioForm } from './twilio/sign.js'

// What each carrier adds to a webhook it sends: the simulator (scripts/simulate-call) and the
// carrier contract suite sign with these, from the service's own credentials (dev values by
// default), so a simulated call is authenticated exactly as the carrier's would be.

export interface OutgoingWebhook {
  method: 'POST' | 'GET'
  /** The full URL the carrier calls: PUBLIC_BASE_URL + path + query. */
  url: string
  body: string
  contentType: string
}

/** The headers a carrier sends with this request; `now` (ms) for timestamped schemes. */
export type Signer = (request: OutgoingWebhook, now: number) => Record<string, string>

export interface SignerKeys {
  /** Telnyx signs with a private key we never hold in production; the dev key by default. */
  telnyxPrivateKey?: string
}

export function signerFor(carrier: string, config: Config, keys: SignerKeys = {}): Signer {
  switch (carrier) {
    case 'twilio': return signTwilioForm(config.twilio.authToken, 'x-twilio-signature')
    case 'signalwire': return signTwilioForm(config.signalwire.signingKey, 'x-signalwire-signature')
    case 'telnyx': return signTelnyx(keys.telnyxPrivateKey ?? DEV_TELNYX_PRIVATE_KEY)
    case 'plivo': return signPlivoRequest(config.plivo.authTokens[0] ?? '')
    case 'bandwidth': return signBandwidth(config.bandwidth.username, config.bandwidth.password)
    case 'sip': return signSipEdge(config.sip.sharedSecret)
    default: throw new Error(`no signer for carrier "${carrier}"`)
  }
}
