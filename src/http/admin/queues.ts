import { createHmac, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { FastifyAdapter } from '@bull-board/fastify'
import { CallverifyError } from '../../domain/errors.js'
import { headerOrQueryToken } from '../auth.js'
import { sendError } from '../errors.js'
import { audit } from './auth.js'

// The BullMQ dashboard at /admin/queues (Redis mode only), behind the admin tokens. A browser
// cannot send a Bearer header, and the board's page loads its assets and API by itself: so
// `?token=<admin token>` once sets a signed, HttpOnly, SameSite=Strict cookie scoped to this
// path and redirects to the same page without the token (out of history and Referer). curl
// and proxies may send the Bearer header instead. Changes made on the board, and those it
// refuses, are audited.

export const QUEUES_PATH = '/admin/queues'
const COOKIE = 'callverify_queues'
const SESSION_SECONDS = 8 * 3600

/** name.expires.mac, the MAC keyed by that admin's own token: revoking the token ends the session. */
function sessionCookie(name: string, token: string, now: number): string {
  const body = `${name}.${Math.floor(now / 1000) + SESSION_SECONDS}`
  return `${body}.${createHmac('sha256', token).update(body).digest('base64url')}`
}

function sessionAdmin(app: FastifyInstance, request: FastifyRequest): string | undefined {
  const raw = /(?:^|;\s*)callverify_queues=([^;]+)/.exec(request.headers.cookie ?? '')?.[1]
  const parts = raw?.split('.') ?? []
  if (parts.length < 3) return undefined
  const mac = parts.pop()!
  const expires = Number(parts.pop())
  const name = parts.join('.')
  const token = app.config.adminTokens.find((t) => t.name === name)?.token
  if (!token || !(expires * 1000 > Date.now())) return undefined
  const expected = createHmac('sha256', token).update(`${name}.${expires}`).digest()
  const given = Buffer.from(mac, 'base64url')
  return given.length === expected.length && timingSafeEqual(given, expected) ? name : undefined
}

async function authorize(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  // A browser cannot send a Bearer header: the dashboard alone takes `?token=` once, then a cookie.
  const presented = headerOrQueryToken(request)
  const admin = this.auth.adminTokens.match(presented)
  if (admin !== undefined) {
    request.admin = admin
    const query = request.query as Record<string, unknown>
    if (request.method === 'GET' && typeof query.token === 'string' && !request.url.includes('/api/')) {
      const secure = this.config.publicBaseUrl.startsWith('https:') ? '; Secure' : ''
      reply.header('set-cookie', `${COOKIE}=${sessionCookie(admin, presented!, Date.now())}; Path=${QUEUES_PATH}; Max-Age=${SESSION_SECONDS}; HttpOnly; SameSite=Strict${secure}`)
      const url = new URL(request.url, 'http://local')
      url.searchParams.delete('token')
      return reply.redirect(url.pathname + url.search, 303)
    }
    return
  }
  const session = sessionAdmin(this, request)
  if (session !== undefined) {
    request.admin = session
    return
  }
  // Answered here, not thrown: the board's own error handler would reshape a thrown error.
  if (presented !== undefined && this.auth.apiKeys.match(presented) !== undefined) {
    return sendError(reply, new CallverifyError('FORBIDDEN', {}, { message: 'An API key cannot use /admin: use an admin token' }))
  }
  return sendError(reply, new CallverifyError('UNAUTHORIZED', {}, { message: `Open ${QUEUES_PATH}?token=<admin token> once in the browser, or send Authorization: Bearer <admin token>` }))
}

// The callbacks queue holds what the service signs with a bank's API key: adding a job, or
// changing one's data, would have it sign any body to any URL. On the board it is read-only
// but for a retry, which resends a job as the service made it. Global pause/resume reach it too.
const CALLBACKS = 'callbacks'
const RETRY_ROUTES = new Set([`${QUEUES_PATH}/api/queues/:queueName/retry/:queueStatus`, `${QUEUES_PATH}/api/queues/:queueName/:jobId/retry`])
const refused = new WeakSet<FastifyRequest>()

async function readOnlyCallbacks(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  if (request.method === 'GET' || request.method === 'HEAD') return
  const queueName = (request.params as { queueName?: string } | undefined)?.queueName
  const route = request.routeOptions.url ?? ''
  if (queueName !== undefined && (queueName !== CALLBACKS || RETRY_ROUTES.has(route))) return
  refused.add(request)
  const message = queueName === undefined
    ? 'This changes every queue, callbacks included, which is read-only on the dashboard: pause or resume one queue at a time'
    : 'The callbacks queue is read-only on the dashboard: a job can only be retried as the service made it'
  return sendError(reply, new CallverifyError('FORBIDDEN', {}, { message }))
}

/** Registered with prefix /admin/queues after the jobs plugin: its BullMQ queues; nothing in memory mode (no queues). */
export default async function queuesDashboard(app: FastifyInstance): Promise<void> {
  const queues = app.jobs.bullmq
  if (queues.length === 0) return
  const board = new FastifyAdapter()
  board.setBasePath(QUEUES_PATH)
  // A callback job holds its event id only (jobs/callbacks.ts): no URL, body or number for the board to show.
  const adapters = queues.map((q) => new BullMQAdapter(q))
  createBullBoard({ queues: adapters, serverAdapter: board, options: { uiConfig: { boardTitle: 'callverify queues' } } })
  app.addHook('onRequest', authorize)
  app.addHook('onRequest', readOnlyCallbacks)
  app.addHook('onResponse', async (request, reply) => {
    if (request.method === 'GET') return
    if (reply.statusCode < 400) await audit(request, `queues.${request.method.toLowerCase()}`, request.routeOptions.url, undefined, request.params)
    else if (refused.has(request)) await audit(request, 'queues.refused', request.routeOptions.url, undefined, request.params)
  })
  await app.register(board.registerPlugin())
}
