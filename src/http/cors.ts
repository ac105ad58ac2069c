import fp from 'fastify-plugin'
import cors from '@fastify/cors'
import type { FastifyRequest } from 'fastify'

// CONTRACT "CORS": a bank's page on its own origin reads and cancels a verification with the
// poll token (the three poll-token routes below) and nothing else. The routes that take an API
// key (create, confirm) never answer CORS, preflight included: a browser must not hold an API
// key, and without these headers it cannot use one cross-origin even if it had it.

const POLL_TOKEN_ROUTES: { method: string; path: RegExp }[] = [
  { method: 'GET', path: /^\/v1\/verifications\/[^/]+$/ },
  { method: 'GET', path: /^\/v1\/verifications\/[^/]+\/events$/ },
  { method: 'POST', path: /^\/v1\/verifications\/[^/]+\/cancel$/ },
]

/** Whether a request (or, for a preflight, the request it announces) is a poll-token route's. */
export function isPollTokenRequest(request: FastifyRequest): boolean {
  const announced = request.headers['access-control-request-method']
  const method = request.method === 'OPTIONS' && typeof announced === 'string' ? announced.toUpperCase() : request.method
  const path = request.url.split('?', 1)[0] ?? ''
  return POLL_TOKEN_ROUTES.some((route) => (route.method === method || (method === 'HEAD' && route.method === 'GET')) && route.path.test(path))
}

export interface CorsOptions {
  /** CORS_ORIGINS: '*' or exact origins. */
  origins: string[]
}

/** Registered in the /v1 scope (app.ts): its preflight route is /v1/*, and only there. */
export default fp<CorsOptions>(async (app, { origins }) => {
  const origin = origins.includes('*') ? '*' : origins
  await app.register(cors, {
    delegator: (request, callback) => {
      // A same-origin request sends no Origin and needs no CORS headers (nor the status poll the bytes).
      if (origins.length === 0 || request.headers.origin === undefined || !isPollTokenRequest(request)) return callback(null, { origin: false })
      callback(null, {
        origin,
        methods: ['GET', 'POST'],
        // Authorization carries the poll token; Last-Event-ID an EventSource's resumption.
        allowedHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID'],
        exposedHeaders: ['Retry-After'],
        credentials: false,
        maxAge: 600,
      })
    },
  })
}, { name: 'cors' })
