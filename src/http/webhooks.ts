import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Answer, CallCore, CarrierAdapter, CarrierRequest, Endpoint } from '../carriers/core.js'
import { errorSummary } from '../logging.js'
import { CallverifyError } from '../domain/errors.js'
import { errorHandler, sendError } from './errors.js'
import { webhookSchema } from './schemas/webhooks.js'

// /webhooks/<carrier>/<endpoint> for one carrier adapter (docs/contract.md "Carriers"). This file is
// only transport: bytes and headers in, the adapter's answer out; the rules are the call core's.
// Once a request is authenticated, voice and fallback answer nothing but the reject: an error, a
// 5xx or a timeout would send the carrier to its fallback and, failing that, to an answered,
// billed error announcement. Unauthenticated, every answer is 403 INVALID_SIGNATURE.

export interface CarrierRoutesOptions {
  adapter: CarrierAdapter
  core: CallCore
}

declare module 'fastify' {
  interface FastifyRequest {
    /** R6: when the carrier's request arrived (core.now()), before its body was read. */
    arrivedAt: number
  }
}

function mediaType(request: FastifyRequest): string {
  const raw = request.headers['content-type']
  return typeof raw === 'string' ? raw.split(';')[0]!.trim().toLowerCase() : ''
}

function send(reply: FastifyReply, answer: Answer): FastifyReply {
  reply.code(answer.status)
  if (answer.contentType) reply.type(answer.contentType)
  return reply.send(answer.body)
}

export default async function carrierRoutes(app: FastifyInstance, options: CarrierRoutesOptions): Promise<void> {
  const { adapter, core } = options
  const { carrier } = adapter
  const { metrics, config } = app

  // The raw bytes, whatever the content type: a signature covers them (Telnyx) or the form they
  // encode (Twilio, Plivo), and the adapter, not fastify, decides what a body may be.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))
  // R6: the ring is timed from here, before the body is read.
  app.decorateRequest('arrivedAt', 0)
  app.addHook('onRequest', (request, _reply, done) => {
    request.arrivedAt = core.now()
    done()
  })

  function carrierRequest(request: FastifyRequest, rawBody: Buffer | null): CarrierRequest {
    return {
      method: request.method, url: request.url, publicUrl: config.publicBaseUrl + request.url,
      headers: request.headers, rawBody, contentType: mediaType(request),
    }
  }

  function refuse(request: FastifyRequest, reply: FastifyReply, endpoint: Endpoint): FastifyReply {
    metrics.rejectedSignatures.inc({ carrier })
    request.log.warn({ carrier, endpoint }, 'carrier webhook refused: its signature (credential) does not verify')
    return sendError(reply, new CallverifyError('INVALID_SIGNATURE'))
  }

  function nothingToRecord(request: FastifyRequest, reply: FastifyReply, endpoint: Endpoint): FastifyReply {
    core.malformed(carrier, endpoint, request.log)
    return endpoint === 'status' ? reply.code(204).send() : send(reply, adapter.reject(0))
  }

  async function respond(request: FastifyRequest, reply: FastifyReply, endpoint: Endpoint, rawBody: Buffer | null): Promise<FastifyReply> {
    const incoming = carrierRequest(request, rawBody)
    if (!adapter.authenticate(incoming, app.clock())) return refuse(request, reply, endpoint)
    // Signed, but not what this URL takes (a GET, an unreadable body, JSON for a form): the reject.
    if (request.method !== 'POST' || rawBody === null) return nothingToRecord(request, reply, endpoint)
    if (endpoint === 'status') {
      const status = adapter.parseStatus(incoming)
      if (!status) return nothingToRecord(request, reply, endpoint)
      await core.status(carrier, status, request.log)
      return reply.code(204).send()
    }
    const call = adapter.parseCall(incoming)
    if (endpoint === 'fallback') {
      core.fallback(carrier, call?.callId, request.log)
      return send(reply, adapter.reject(0))
    }
    if (!call) return nothingToRecord(request, reply, endpoint)
    const decision = await core.call({ ...call, carrier, receivedAt: request.arrivedAt }, request.log, adapter.ringsItself)
    // During shutdown the socket goes with the answer, so closing does not wait on keep-alive.
    if (decision.closing) reply.header('connection', 'close')
    return send(reply, adapter.reject(decision.ringMs))
  }

  /** fastify could not read the body (too large, aborted): authenticate what there is. */
  const unreadBody = (error: FastifyError) => error.code?.startsWith('FST_ERR_CTP') || error.statusCode === 413 || error.statusCode === 400

  // The status webhook answers an error in the contract's shape (nothing rings there).
  const statusErrors = async function (this: FastifyInstance, error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
    if (unreadBody(error)) return respond(request, reply, 'status', null)
    return errorHandler.call(this, error, request, reply)
  }
  // Voice and fallback answer the reject whatever failed: an error sends the carrier to its
  // fallback and, failing that, the caller to a billed error announcement.
  const callErrors = (endpoint: Endpoint) => async function (error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
    if (unreadBody(error)) return respond(request, reply, endpoint, null)
    request.log.error({ carrier, err: errorSummary(error) }, 'carrier webhook failed: answering the reject')
    return send(reply, adapter.reject(0))
  }

  // One plugin per endpoint, so that each has its own error handler.
  for (const endpoint of adapter.endpoints) {
    await app.register(async (scope) => {
      scope.setErrorHandler(endpoint === 'status' ? statusErrors : callErrors(endpoint))
      scope.route({
        method: ['POST', 'GET'],
        url: `/${adapter.paths?.[endpoint] ?? endpoint}`,
        schema: webhookSchema(carrier, endpoint),
        handler: (request, reply) => respond(request, reply, endpoint, Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)),
      })
    })
  }
}
