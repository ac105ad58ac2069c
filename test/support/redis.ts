import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { inject } from 'vitest'

// Each test gets its own key prefix and deletes only its own keys: never FLUSHDB.
export function redisUrl(): string {
  return inject('redisUrl')
}

export function testPrefix(): string {
  return `cvtest:${randomUUID()}:`
}

export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl())
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      cursor = next
      if (keys.length > 0) await redis.del(...keys)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}
