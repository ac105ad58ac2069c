import type { FastifyReply, FastifyRequest } from 'fastify'
import { CallverifyError } from '../../domain/errors.js'
import { bearerToken, unauthorized } from '../auth.js'
import { checkSessionRequest, findSession } from './session.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The admin token's name: who the audit log says made a change. */
    admin?: string
  }
}

/**
 * onRequest for every /admin route: an admin token; an API key here is a 403 (docs/contract.md errors).
 * Without a Bearer header, the operations console's session cookie, with its CSRF rules (session.ts).
 */
export async function requireAdmin(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const app = request.server
  const token = bearerToken(request)
  if (token === undefined) {
    const found = await findSession(request)
    if (found === undefined) throw unauthorized()
    checkSessionRequest(request, found.session)
    request.admin = found.session.admin
    request.adminSession = found.session
    return
  }
  const admin = app.adminTokens.match(token)
  if (admin !== undefined) {
    request.admin = admin
    return
  }
  if (app.apiKeys.match(token) !== undefined) {
    throw new CallverifyError('FORBIDDEN', {}, { message: 'An API key cannot use /admin: use an admin token' })
  }
  throw unauthorized()
}

/** Writes one audit entry for a change made through /admin. */
export async function audit(request: FastifyRequest, action: string, target: string | undefined, before: unknown, after: unknown, reason?: string): Promise<void> {
  await request.server.store.appendAudit({
    at: request.server.clock(),
    actor: request.admin ?? 'unknown',
    action,
    ...(target !== undefined ? { target } : {}),
    ...(reason ? { reason } : {}),
    ...(before !== undefined ? { before } : {}),
    ...(after !== undefined ? { after } : {}),
  })
}
