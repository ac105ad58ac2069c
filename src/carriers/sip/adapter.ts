import type { Config } from '../../config.js'
import type { CarrierAdapter } from '../core.js'
import { header, readForm } from '../form.js'
import { parseSipInvite } from './invite.js'
import { SIP_SIGNATURE_HEADER, verifySipSignature } from './signature.js'

// The SIP edge (sip/kamailio.cfg) as a carrier: it reports each INVITE to /webhooks/sip/invite,
// signed with SIP_SHARED_SECRET, and rings and rejects the call itself (180, then 486 after
// RING_DELAY_MS from the INVITE's arrival at the edge). So the answer here comes at once and
// says nothing the edge would act on: whatever it is, or if none comes, the caller hears 486.

export function createSipAdapter(config: Config): CarrierAdapter | null {
  const secret = config.sip.sharedSecret
  if (!secret) return null
  return {
    carrier: 'sip',
    endpoints: ['invite'],
    ringsItself: true,
    authenticate: (request, now) => request.rawBody !== null && verifySipSignature({
      secret, header: header(request, SIP_SIGNATURE_HEADER), rawBody: request.rawBody, now,
    }),
    parseCall: (request) => {
      const form = readForm(request)
      return form ? parseSipInvite(form) : null
    },
    // The edge sends no hang-up callbacks: a call it rejects is never answered.
    parseStatus: () => null,
    reject: () => ({ status: 204 }),
  }
}
