import type { FastifyReply, FastifyRequest } from 'fastify'
import { CallverifyError } from '../../domain/errors.js'
import { bearerToken, unauthorized } from '../auth.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The admin token's name: who the audit log says made a change. */
    admin?: string
  }
}

/** onRequest hook of every /admin route: an admin token; an API key here is a 403 (docs/contract.md errors). */
export async function requireAdmin(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const app = request.server
  const token = bearerToken(request)
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
export async function audit(request: FastifyRequest, action: string, target: string | undefined, before: unknown, after: unknown): Promise<void> {
  await request.server.store.appendAudit({
    at: Date.now(),
    actor: request.admin ?? 'unknown',
    action,
    ...(target !== undefined ? { target } : {}),
    ...(before !== undefined ? { before } : {}),
    ...(after !== undefined ? { after } : {}),
  })
}
