import type { Counter, Histogram } from 'prom-client'
import type { Verification } from '../domain/verification.js'
import { nameOperation } from './failure.js'
import type { Store } from './types.js'

// Every store call measured at one boundary: its time (storeSeconds{operation}) and the status
// changes it made (verifications{outcome}). A store result's `changed` lists each transition
// exactly once, on the instance whose call made it; store.onStatus would not do, because
// pub/sub delivers every change to every instance and the count would grow with their number.
// The expiry sweep (store.expireDue) runs on one instance per tick, so its expiries count once too.
// 'created' is not a transition: POST /v1/verifications counts it.
// A failure is named here by the operation it came from (store/failure.ts), for its log line.

export interface StoreInstruments {
  storeSeconds: Pick<Histogram<'operation'>, 'observe'>
  verifications: Pick<Counter<'outcome'>, 'inc'>
  /** Calls the store could not answer (Redis down, hung, read-only): the operators' alert. */
  storeUnavailable?: Pick<Counter<'operation'>, 'inc'>
}

// Synchronous members: nothing to time.
const UNTIMED = new Set<PropertyKey>(['onStatus'])

function countChanges(instruments: StoreInstruments, carrier: unknown): void {
  const changed = (carrier as { changed?: unknown } | null)?.changed
  if (!Array.isArray(changed)) return
  for (const v of changed as Verification[]) instruments.verifications.inc({ outcome: v.status })
}

export function instrumentStore(store: Store, instruments: StoreInstruments): Store {
  const wrappers = new Map<PropertyKey, unknown>()
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property)
      if (typeof value !== 'function' || typeof property !== 'string' || UNTIMED.has(property)) return value
      let wrapper = wrappers.get(property)
      if (!wrapper) {
        const labels = { operation: property } // one object per operation, not one per call
        // Chained rather than async: one promise per call, not three (a status poll makes one).
        wrapper = (...args: unknown[]): Promise<unknown> => {
          const started = performance.now()
          // A refusal after a change (confirm after the window expires it first) carries it.
          const finish = (carrier: unknown) => {
            countChanges(instruments, carrier)
            if ((carrier as { code?: unknown } | null)?.code === 'STORE_UNAVAILABLE') instruments.storeUnavailable?.inc(labels)
            instruments.storeSeconds.observe(labels, (performance.now() - started) / 1000)
          }
          let pending: Promise<unknown>
          try {
            pending = Promise.resolve((value as (...a: unknown[]) => unknown).apply(target, args))
          } catch (error) {
            finish(error)
            return Promise.reject(error as Error)
          }
          return pending.then((result) => {
            finish(result)
            return result
          }, (error: unknown) => {
            finish(error)
            nameOperation(error, property)
            throw error
          })
        }
        wrappers.set(property, wrapper)
      }
      return wrapper
    },
  })
}
