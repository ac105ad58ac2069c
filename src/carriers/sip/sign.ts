import type { Signer } from '../sign.js'
import { SIP_SIGNATURE_HEADER, signSipReport } from './signature.js'

/** What sip/kamailio.cfg's REPORT route sends with each report (the simulator and tests). */
export function signSipEdge(secret: string): Signer {
  return (request, now) => ({ [SIP_SIGNATURE_HEADER]: signSipReport(secret, request.body, now) })
}
