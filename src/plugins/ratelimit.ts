import fp from 'fastify-plugin'
import rateLimit, { normalizeIP } from '@fastify/rate-limit'
import type { FastifyRateLimitStore } from '@fastify/rate-limit'
import { isIPv4 } from 'node:net'
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { CallverifyError } from '../domain/errors.js'
import { normalizeRegisteredNumber } from '../domain/phone.js'
import { hashedPhone, type PhoneHashKeys } from '../domain/phonehash.js'
import { apiKeyTenant } from '../http/auth.js'
import type { RateCount } from '../store/types.js'

// CONTRACT 429 TOO_MANY_REQUESTS: per API key on every /v1 call a backend makes, per tenant and
// phone number on create, per client address on every /v1 call without a valid API key (the
// frontend's poll token, a wrong credential, none). In Redis mode the counters live in Redis, so the limits hold
// across every instance; carrier webhooks are never limited (their routes get no hook).
// The status poll and create take their counts inside their own store step (rateCountsInStore):
// one round trip instead of two or three, on the two calls made most (npm run bench).

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which limit a /v1 route adds to the per-API-key one (v1.ts sets it). */
    rateLimitKind?: 'create' | 'poll'
    /**
     * The handler hands request.rateCounts to its store step, which takes them in the same round
     * trip (store/types.ts RateCount): the status poll and create, the two calls made most.
     */
    rateCountsInStore?: boolean
  }
  interface FastifyRequest {
    /** This request's counts, for a rateCountsInStore route's store step. */
    rateCounts?: RateCount[]
  }
}

const MINUTE_MS = 60_000
const HOUR_MS = 3_600_000

/**
 * The rate-limit counter of a number, per tenant: never the number itself (R1), its HMAC under
 * PHONE_HASH_KEY (an unkeyed hash of a phone number is reversed by trying them all); during a
 * rotation the previous key's counter counts too, so a rotation resets no limit.
 */
export function phoneCounter(keys: PhoneHashKeys, tenant: string, e164: string): { key: string; previousKey?: string } {
  const { hash, previousHash } = hashedPhone(keys, e164)
  return { key: `phone:${tenant}:${hash}`, ...(previousHash ? { previousKey: `phone:${tenant}:${previousHash}` } : {}) }
}

function registeredNumber(body: unknown): string | undefined {
  const raw = (body as { phoneNumber?: unknown } | undefined)?.phoneNumber
  if (typeof raw !== 'string') return undefined
  try {
    return normalizeRegisteredNumber(raw)
  } catch {
    return undefined // the handler answers INVALID_PHONE_NUMBER
  }
}

/** IPv4 as it comes; IPv6 as @fastify/rate-limit normalises it: its /64 subnet (one customer's LAN), a mapped IPv4 as IPv4. */
export const addressKey = (ip: string): string => (isIPv4(ip) ? ip : normalizeIP(ip))

/** A callback hook's end: at once when the count went to a store step, else when it is taken. */
function settle(counted: Promise<void> | undefined, done: (error?: Error) => void): void {
  if (counted === undefined) done()
  else counted.then(() => done(), done)
}

function hooks(existing: RouteOptions['onRequest'] | RouteOptions['preHandler']): unknown[] {
  return existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]
}

export default fp(async (app) => {
  const { config, store } = app
  // The counters live in the store (Store.hit: a Map in memory, Lua in Redis, where they hold
  // across every instance), so that the routes taking their counts inside a store step and the
  // others count on the same counters. A store that is away lets requests by (skipOnError): the
  // request then answers 503 STORE_UNAVAILABLE from its own store step.
  class StoreCounters implements FastifyRateLimitStore {
    incr(key: string, done: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      store.hit(key, timeWindow).then((hits) => done(null, { current: hits.current, ttl: hits.ttlMs }), done)
    }

    child(): FastifyRateLimitStore {
      return this
    }
  }
  // createRateLimit rather than route config: one counter per API key across all routes, and
  // several limits on one request (route config runs one limiter per request and keys it by route).
  // One limiter without options, told each time which count it is, so that the keys read
  // `rl:key:<tenant>`, `rl:phone:<digest>`, `rl:addr:<address>` under the store's prefix.
  const counting = new WeakMap<FastifyRequest, RateCount>()
  const current = (request: FastifyRequest) => counting.get(request)!
  await app.register(rateLimit, {
    global: false,
    skipOnError: true,
    keyGenerator: (request) => current(request).key,
    max: (request) => current(request).max,
    timeWindow: (request) => current(request).windowMs,
    store: StoreCounters,
  })
  const check = app.createRateLimit()

  /** Counts one request: handed to its store step (undefined), or counted now (a promise). */
  function limiter(max: number, windowMs: number) {
    // previousKey is honoured by the store steps (the only place a per-number count is taken).
    return (request: FastifyRequest, key: string | { key: string; previousKey?: string }, inStore: boolean): Promise<void> | undefined => {
      const count: RateCount = { ...(typeof key === 'string' ? { key } : key), max, windowMs }
      if (inStore) {
        ;(request.rateCounts ??= []).push(count)
        return undefined
      }
      counting.set(request, count)
      return check(request).then((result) => {
        if (!result.isAllowed && result.isExceeded) {
          throw new CallverifyError('TOO_MANY_REQUESTS', {}, { retryAfterSeconds: Math.max(1, result.ttlInSeconds) })
        }
      })
    }
  }
  const perApiKey = limiter(config.rateLimits.perApiKey, MINUTE_MS)
  const perPhoneNumber = limiter(config.rateLimits.perPhoneNumber, HOUR_MS)
  const perClientAddress = limiter(config.rateLimits.perClientAddress, MINUTE_MS)

  // Each route's hooks know its config from registration (request.routeOptions is rebuilt per read).
  // A callback hook, not an async one: on the status poll and create nothing is awaited here.
  // Without an API key (a poll token, a wrong key, none) a request counts against its client
  // address on every route, before any store step of its own: guessing costs the guesser. Only
  // the poll takes that count in its own script; create refuses such a request before its store step.
  const byCaller = (kind: string | undefined, inStore: boolean) =>
    function rateLimitByCaller(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
      const tenant = apiKeyTenant(request, app.apiKeys)
      const counted = tenant !== undefined
        ? perApiKey(request, `key:${tenant}`, inStore)
        : perClientAddress(request, `addr:${addressKey(request.ip)}`, inStore && kind === 'poll')
      settle(counted, done)
    }

  // After validation: the number is read from the checked body, normalised, so 090… and +8190…
  // count as one; the create handler takes it from request.phoneNumber rather than parse it again.
  const byNumber = (inStore: boolean) =>
    function rateLimitByNumber(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
      const tenant = apiKeyTenant(request, app.apiKeys)
      const e164 = tenant === undefined ? undefined : registeredNumber(request.body)
      if (tenant === undefined || e164 === undefined) return done()
      request.phoneNumber = e164
      const counted = perPhoneNumber(request, phoneCounter(config.phoneHash, tenant, e164), inStore)
      settle(counted, done)
    }

  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/v1/')) return
    const kind = route.config?.rateLimitKind
    const inStore = route.config?.rateCountsInStore === true
    route.onRequest = [...hooks(route.onRequest), byCaller(kind, inStore)] as RouteOptions['onRequest']
    if (kind === 'create') route.preHandler = [...hooks(route.preHandler), byNumber(inStore)] as RouteOptions['preHandler']
  })
}, { name: 'ratelimit' })
