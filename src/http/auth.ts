import * as crypto from 'node:crypto'
import { createHash, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { AdminToken, ApiKey } from '../config.js'
import { CallverifyError } from '../domain/errors.js'

// Credentials are compared as sha256 digests in constant time, and every candidate is
// compared (no early exit), so timing tells nothing about which key or how much matched.

declare module 'fastify' {
  interface FastifyRequest {
    /** sha256 of the Bearer token (null: none): the rate limit, the API key and the poll token check each need it once. */
    bearerDigest?: Buffer | null
  }
}

// crypto.hash hashes in one call, in half the time of createHash().update().digest() (a status
// poll hashes its token); Node 20 has it from 20.12, so older 20s take the long way.
const oneShot = (crypto as Partial<typeof crypto>).hash

export function sha256(value: string): Buffer {
  return oneShot ? oneShot('sha256', value, 'buffer') : createHash('sha256').update(value).digest()
}

export function sha256Text(value: string, encoding: 'hex' | 'base64url'): string {
  return oneShot ? oneShot('sha256', value, encoding) : createHash('sha256').update(value).digest(encoding)
}

export function sha256Hex(value: string): string {
  return sha256Text(value, 'hex')
}

/** A presented digest against the expected one. */
function sameDigest(presented: Buffer | undefined, expectedDigest: Buffer): boolean {
  return presented !== undefined && timingSafeEqual(presented, expectedDigest)
}

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

/** The `Authorization: Bearer` credential. API keys and admin tokens come only this way. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (typeof header !== 'string') return undefined
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1]
}

/** The Bearer header, or `?token=` where a browser cannot send headers (the events route, the queues dashboard). */
export function headerOrQueryToken(request: FastifyRequest): string | undefined {
  const header = bearerToken(request)
  if (header !== undefined) return header
  const query = request.query as { token?: unknown } | undefined
  return typeof query?.token === 'string' && query.token !== '' ? query.token : undefined
}

/** sha256 of bearerToken, hashed once per request. */
export function bearerDigest(request: FastifyRequest): Buffer | undefined {
  if (request.bearerDigest === undefined) {
    const token = bearerToken(request)
    request.bearerDigest = token === undefined ? null : sha256(token)
  }
  return request.bearerDigest ?? undefined
}

/** sha256 of headerOrQueryToken. */
function headerOrQueryDigest(request: FastifyRequest): Buffer | undefined {
  const header = bearerDigest(request)
  if (header !== undefined) return header
  const token = headerOrQueryToken(request)
  return token === undefined ? undefined : sha256(token)
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

export function apiKeySet(keys: ApiKey[]): SecretSet {
  return new SecretSet(keys.map((k) => ({ name: k.tenant, secret: k.key })))
}

export function adminTokenSet(tokens: AdminToken[]): SecretSet {
  return new SecretSet(tokens.map((t) => ({ name: t.name, secret: t.token })))
}

/**
 * Whether the request carries this verification's own poll token: as its Bearer header, or as
 * `?token=` where the route says so (events only: EventSource cannot send headers, and a token
 * in a URL ends up in logs and history, so nowhere else takes one).
 */
export function holdsPollToken(request: FastifyRequest, v: { pollTokenHash: string }, inQuery = false): boolean {
  return sameDigest(inQuery ? headerOrQueryDigest(request) : bearerDigest(request), Buffer.from(v.pollTokenHash, 'hex'))
}

/** The tenant whose API key the request presents as its Bearer token, if it presents one. */
export function apiKeyTenant(request: FastifyRequest, apiKeys: SecretSet): string | undefined {
  return apiKeys.matchDigest(bearerDigest(request))
}

/** Reading a verification: the owning tenant's API key, or its poll token. Another tenant's is a 404. */
export function authorizeReader(request: FastifyRequest, apiKeys: SecretSet, v: { tenant: string; pollTokenHash: string }, tokenInQuery = false): void {
  const tenant = apiKeyTenant(request, apiKeys)
  if (tenant !== undefined) {
    if (tenant !== v.tenant) throw new CallverifyError('NOT_FOUND')
    request.tenant = tenant
    return
  }
  if (!holdsPollToken(request, v, tokenInQuery)) throw unauthorized()
}

export function unauthorized(): CallverifyError {
  return new CallverifyError('UNAUTHORIZED')
}
