import { EventEmitter } from 'node:events'
import type { EventStore, StatusEvent } from '../roles/events.js'
import { openRedis, STORE_CONNECTION_OPTIONS, waitReady } from './connection.js'
import type { RedisContext, RedisStoreOptions } from './context.js'
import { createRedisOutbox } from './outbox.js'

// The events role in Redis: every status-changing script appends to the stream `outbox` and
// publishes on {prefix}events (includes/verification.lua publish); one subscriber connection per
// store hears every instance's changes.

export interface StatusChannel {
  readonly events: EventEmitter
  close(): Promise<void>
}

/** Subscribes to the prefix's status channel on a connection of its own (a subscriber can do nothing else). */
export async function openStatusChannel(options: RedisStoreOptions): Promise<StatusChannel> {
  const subscriber = openRedis(options.url, { ...STORE_CONNECTION_OPTIONS, enableOfflineQueue: true, maxRetriesPerRequest: null })
  subscriber.on('error', () => {}) // ioredis reconnects and subscribes again
  await waitReady(subscriber)
  const events = new EventEmitter().setMaxListeners(0)
  await subscriber.subscribe(`${options.keyPrefix}events`)
  subscriber.on('message', (_channel: string, message: string) => {
    try {
      events.emit('status', JSON.parse(message) as StatusEvent)
    } catch {
      // not ours
    }
  })
  return {
    events,
    async close() {
      events.removeAllListeners()
      await subscriber.quit().catch(() => subscriber.disconnect())
    },
  }
}

export function redisEvents({ redis, options }: RedisContext, channel: StatusChannel): EventStore & { close(): Promise<void> } {
  const outbox = createRedisOutbox(options, redis)
  return {
    outbox,
    onStatus(listener) {
      channel.events.on('status', listener)
      return () => channel.events.off('status', listener)
    },
    async close() {
      await outbox.close()
      await channel.close()
    },
  }
}
