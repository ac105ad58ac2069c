import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { AdminToken, ApiKey } from '../config.js'
import { CallverifyError } from '../domain/errors.js'

// Credentials are compared as sha256 digests in constant time, and every candidate is
// compared (no early exit), so timing tells nothing about which key or how much matched.

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex')
}

export function sameSecret(presented: string, expectedDigest: Buffer): boolean {
  return timingSafeEqual(sha256(presented), expectedDigest)
}

/** ≥ 128 random bits, URL-safe: verification ids and poll tokens are unguessable. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url')
}

/** The `Authorization: Bearer` credential. API keys and admin tokens come only this way. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (typeof header !== 'string') return undefined
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1]
}

/** The Bearer header, or `?token=` where a browser cannot send headers (EventSource, the queues dashboard). */
export function headerOrQueryToken(request: FastifyRequest): string | undefined {
  const header = bearerToken(request)
  if (header !== undefined) return header
  const query = request.query as { token?: unknown } | undefined
  return typeof query?.token === 'string' && query.token !== '' ? query.token : undefined
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
    if (presented === undefined) return undefined
    const digest = sha256(presented)
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

export function unauthorized(): CallverifyError {
  return new CallverifyError('UNAUTHORIZED')
}
