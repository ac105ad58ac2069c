import type { Store } from './types.js'
import { memoryCalls } from './memory/calls.js'
import { memoryEvents } from './memory/events.js'
import { memoryLocks } from './memory/locks.js'
import { memoryOps } from './memory/ops.js'
import { memoryPool } from './memory/pool.js'
import { createMemoryState, type MemoryStoreOptions } from './memory/state.js'
import { memoryVerifications } from './memory/verifications.js'

// The embedded store: one process, no persistence, an injectable clock. Each role (memory/) is
// a set of synchronous steps over one shared state, which is what makes each step atomic here.
// Customer numbers are kept as their HMAC (domain/phonehash.ts), as in Redis: the same code
// answers both keys of a rotation, although a memory store's rotation is a restart, which
// keeps nothing.

export type { MemoryStoreOptions } from './memory/state.js'

export function createMemoryStore(options: MemoryStoreOptions): Store {
  const state = createMemoryState(options)
  return {
    kind: 'memory',
    async now() {
      return state.clock()
    },
    async ping() {},
    async close() {
      state.events.removeAllListeners()
      state.outbox.close()
    },
    ...memoryVerifications(state),
    ...memoryCalls(state),
    ...memoryPool(state),
    ...memoryLocks(state),
    ...memoryOps(state),
    ...memoryEvents(state),
  }
}
