import { japanDayNumber } from '../../domain/japan.js'
import { hashedPhone } from '../../domain/phonehash.js'
import type { DayLock, LockStore } from '../roles/locks.js'
import { toDayLock } from './codecs.js'
import { call, type RedisContext, type RedisStoreOptions } from './context.js'

// The locks and counts role in Redis: lock:{tenant}:{hash} and fail:{tenant}:{hash}:{day}, written
// by the verification scripts (includes/verification.lua count_failure); counters by hit-1.lua.

/** A number's lock and day count keys, in pairs: under its HMAC with the current key, then the previous one in a rotation. */
function lockKeys(options: RedisStoreOptions, tenant: string, e164: string, day: number): string[] {
  const { hash, previousHash } = hashedPhone(options.phoneHash, e164)
  return [hash, ...(previousHash ? [previousHash] : [])].flatMap((h) => [`lock:${tenant}:${h}`, `fail:${tenant}:${h}:${day}`])
}

export function redisLocks({ redis, scripts, options, now }: RedisContext): LockStore {
  // During a rotation a lock or a day's failures may sit under either key's hash: both count.
  async function lockState(tenant: string, phoneNumber: string, at: number): Promise<DayLock> {
    const values = await call(() => redis.mget(...lockKeys(options, tenant, phoneNumber, japanDayNumber(at))))
    return toDayLock(tenant, phoneNumber, values)
  }

  return {
    async hit(key, windowMs) {
      const [current, ttlMs] = await scripts.hit({ key, windowMs })
      return { current, ttlMs }
    },
    async getLock(tenant, phoneNumber) {
      return lockState(tenant, phoneNumber, await now())
    },
    async clearLock(tenant, phoneNumber) {
      const at = await now()
      const before = await lockState(tenant, phoneNumber, at)
      await call(() => redis.del(...lockKeys(options, tenant, phoneNumber, japanDayNumber(at))))
      return before
    },
  }
}
