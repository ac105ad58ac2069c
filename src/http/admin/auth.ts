import type { FastifyReply, FastifyRequest } from 'fastify'
import { CallverifyError } from '../../domain/errors.js'
import { bearerDigest } from '../../plugins/auth.js'
import { unauthorized } from '../auth.js'
import { checkSessionRequest, findSession } from './session.js'

/**
 * The onRequest hook of every /admin route (admin/index.ts): an admin token sets request.admin;
 * an API key here is a 403 (docs/contract.md errors). Without a Bearer header, the operations
 * console's session cookie, with its CSRF rules (session.ts).
 */
export async function requireAdmin(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const { auth } = request.server
  const digest = bearerDigest(request)
  if (digest === undefined) {
    const found = await findSession(request)
    if (found === undefined) throw unauthorized()
    checkSessionRequest(request, found.session)
    request.admin = found.session.admin
    return
  }
  const admin = auth.adminTokens.matchDigest(digest)
  if (admin !== undefined) {
    request.admin = admin
    return
  }
  if (auth.apiKeys.matchDigest(digest) !== undefined) {
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
