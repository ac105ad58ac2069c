import * as crypto from 'node:crypto'
import { createHash, timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'

// Who is calling: the credentials of API_KEYS (a tenant's backend) and ADMIN_TOKENS (operations
// staff), compared as sha256 digests in constant time, every candidate compared (no early exit),
// so timing tells nothing about which key or how much matched. The Bearer token is hashed once
// per request (request.bearerDigest) and the tenant resolved once, in the /v1 scope's onRequest
// (request.tenant): the rate limit, the handlers and the log line all read that one answer.

declare module 'fastify' {
  interface FastifyInstance {
    auth: Auth
  }
  interface FastifyRequest {
    /** The tenant whose API key the request presents as its Bearer token; null: none (resolved in /v1 only). */
    tenant: string | null
    /** The admin token's name (or the console session's admin): who the audit log says made a change. */
    admin: string | null
    /** sha256 of the Bearer token: undefined until hashed, null when there is none. */
    bearerDigest: Buffer | null | undefined
  }
}

// crypto.hash hashes in one call, in half the time of createHash().update().digest() (a status
// poll hashes its token); Node 20 has it from 20.12, so older 20s take the long way.
const oneShot = (crypto as Partial<typeof crypto>).hash

export function sha256(value: string): Buffer {
  return oneShot ? oneShot('sha256', value, 'buffer') : createHash('sha256').update(value).digest()
}

export function sha256Hex(value: string): string {
  return oneShot ? oneShot('sha256', value, 'hex') : createHash('sha256').update(value).digest('hex')
}

/** The `Authorization: Bearer` credential. API keys and admin tokens come only this way (the queues dashboard aside). */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (typeof header !== 'string') return undefined
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1]
}

/** sha256 of bearerToken, hashed once per request. */
export function bearerDigest(request: FastifyRequest): Buffer | undefined {
  if (request.bearerDigest === undefined) {
    const token = bearerToken(request)
    request.bearerDigest = token === undefined ? null : sha256(token)
  }
  return request.bearerDigest ?? undefined
}

interface Named {
  name: string
  digest: Buffer
}

/** Finds which of several named secrets a presented one is, in constant time per candidate. */
export class SecretSet {
  private readonly entries: Named[]

  constructor(entries: { name: string; secret: string }[]) {
    this.entries = entries.map((e) => ({ name: e.name, digest: sha256(e.secret) }))
  }

  match(presented: string | undefined): string | undefined {
    return presented === undefined ? undefined : this.matchDigest(sha256(presented))
  }

  matchDigest(digest: Buffer | undefined): string | undefined {
    if (digest === undefined) return undefined
    let found: string | undefined
    for (const entry of this.entries) {
      if (timingSafeEqual(digest, entry.digest) && found === undefined) found = entry.name
    }
    return found
  }
}

export interface Auth {
  /** API_KEYS: each key's name is its tenant. */
  apiKeys: SecretSet
  adminTokens: SecretSet
  /** onRequest of the /v1 scope: sets request.tenant from the Bearer API key, once. */
  resolveTenant(request: FastifyRequest, reply: FastifyReply, done: () => void): void
}

export default fp(async (app) => {
  const { config } = app
  const apiKeys = new SecretSet(config.apiKeys.map((k) => ({ name: k.tenant, secret: k.key })))
  const adminTokens = new SecretSet(config.adminTokens.map((t) => ({ name: t.name, secret: t.token })))
  // Declared here, before any route scope copies the request's shape (fastify/lib/request.js).
  app.decorateRequest('tenant', null)
  app.decorateRequest('admin', null)
  app.decorateRequest('bearerDigest', undefined)
  // A callback hook: nothing is awaited, so no promise per request.
  function resolveTenant(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
    request.tenant = apiKeys.matchDigest(bearerDigest(request)) ?? null
    done()
  }
  app.decorate('auth', { apiKeys, adminTokens, resolveTenant })
}, { name: 'auth' })
