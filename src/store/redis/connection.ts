import { once } from 'node:events'
import { Redis, type RedisOptions } from 'ioredis'
import { CallverifyError } from '../../domain/errors.js'

// Requests must fail fast while Redis is away (503 STORE_UNAVAILABLE within a second) rather
// than wait in ioredis' offline queue; reconnection goes on in the background by itself.
export const STORE_CONNECTION_OPTIONS: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 1000,
  connectTimeout: 2000,
  retryStrategy: (times) => Math.min(100 * times, 1000),
}

export function connectRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { ...STORE_CONNECTION_OPTIONS, lazyConnect: false, ...options })
}

/** Waits for the first connection, so that start-up fails loudly instead of serving 503s. */
export async function waitReady(redis: Redis, timeoutMs = 5000): Promise<void> {
  if (redis.status === 'ready') return
  const timer = AbortSignal.timeout(timeoutMs)
  try {
    await once(redis, 'ready', { signal: timer })
  } catch {
    throw new Error(`Redis did not answer within ${timeoutMs} ms: start one (redis-server) or set REDIS_URL`)
  }
}

/** Any failure to reach Redis is the contract's STORE_UNAVAILABLE; nothing was half-written. */
export function storeUnavailable(): CallverifyError {
  return new CallverifyError('STORE_UNAVAILABLE', {}, { retryAfterSeconds: 1 })
}

export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  return /Stream isn't writeable|Connection is closed|Command timed out|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|enableOfflineQueue|Reached the max retries|LOADING|READONLY|MASTERDOWN/i.test(error.message)
}
