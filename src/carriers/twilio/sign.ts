import { parseForm } from '../form.js'
import type { Signer } from '../sign.js'
import { signTwilioRequest } from './signature.js'

/** Twilio's scheme (SignalWire's too, under its own header): the form pairs signed with the URL. */
export function signTwilioForm(key: string, headerName: string): Signer {
  return (request) => ({ [headerName]: signTwilioRequest(key, request.url, parseForm(request.method === 'POST' ? request.body : '')) })
}
