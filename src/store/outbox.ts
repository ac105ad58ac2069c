import { EventEmitter } from 'node:events'
import type { Verification, VerificationStatus } from '../domain/verification.js'
import type { Outbox, OutboxEntry } from './types.js'

// The outbox's entry as both stores keep it (the fields the Lua scripts' publish() appends), and
// the memory store's outbox: the same consumer-group semantics as a Redis stream, in one process.

export const DEFAULT_OUTBOX_MAX_LENGTH = 100_000

/** An entry's fields (id, status, tenant, callback?, wasVerified?) → OutboxEntry. */
export function toOutboxEntry(entry: string, fields: Record<string, string>): OutboxEntry {
  return {
    entry,
    id: String(fields.id),
    status: fields.status as VerificationStatus,
    tenant: String(fields.tenant),
    callback: fields.callback === '1',
    wasVerified: fields.wasVerified === '1',
  }
}

/** The entry a status change appends (includes/verification.lua publish() is its twin). */
export function eventFields(v: Verification): Record<string, string> {
  return {
    id: v.id, status: v.status, tenant: v.tenant,
    ...(v.callbackUrl !== undefined ? { callback: '1' } : {}),
    ...(v.status !== 'verified' && v.verifiedAt !== undefined ? { wasVerified: '1' } : {}),
  }
}

interface Held { entry: OutboxEntry; consumer?: string; readAt?: number }

export interface MemoryOutbox extends Outbox {
  append(v: Verification): void
  close(): void
}

/** Idle time is real time (Date.now), not the store's injectable clock: it measures a reader's silence. */
export function createMemoryOutbox(maxLength = DEFAULT_OUTBOX_MAX_LENGTH): MemoryOutbox {
  const held = new Map<string, Held>() // insertion order is entry order
  const appended = new EventEmitter().setMaxListeners(0)
  let sequence = 0
  let closed = false

  function take(consumer: string, count: number): OutboxEntry[] {
    const taken: OutboxEntry[] = []
    for (const h of held.values()) {
      if (taken.length >= count) break
      if (h.consumer !== undefined) continue
      h.consumer = consumer
      h.readAt = Date.now()
      taken.push(h.entry)
    }
    return taken
  }

  return {
    append(v) {
      const entry = `${Date.now()}-${++sequence}`
      held.set(entry, { entry: toOutboxEntry(entry, eventFields(v)) })
      // As XADD MAXLEN: past the cap the oldest entries go, read or not.
      while (held.size > maxLength) held.delete(held.keys().next().value!)
      appended.emit('entry')
    },
    async read(consumer, count, blockMs) {
      const now = take(consumer, count)
      // Closed, it still waits: a reader that outlives the store must not spin.
      if (now.length > 0 || blockMs <= 0) return now
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer)
          appended.off('entry', done).off('close', done)
          resolve()
        }
        const timer = setTimeout(done, blockMs).unref()
        if (!closed) appended.once('entry', done).once('close', done)
      })
      return take(consumer, count)
    },
    async claim(consumer, idleMs, count) {
      const claimed: OutboxEntry[] = []
      const before = Date.now() - idleMs
      for (const h of held.values()) {
        if (claimed.length >= count) break
        if (h.consumer === undefined || h.readAt! > before) continue
        h.consumer = consumer
        h.readAt = Date.now()
        claimed.push(h.entry)
      }
      return claimed
    },
    async ack(entries) {
      for (const entry of entries) held.delete(entry)
    },
    async length() {
      return held.size
    },
    close() {
      closed = true
      appended.emit('close')
    },
  }
}
