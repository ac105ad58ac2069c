import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify'

// docs/contract.md "CORS": a bank's page on its own origin reads and cancels a verification with the
// poll token and nothing else. A route opts in with `config: { pollTokenCors: true }` (the three
// poll-token routes: GET, events, cancel); this plugin, registered in the /v1 scope, gives each
// of them a CORS hook and a preflight route of its own when it is registered. The routes that
// take an API key (create, confirm) have neither, so they never answer CORS, preflight included
// (an OPTIONS for them finds no route: 404): a browser must not hold an API key, and without
// these headers it cannot use one cross-origin even if it had it.
// Not @fastify/cors: its preflight route is a wildcard answering OPTIONS for every path, and it
// merges its options and reads request.routeOptions (a new object per read) on every request.

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A poll-token route: answers CORS for CORS_ORIGINS, its preflight included (http/cors.ts). */
    pollTokenCors?: boolean
  }
}

export interface CorsOptions {
  /** CORS_ORIGINS: '*' or exact origins; none: no route answers CORS. */
  origins: string[]
}

// Authorization carries the poll token; Last-Event-ID an EventSource's resumption.
const PREFLIGHT_HEADERS = {
  'access-control-allow-methods': 'GET, POST',
  'access-control-allow-headers': 'Authorization, Content-Type, Last-Event-ID',
  'access-control-max-age': '600',
}
const EXPOSE_HEADERS = 'Retry-After'

type Hook = (request: FastifyRequest, reply: FastifyReply, done: () => void) => void

function hooks(existing: RouteOptions['onRequest']): unknown[] {
  return existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]
}

export default fp<CorsOptions>(async (app, { origins }) => {
  if (origins.length === 0) return
  const any = origins.includes('*')
  const allowed = new Set(origins)

  /** The CORS headers of an answer to `request`; a same-origin request sends no Origin and gets none. */
  function addHeaders(request: FastifyRequest, reply: FastifyReply): void {
    // The answer differs by Origin (a shared cache must not hand one origin's answer to another).
    if (!any) reply.header('vary', 'Origin')
    const origin = request.headers.origin
    if (origin === undefined || !(any || allowed.has(origin))) return
    reply.header('access-control-allow-origin', any ? '*' : origin)
    reply.header('access-control-expose-headers', EXPOSE_HEADERS)
  }

  // A callback hook: nothing is awaited on the status poll.
  const answerCors: Hook = (request, reply, done) => {
    addHeaders(request, reply)
    done()
  }

  /** The preflight of one path: the methods it has (HEAD with GET), from an Origin, else no such route. */
  function preflight(methods: ReadonlySet<string>) {
    return (request: FastifyRequest, reply: FastifyReply) => {
      const announced = request.headers['access-control-request-method']
      if (request.headers.origin === undefined || typeof announced !== 'string' || !methods.has(announced.toUpperCase())) {
        return reply.callNotFound()
      }
      addHeaders(request, reply)
      return reply.code(204).headers(PREFLIGHT_HEADERS).header('content-length', '0').send()
    }
  }

  app.addHook('onRoute', function (route) {
    if (route.config?.pollTokenCors !== true) return
    const methods = new Set([route.method].flat().map((m) => m.toUpperCase()))
    if (methods.has('OPTIONS')) return
    // Before the rate limit's hook (plugins/ratelimit.ts): a 429 the page cannot read helps nobody.
    route.onRequest = [answerCors, ...hooks(route.onRequest)] as RouteOptions['onRequest']
    // fastify adds a HEAD route beside each GET one, through this hook too: the GET's preflight covers it.
    if (methods.has('HEAD') && !methods.has('GET')) return
    if (methods.has('GET')) methods.add('HEAD')
    this.options(route.routePath, { schema: { hide: true }, config: { pollTokenCors: false } }, preflight(methods))
  })
}, { name: 'cors' })
