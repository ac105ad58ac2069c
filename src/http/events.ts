import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { ServerResponse } from 'node:http'
import { Type } from 'typebox'
import { CallverifyError } from '../domain/errors.js'
import { isTerminal, type VerificationStatus } from '../domain/verification.js'
import { errorSummary } from '../logging.js'
import { addressKey } from '../plugins/ratelimit.js'
import { authorizeReader } from './auth.js'
import { presentVerification } from '../domain/present.js'
import { errorResponses } from './schemas/errors.js'
import { BearerAuth } from './schemas/security.js'
import { IdParams } from './schemas/v1.js'
import { Slots } from '../domain/slots.js'

// GET /v1/verifications/:id/events (docs/contract.md): server-sent events for the frontend's
// EventSource. The stream listens to the same per-instance fan-out as the long-poll
// (app.watch, fed by the store's status events from every instance), re-reads the
// verification on each event, and ends after a terminal status.

// docs/contract.md: at most 5 open streams per verification and 50 per client address (per instance:
// what a stream holds is this instance's socket and timers).
const PER_VERIFICATION = 5
const PER_ADDRESS = 50

function tooManyStreams(message: string): CallverifyError {
  return new CallverifyError('TOO_MANY_REQUESTS', {}, { message: `${message}: close one first`, retryAfterSeconds: 5 })
}

export default async function eventsRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const open = new Set<ServerResponse>()
  const byVerification = new Slots(PER_VERIFICATION)
  const byAddress = new Slots(PER_ADDRESS)
  // Streams never end by themselves before the window does: end them so close() can finish.
  app.addHook('preClose', async () => {
    for (const res of open) res.end()
  })

  app.get('/verifications/:id/events', {
    schema: {
      tags: ['v1'], summary: 'Server-sent status events until a terminal status', security: BearerAuth,
      params: IdParams, querystring: Type.Object({ token: Type.Optional(Type.String()) }),
      response: {
        200: Type.String({ description: 'text/event-stream: `event: status` with the GET body' }),
        204: Type.Null({ description: 'An EventSource reconnecting after the terminal event it already has' }),
        ...errorResponses(401, 404, 429),
      },
    },
    config: { rateLimitKind: 'poll', pollTokenCors: true },
  }, async (request, reply) => {
    const { id } = request.params
    request.verificationId = id
    const address = addressKey(request.ip)
    if (!byAddress.take(address)) throw tooManyStreams(`${PER_ADDRESS} event streams are open from this address`)
    if (!byVerification.take(id)) {
      byAddress.release(address)
      throw tooManyStreams(`${PER_VERIFICATION} event streams are open for this verification`)
    }
    const release = () => {
      byAddress.release(address)
      byVerification.release(id)
    }
    try {
      const found = await app.store.getVerification(id)
      if (!found) throw new CallverifyError('NOT_FOUND')
      authorizeReader(request, found.verification, true) // ?token=: EventSource sends no headers
      // An EventSource reconnects after a stream ends; 204 tells it the story is over (the
      // last event it saw, by id, is already this terminal status).
      if (isTerminal(found.verification.status) && request.headers['last-event-id'] === found.verification.status) {
        release()
        return reply.code(204).send(null)
      }
    } catch (error) {
      release()
      throw error
    }

    reply.hijack()
    const res = reply.raw
    // The headers set so far (CORS for a bank's page on another origin) go out with the stream.
    res.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // nginx: do not buffer the stream
    })
    open.add(res)
    let last: VerificationStatus | undefined
    let ended = false
    let windowTimer: NodeJS.Timeout | undefined

    const end = () => {
      if (ended) return
      ended = true
      stop()
      clearInterval(heartbeat)
      clearTimeout(windowTimer)
      open.delete(res)
      release()
      res.end()
    }

    // Reads run one after another, so events go out in the order the store made them.
    let reading: Promise<void> = Promise.resolve()
    const send = () => {
      reading = reading.then(async () => {
        if (ended) return
        const read = await app.store.getVerification(id)
        if (!read || ended) return end()
        const v = read.verification
        if (v.status !== last) {
          last = v.status
          res.write(`id: ${v.status}\nevent: status\ndata: ${JSON.stringify(presentVerification(v, read.now))}\n\n`)
        }
        if (isTerminal(v.status)) return end()
        // Wake at the window end even if no expiry event comes: the read itself expires it.
        clearTimeout(windowTimer)
        windowTimer = setTimeout(send, Math.max(0, v.expiresAt - read.now) + 50)
      }).catch((err: Error) => {
        request.log.warn({ err: errorSummary(err), verificationId: id }, 'event stream ended by a store error')
        end()
      })
    }

    // Listen before the first read, so a change made in between is not missed.
    const stop = app.watch.listen(id, send)
    const heartbeat = setInterval(() => res.write(': ping\n\n'), app.config.sseHeartbeatMs)
    res.on('close', end)
    send()
  })
}
