import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import formbody from '@fastify/formbody'
import { HeldCalls } from '../carriers/twilio/held.js'
import { parseStatusParams, parseVoiceParams, type VoiceParams } from '../carriers/twilio/params.js'
import { verifyTwilioSignature } from '../carriers/twilio/signature.js'
import { REJECT_BUSY_TWIML, TWIML_CONTENT_TYPE } from '../carriers/twilio/twiml.js'
import { CallverifyError } from '../domain/errors.js'
import { isWithheldCaller, maskPhoneNumber, normalizeCaller } from '../domain/phone.js'
import { errorHandler, sendError } from './errors.js'
import { errorSummary } from '../logging.js'
import { FallbackSchema, StatusSchema, VoiceSchema } from './schemas/webhooks.js'

// The carrier (CONTRACT.md "/webhooks/twilio"). Once a request is signed, the voice and
// fallback URLs answer nothing but the reject: an error, a 5xx or a timeout would send Twilio
// to the fallback URL and, if that failed too, to an answered, billed error announcement.

/** calls{kind}: a store outcome (CallOutcome), or one of these. */
type CallKind = string

/** Why a call could not be recorded; it is still rejected like any other. */
const STORE_FAILED: CallKind = 'store-unavailable'

function reject(reply: FastifyReply): FastifyReply {
  return reply.code(200).type(TWIML_CONTENT_TYPE).send(REJECT_BUSY_TWIML)
}

export default async function webhookRoutes(app: FastifyInstance): Promise<void> {
  // Form bodies are parsed only here, where the carrier posts them: nowhere else can a
  // cross-site HTML form reach a handler (no CORS preflight guards a urlencoded POST).
  await app.register(formbody)
  const { store, config, metrics } = app
  const held = new HeldCalls(metrics.heldCalls)
  const signed = new WeakSet<FastifyRequest>()

  // Held answers survive shutdown (CONTRACT "voice"). app.close() marks the app closing, runs
  // preClose, closes the listener and waits for open requests, then runs onClose. Here every held
  // caller hears the reject at once; a call still on its way to the store skips the ring. A new
  // call from now on is refused (fastify's 503 while the listener is still open, then a refused
  // connection), so Twilio requests the fallback URL, which the load balancer sends elsewhere.
  app.addHook('preClose', async () => {
    const released = held.releaseAll()
    if (released > 0) app.log.info({ released }, 'shutdown: answered held calls')
  })

  function refuseSignature(request: FastifyRequest, reply: FastifyReply, reason: string): FastifyReply {
    metrics.rejectedSignatures.inc()
    request.log.warn({ route: request.routeOptions.url, reason }, 'carrier webhook refused: signature does not verify')
    return sendError(reply, new CallverifyError('INVALID_SIGNATURE'))
  }

  // Checked against PUBLIC_BASE_URL, never Host or X-Forwarded-*: those are the sender's to choose.
  app.addHook('preValidation', async (request, reply) => {
    const signature = request.headers['x-twilio-signature']
    const ok = verifyTwilioSignature({
      authToken: config.twilio.authToken, publicBaseUrl: config.publicBaseUrl, url: request.url, params: request.body, signature,
    })
    if (ok) signed.add(request)
    else return refuseSignature(request, reply, signature === undefined ? 'missing' : 'mismatch')
  })

  app.setErrorHandler(function (this: FastifyInstance, error: FastifyError, request, reply) {
    // A body fastify could not read (wrong type, too large) cannot be verified either.
    if (!signed.has(request)) return refuseSignature(request, reply, 'unreadable body')
    if (request.routeOptions.url?.endsWith('/status')) return errorHandler.call(this, error, request, reply)
    request.log.error({ err: errorSummary(error) }, 'carrier webhook failed: answering the reject')
    return reject(reply)
  })

  function malformed(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    // Signed, so Twilio (or someone holding our auth token) sent it; there is no call to ring for.
    metrics.calls.inc({ kind: 'malformed' })
    request.log.warn({ route: request.routeOptions.url }, 'carrier webhook malformed: nothing recorded')
    return request.routeOptions.url?.endsWith('/status') ? reply.code(204).send() : reject(reply)
  }

  async function recordCall(request: FastifyRequest, call: VoiceParams): Promise<CallKind> {
    const log = { callSid: call.callSid, to: call.to }
    try {
      const from = normalizeCaller(call.from)
      if (!from) {
        // Digits, but no valid number: nobody's registered number. Counted like a withheld
        // call (it verifies nothing), rung like any unmatched one (it is not withheld, R5).
        await store.recordWithheldCall(call.to, call.callSid)
        request.log.info({ ...log, outcome: 'unmatched', caller: 'invalid' }, 'voice call')
        return 'unmatched'
      }
      const { outcome } = await store.recordCall({ callSid: call.callSid, from, to: call.to })
      request.log.info({ ...log, outcome, caller: maskPhoneNumber(from) }, 'voice call')
      return outcome
    } catch (error) {
      request.log.error({ ...log, err: errorSummary(error) }, 'voice call not recorded: the store failed; rejecting as usual')
      return STORE_FAILED
    }
  }

  app.post('/voice', { schema: VoiceSchema }, async (request, reply) => {
    const call = parseVoiceParams(request.body)
    if (!call) return malformed(request, reply)
    if (isWithheldCaller(call.from)) {
      // R5: nothing to verify, so no ring either; counted on the pool number.
      metrics.calls.inc({ kind: 'withheld' })
      await store.recordWithheldCall(call.to, call.callSid).catch((error: unknown) => {
        request.log.error({ callSid: call.callSid, err: errorSummary(error) }, 'withheld call not recorded: the store failed')
      })
      return reject(reply)
    }
    // R6: the ring starts at arrival, so a slow store does not lengthen it and every outcome
    // (verified, unmatched, unknown To, expired, store down) takes the same time.
    const ringing = held.hold(config.ringDelayMs)
    metrics.calls.inc({ kind: await recordCall(request, call) })
    await ringing
    // During shutdown the socket goes with the answer, so closing does not wait on keep-alive.
    if (held.closing) reply.header('connection', 'close')
    return reject(reply)
  })

  // What Twilio requests when the voice URL failed: the same reject, at once, no store.
  app.post('/fallback', { schema: FallbackSchema }, async (request, reply) => {
    const call = parseVoiceParams(request.body)
    metrics.calls.inc({ kind: 'fallback' })
    request.log.warn({ callSid: call?.callSid, errorCode: call?.errorCode }, 'voice fallback: the voice URL failed')
    return reject(reply)
  })

  app.post('/status', { schema: StatusSchema }, async (request, reply) => {
    const status = parseStatusParams(request.body)
    if (!status) return malformed(request, reply)
    const { answered, number } = await store.recordCallStatus({
      callSid: status.callSid, to: status.to, status: status.callStatus, durationSeconds: status.callDuration ?? 0,
    })
    if (answered) {
      // Every answer is a reject, so an answered call means the number is not pointed at us.
      metrics.calls.inc({ kind: 'answered' })
      request.log.error(
        { number: status.to, callSid: status.callSid, durationSeconds: status.callDuration, state: number?.state ?? 'not in the pool' },
        'a verification number answered a call: quarantined; check its voice URL at the carrier',
      )
    }
    return reply.code(204).send()
  })
}
