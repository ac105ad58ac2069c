import type { Verification } from '../../domain/verification.js'
import type { EventStore, StatusEvent } from '../roles/events.js'
import type { MemoryState } from './state.js'

// The events role in memory: the outbox entry is appended in the step that changes the status
// (as the Lua scripts' publish() does), listeners hear of it just after the step.

export function publish(state: MemoryState, v: Verification): void {
  state.outbox.append(v)
  const event: StatusEvent = { id: v.id, status: v.status }
  queueMicrotask(() => state.events.emit('status', event))
}

export function memoryEvents(state: MemoryState): EventStore {
  return {
    outbox: state.outbox,
    onStatus(listener) {
      state.events.on('status', listener)
      return () => state.events.off('status', listener)
    },
  }
}
