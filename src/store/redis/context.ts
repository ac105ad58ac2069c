import type { Redis } from 'ioredis'
import type { RedisTarget } from '../../config.js'
import { toStoreError } from '../failure.js'
import type { StoreOptions } from '../types.js'
import type { Scripts } from './scripts.js'

// What the Redis store's roles share: one connection (prefixed, its writes coalesced), the
// scripts on it, and the store's clock.

export interface RedisStoreOptions extends StoreOptions {
  /** A redis:// URL, or the Sentinels (config.redis). */
  url: RedisTarget
  keyPrefix: string
}

export interface RedisContext {
  readonly redis: Redis
  readonly scripts: Scripts
  readonly options: RedisStoreOptions
  /** Redis TIME, in ms: windows are judged by it. */
  now(): Promise<number>
}

// No driver error leaves the store: its command's args hold callers' hashes, URLs and Lua sources.
export const rejectAsStoreError = (error: unknown): Promise<never> => Promise.reject(toStoreError(error))

/** A plain command's reply, or the store's error for it; a chained catch, not an async wrapper: one promise fewer. */
export function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return run().catch(rejectAsStoreError)
  } catch (error) {
    return rejectAsStoreError(error)
  }
}

export function storeClock(redis: Redis): () => Promise<number> {
  return async () => {
    const [seconds, micros] = await call(() => redis.time())
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)
  }
}
