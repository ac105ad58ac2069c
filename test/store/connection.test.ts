import type { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { coalesceWrites, openRedis, STORE_CONNECTION_OPTIONS, waitReady, WRITE_BATCH } from '../../src/store/redis/connection.js'
import { deleteKeys, redisUrl, testPrefix } from '../support/redis.js'

// The store's connection sends the commands of one event-loop turn together, WRITE_BATCH to a
// socket write (coalesceWrites), instead of ioredis' auto-pipelining: same batching, less work
// per command.

type Chunks = { chunk: unknown }[]

/** Counts the socket's writes as Writable hands them to it: one _writev per batch, one _write per lone chunk. */
function countWrites(socket: Socket): { writev: number[]; write: number } {
  const seen = { writev: [] as number[], write: 0 }
  const target = socket as unknown as { _writev: (chunks: Chunks, cb: () => void) => void; _write: (...args: unknown[]) => void }
  const writev = target._writev.bind(socket)
  const write = target._write.bind(socket)
  target._writev = (chunks, cb) => {
    seen.writev.push(chunks.length)
    writev(chunks, cb)
  }
  target._write = (...args) => {
    seen.write++
    write(...args)
  }
  return seen
}

describe('redis connection', () => {
  const prefix = testPrefix()
  afterEach(async () => deleteKeys(prefix))

  async function open(coalesce: boolean) {
    const redis = openRedis(redisUrl(), { ...STORE_CONNECTION_OPTIONS, keyPrefix: prefix })
    await waitReady(redis)
    return coalesce ? coalesceWrites(redis) : redis
  }

  it('coalesceWrites — twenty commands of one turn leave in writes of WRITE_BATCH, in order, and all answer', async () => {
    expect(WRITE_BATCH).toBe(8)
    const redis = await open(true)
    try {
      const writes = countWrites(redis.stream as Socket)
      const replies = Array.from({ length: 19 }, () => redis.incr('n'))
      // A transaction issued in the same turn keeps its place in the order.
      const transaction = redis.multi().incr('n').get('n').exec()
      expect(redis.stream.writableCorked).toBe(1)
      expect(await Promise.all(replies)).toEqual(Array.from({ length: 19 }, (_, i) => i + 1))
      expect(await transaction).toEqual([[null, 20], [null, '20']])
      // Two full writes at once; the turn's end sends the last three INCRs and the transaction,
      // which ioredis writes as one chunk.
      expect(writes).toEqual({ writev: [8, 8, 4], write: 0 })
      expect(redis.stream.writableCorked).toBe(0)
    } finally {
      redis.disconnect()
    }
  })

  it('coalesceWrites — fewer than WRITE_BATCH commands wait for the turn to end, then leave in one write', async () => {
    const redis = await open(true)
    try {
      const writes = countWrites(redis.stream as Socket)
      const replies = Array.from({ length: WRITE_BATCH - 1 }, () => redis.incr('m'))
      expect(redis.stream.writableCorked).toBe(1)
      expect(writes.writev).toEqual([])
      expect(await Promise.all(replies)).toEqual(Array.from({ length: WRITE_BATCH - 1 }, (_, i) => i + 1))
      expect(writes).toEqual({ writev: [WRITE_BATCH - 1], write: 0 })
    } finally {
      redis.disconnect()
    }
  })

  it('without it, each command is its own write (what the count above is measured against)', async () => {
    const redis = await open(false)
    try {
      const writes = countWrites(redis.stream as Socket)
      await Promise.all(Array.from({ length: 19 }, () => redis.incr('n')))
      expect(writes.write + writes.writev.length).toBeGreaterThan(1)
      expect(redis.stream.writableCorked).toBe(0)
    } finally {
      redis.disconnect()
    }
  })

  it('coalesceWrites — a command after the socket is gone fails at once, as before (no offline queue)', async () => {
    const redis = await open(true)
    redis.disconnect()
    await expect(redis.get('n')).rejects.toThrow(/Connection is closed|Stream isn't writeable/)
  })
})
