import { randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { CallverifyError } from '../domain/errors.js'
import { bearerDigest, bearerToken, sha256 } from '../plugins/auth.js'

// The routes' side of credentials: poll tokens, who may read a verification, and the tokens
// they hand out. The API keys and admin tokens themselves are the auth plugin's (plugins/auth.ts).

// Random bytes are drawn 4 KiB at a time and each handed out once, as node's randomUUID does:
// a call into the CSPRNG per token (two per create) cost more than the bytes themselves.
const pool = Buffer.alloc(4096)
let drawn = pool.length

/** ≥ 128 random bits, URL-safe: verification ids and poll tokens are unguessable. */
export function randomToken(bytes: number): string {
  if (bytes > pool.length) return randomBytes(bytes).toString('base64url')
  if (drawn + bytes > pool.length) {
    randomFillSync(pool)
    drawn = 0
  }
  drawn += bytes
  return pool.toString('base64url', drawn - bytes, drawn)
}

/** The Bearer header, or `?token=` where a browser cannot send headers (the events route, the queues dashboard). */
export function headerOrQueryToken(request: FastifyRequest): string | undefined {
  const header = bearerToken(request)
  if (header !== undefined) return header
  const query = request.query as { token?: unknown } | undefined
  return typeof query?.token === 'string' && query.token !== '' ? query.token : undefined
}

/** sha256 of headerOrQueryToken. */
function headerOrQueryDigest(request: FastifyRequest): Buffer | undefined {
  const header = bearerDigest(request)
  if (header !== undefined) return header
  const token = headerOrQueryToken(request)
  return token === undefined ? undefined : sha256(token)
}

/**
 * Whether the request carries this verification's own poll token: as its Bearer header, or as
 * `?token=` where the route says so (events only: EventSource cannot send headers, and a token
 * in a URL ends up in logs and history, so nowhere else takes one).
 */
export function holdsPollToken(request: FastifyRequest, v: { pollTokenHash: string }, inQuery = false): boolean {
  const presented = inQuery ? headerOrQueryDigest(request) : bearerDigest(request)
  return presented !== undefined && timingSafeEqual(presented, Buffer.from(v.pollTokenHash, 'hex'))
}

/** The tenant of the request's API key (request.tenant, resolved in /v1's onRequest), or 401. */
export function requireTenant(request: FastifyRequest): string {
  if (request.tenant === null) throw unauthorized()
  return request.tenant
}

/** Reading a verification: the owning tenant's API key, or its poll token. Another tenant's is a 404. */
export function authorizeReader(request: FastifyRequest, v: { tenant: string; pollTokenHash: string }, tokenInQuery = false): void {
  if (request.tenant !== null) {
    if (request.tenant !== v.tenant) throw new CallverifyError('NOT_FOUND')
    return
  }
  if (!holdsPollToken(request, v, tokenInQuery)) throw unauthorized()
}

export function unauthorized(): CallverifyError {
  return new CallverifyError('UNAUTHORIZED')
}
