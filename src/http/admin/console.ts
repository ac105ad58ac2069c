import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { CallverifyError } from '../../domain/errors.js'
import type { AdminSession } from '../../store/types.js'
import { unauthorized } from '../auth.js'
import { errorResponses } from '../schemas/errors.js'
import { ConsoleAssetParams, SessionInfo, SignInBody } from '../schemas/console.js'
import { loadAssets, PAGE_HEADERS, sendAsset } from '../static.js'
import { audit } from './auth.js'
import { checkSessionRequest, closeSession, findSession, openSession, refuseCrossSite } from './session.js'

// GET /admin/console: the operations console, a no-build page (public/) on the /admin API,
// and its sign-in: POST /admin/session exchanges an admin token for the session cookie,
// GET answers who is signed in (and the CSRF token, to a page reloaded on its session),
// DELETE signs out. Registered beside the /admin routes, not behind their admin token.

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url))
// Failed or not, sign-ins per client address per 15 minutes: a token cannot be guessed here.
const SIGN_IN_ATTEMPTS = 20
const SIGN_IN_WINDOW_MS = 15 * 60_000

export default async function consoleRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const tenants = [...new Set(app.config.apiKeys.map((k) => k.tenant))]
  const present = (session: AdminSession): SessionInfo => ({
    admin: session.admin, csrfToken: session.csrfToken, expiresAt: new Date(session.expiresAt).toISOString(), tenants,
  })
  const assets = loadAssets(PUBLIC_DIR)
  const page = readFileSync(`${PUBLIC_DIR}index.html`)

  app.get('/console', { schema: { tags: ['admin'], summary: 'The operations console (a web page; sign in with an admin token)' } }, async (_request, reply) =>
    reply.headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(page))

  app.get('/console/assets/:name', { schema: { tags: ['admin'], summary: "The console page's scripts and style sheets", params: ConsoleAssetParams } }, async (request, reply) => {
    const asset = assets.get(request.params.name)
    if (!asset) throw new CallverifyError('NOT_FOUND')
    return sendAsset(reply, asset)
  })

  app.post('/session', {
    schema: {
      tags: ['admin'], summary: 'Sign in to the console: an admin token for an HttpOnly session cookie (Path=/admin, 8 hours)',
      body: SignInBody, response: { 201: SessionInfo, ...errorResponses(400, 401, 403, 429, 503) },
    },
  }, async (request, reply) => {
    refuseCrossSite(request)
    const attempts = await app.store.hit(`signin:${request.ip}`, SIGN_IN_WINDOW_MS)
    if (attempts.current > SIGN_IN_ATTEMPTS) {
      throw new CallverifyError('TOO_MANY_REQUESTS', {}, { retryAfterSeconds: Math.max(1, Math.ceil(attempts.ttlMs / 1000)) })
    }
    const admin = app.auth.adminTokens.match(request.body.token)
    if (admin === undefined) throw new CallverifyError('UNAUTHORIZED', {}, { message: 'Unknown admin token' })
    const session = await openSession(request, reply, admin, request.body.token)
    request.admin = admin
    await audit(request, 'session.open', undefined, undefined, { expiresAt: present(session).expiresAt })
    return reply.code(201).send(present(session))
  })

  app.get('/session', {
    schema: { tags: ['admin'], summary: "The console session's admin and CSRF token", response: { 200: SessionInfo, ...errorResponses(401, 403, 503) } },
  }, async (request) => {
    const found = await findSession(request)
    if (!found) throw unauthorized()
    checkSessionRequest(request, found.session)
    return present(found.session)
  })

  app.delete('/session', {
    schema: {
      tags: ['admin'], summary: 'Sign out: the session ends in the store and its cookie is cleared (needs X-CSRF-Token)',
      response: { 204: Type.Null({ description: 'Signed out' }), ...errorResponses(401, 403, 503) },
    },
  }, async (request, reply) => {
    const found = await findSession(request)
    if (!found) throw unauthorized()
    checkSessionRequest(request, found.session)
    await closeSession(request, reply, found.digest)
    request.admin = found.session.admin
    await audit(request, 'session.close', undefined, undefined, undefined)
    return reply.code(204).send(null)
  })
}
