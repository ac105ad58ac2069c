import fp from 'fastify-plugin'
import rateLimit, { normalizeIP } from '@fastify/rate-limit'
import type { FastifyRateLimitStore } from '@fastify/rate-limit'
import { isIPv4 } from 'node:net'
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { CallverifyError } from '../domain/errors.js'
import { HOUR_MS } from '../domain/japan.js'
import type { NumberCount, RateCount } from '../store/types.js'

// docs/contract.md, 429 TOO_MANY_REQUESTS: per API key on every /v1 call a backend makes, per tenant and
// phone number on create, per client address on every /v1 call without a valid API key (the
// frontend's poll token, a wrong credential, none). In Redis mode the counters live in Redis, so
// the limits hold across every instance. Registered in the /v1 scope (app.ts), so its hook goes
// on /v1's routes only: carrier webhooks, ops and admin are never limited here.
// The status poll and create take their counts inside their own store step (rateCountsInStore):
// one round trip instead of two or three, on the two calls made most (npm run bench). Create's
// per-number count is the store's own (rateLimits.perNumber, store/roles/locks.ts NumberCount),
// kept with the number's hash: no counter is named by a number or its digest.

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
  interface FastifyInstance {
    rateLimits: RateLimits
  }
  interface FastifyRequest {
    /** This request's counts, for a rateCountsInStore route's store step; null: none. */
    rateCounts: RateCount[] | null
  }
}

export interface RateLimits {
  /** Create's count per tenant and registered number, taken in its store step (NumberCount). */
  readonly perNumber: NumberCount
}

const MINUTE_MS = 60_000

/** IPv4 as it comes; IPv6 as @fastify/rate-limit normalises it: its /64 subnet (one customer's LAN), a mapped IPv4 as IPv4. */
export const addressKey = (ip: string): string => (isIPv4(ip) ? ip : normalizeIP(ip))

function hooks(existing: RouteOptions['onRequest']): unknown[] {
  return existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]
}

export default fp(async (app) => {
  const { config, store } = app
  app.decorateRequest('rateCounts', null)
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
  // `rl:key:<tenant>`, `rl:addr:<address>` under the store's prefix.
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

  /** Counts one request now (the routes that take no count in a store step). */
  function countNow(request: FastifyRequest, count: RateCount): Promise<void> {
    counting.set(request, count)
    return check(request).then((result) => {
      if (!result.isAllowed && result.isExceeded) {
        throw new CallverifyError('TOO_MANY_REQUESTS', {}, { retryAfterSeconds: Math.max(1, result.ttlInSeconds) })
      }
    })
  }

  app.decorate('rateLimits', { perNumber: { max: config.rateLimits.perPhoneNumber, windowMs: HOUR_MS } } satisfies RateLimits)

  // Each route's hook knows its config from registration (request.routeOptions is rebuilt per read).
  // A callback hook, not an async one: on the status poll and create nothing is awaited here.
  // With an API key (request.tenant, resolved by the auth hook before this one) a request counts
  // against its tenant; without one (a poll token, a wrong key, none) against its client address
  // on every route, before any store step of its own: guessing costs the guesser. Only the poll
  // takes that count in its own script; create refuses such a request before its store step.
  const byCaller = (kind: string | undefined, inStore: boolean) =>
    function rateLimitByCaller(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
      const { tenant } = request
      const count: RateCount = tenant !== null
        ? { key: `key:${tenant}`, max: config.rateLimits.perApiKey, windowMs: MINUTE_MS }
        : { key: `addr:${addressKey(request.ip)}`, max: config.rateLimits.perClientAddress, windowMs: MINUTE_MS }
      if (inStore && (tenant !== null || kind === 'poll')) {
        ;(request.rateCounts ??= []).push(count)
        return done()
      }
      countNow(request, count).then(() => done(), done)
    }

  app.addHook('onRoute', (route) => {
    // A preflight carries no credential and changes nothing (http/cors.ts): not counted.
    if (route.method === 'OPTIONS') return
    route.onRequest = [...hooks(route.onRequest), byCaller(route.config?.rateLimitKind, route.config?.rateCountsInStore === true)] as RouteOptions['onRequest']
  })
}, { name: 'ratelimit', dependencies: ['store', 'auth'] })
