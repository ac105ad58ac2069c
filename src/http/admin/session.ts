import { createHmac, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { CallverifyError } from '../../domain/errors.js'
import type { AdminSession } from '../../store/types.js'
import { sha256Hex } from '../../plugins/auth.js'
import { randomToken } from '../auth.js'

// The operations console's session (docs/contract.md "/admin", issue 21): an admin token, presented
// once, is exchanged for a random session id in an HttpOnly, SameSite=Strict cookie scoped to
// /admin (Secure in production), for 8 hours. The store keeps the session under a sha256 of
// that id (a Redis dump gives no usable cookie) with a MAC keyed by the admin token, never the
// token: revoking or rotating a token in ADMIN_TOKENS ends its sessions on the next request.
// Every state-changing request on a session repeats the session's CSRF token in X-CSRF-Token,
// which no cross-origin form or script can send; a cross-site Origin or Sec-Fetch-Site is
// refused as well, before anything is read.

export const SESSION_COOKIE = 'callverify_admin'
export const SESSION_MS = 8 * 3_600_000
export const CSRF_HEADER = 'x-csrf-token'
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

const forbidden = (message: string) => new CallverifyError('FORBIDDEN', {}, { message })

function tokenMac(token: string, digest: string): string {
  return createHmac('sha256', token).update(digest).digest('base64url')
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

export function sessionCookieValue(request: FastifyRequest): string | undefined {
  return new RegExp(`(?:^|;\\s*)${SESSION_COOKIE}=([A-Za-z0-9_-]+)`).exec(request.headers.cookie ?? '')?.[1]
}

function cookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  const { config } = request.server
  const secure = config.production || config.publicBaseUrl.startsWith('https:') ? '; Secure' : ''
  return `${SESSION_COOKIE}=${value}; Path=/admin; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure}`
}

/** Refuses a request another site made the browser send (a form POST, a fetch): its Origin or Sec-Fetch-Site says so. */
export function refuseCrossSite(request: FastifyRequest): void {
  if (request.headers['sec-fetch-site'] === 'cross-site') throw forbidden('A cross-site request cannot use the operations console')
  const origin = request.headers.origin
  if (origin === undefined) return
  const own = [new URL(request.server.config.publicBaseUrl).origin, `${request.protocol}://${request.host}`]
  if (!own.includes(origin)) throw forbidden('A cross-origin request cannot use the operations console')
}

/** Opens a session for the admin whose token this is; answers its CSRF token. */
export async function openSession(request: FastifyRequest, reply: FastifyReply, admin: string, token: string): Promise<AdminSession> {
  const { store, clock } = request.server
  const id = randomToken(32)
  const digest = sha256Hex(id)
  const now = clock()
  const session: AdminSession = { admin, csrfToken: randomToken(32), tokenMac: tokenMac(token, digest), createdAt: now, expiresAt: now + SESSION_MS }
  await store.putSession(digest, session)
  reply.header('set-cookie', cookie(request, id, SESSION_MS / 1000))
  return session
}

/** The request's live session (cookie), or undefined: unknown, expired, or its admin token revoked. */
export async function findSession(request: FastifyRequest): Promise<{ digest: string; session: AdminSession } | undefined> {
  const id = sessionCookieValue(request)
  if (id === undefined) return undefined
  const { store, clock, config } = request.server
  const digest = sha256Hex(id)
  const session = await store.getSession(digest)
  if (!session || session.expiresAt <= clock()) return undefined
  const token = config.adminTokens.find((t) => t.name === session.admin)?.token
  if (token === undefined || !sameText(tokenMac(token, digest), session.tokenMac)) return undefined
  return { digest, session }
}

/** A session's request: cross-site refused, and a change without the session's CSRF token refused (403). */
export function checkSessionRequest(request: FastifyRequest, session: AdminSession): void {
  refuseCrossSite(request)
  if (SAFE_METHODS.has(request.method)) return
  const presented = request.headers[CSRF_HEADER]
  if (typeof presented !== 'string' || !sameText(presented, session.csrfToken)) {
    throw forbidden('A change from the operations console needs its X-CSRF-Token header')
  }
}

/** Ends the request's session in the store and in the browser. */
export async function closeSession(request: FastifyRequest, reply: FastifyReply, digest: string): Promise<void> {
  await request.server.store.deleteSession(digest)
  reply.header('set-cookie', cookie(request, '', 0))
}
