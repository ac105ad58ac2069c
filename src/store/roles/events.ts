import type { VerificationStatus } from '../../domain/verification.js'

// The events role: every status change, as a wake-up on every instance (onStatus) and as an
// outbox entry for the callbacks (jobs/outbox.ts).

export interface StatusEvent {
  id: string
  status: VerificationStatus
}

/** One status change in the outbox: the event, what routes it, nothing personal. */
export interface OutboxEntry {
  /** The outbox's own id of the entry (a Redis stream id): what ack takes. */
  entry: string
  /** The verification id. */
  id: string
  status: VerificationStatus
  tenant: string
  /** It has a callbackUrl. */
  callback: boolean
  /** It had been verified before this (later) status: its `verified` callback goes first. */
  wasVerified: boolean
}

/**
 * The transactional outbox (docs/contract.md "Event callbacks"): every status change appends its
 * event in the same atomic step as the change, so no event is lost whoever is listening. Read by
 * a consumer group: each entry goes to one reader, stays pending until acknowledged, and an entry
 * whose reader died is claimed by another once it has been idle long enough. Acknowledged entries
 * are removed.
 */
export interface Outbox {
  /** Up to `count` new entries for `consumer`, waiting up to `blockMs` for the first. */
  read(consumer: string, count: number, blockMs: number): Promise<OutboxEntry[]>
  /** Entries read but not acknowledged for `idleMs` or more, by any consumer, now `consumer`'s. */
  claim(consumer: string, idleMs: number, count: number): Promise<OutboxEntry[]>
  /** Done with: acknowledged and removed from the outbox. */
  ack(entries: string[]): Promise<void>
  /** Entries held (new and pending). */
  length(): Promise<number>
}

export interface EventStore {
  /** The events of every status change, appended in the same atomic step as the change (the callbacks' source). */
  readonly outbox: Outbox
  /** Every status change, from any instance sharing this store. Returns the unsubscribe. */
  onStatus(listener: (event: StatusEvent) => void): () => void
}
