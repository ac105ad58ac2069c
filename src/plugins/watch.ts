import fp from 'fastify-plugin'
import type { StatusEvent, Store } from '../store/types.js'

// One store subscription per instance fans status events out to every long-poll and SSE
// stream waiting on a verification, so a thousand waiting clients cost one listener. The
// subscription ends in this plugin's onClose.

declare module 'fastify' {
  interface FastifyInstance {
    watch: StatusWatch
  }
}
export class StatusWatch {
  private readonly waiting = new Map<string, Set<(event: StatusEvent) => void>>()
  private readonly unsubscribe: () => void

  constructor(store: Store) {
    this.unsubscribe = store.onStatus((event) => {
      for (const listener of this.waiting.get(event.id) ?? []) listener(event)
    })
  }

  /** Calls `listener` on every event for `id` until the returned function is called. */
  listen(id: string, listener: (event: StatusEvent) => void): () => void {
    let set = this.waiting.get(id)
    if (!set) this.waiting.set(id, (set = new Set()))
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0) this.waiting.delete(id)
    }
  }

  /** Resolves on the next event for `id`, or after `ms`, or when `signal` aborts. */
  next(id: string, ms: number, signal?: AbortSignal): Promise<StatusEvent | undefined> {
    return new Promise((resolve) => {
      const done = (event?: StatusEvent) => {
        clearTimeout(timer)
        stop()
        signal?.removeEventListener('abort', onAbort)
        resolve(event)
      }
      const onAbort = () => done()
      const stop = this.listen(id, done)
      const timer = setTimeout(done, ms)
      signal?.addEventListener('abort', onAbort)
    })
  }

  get size(): number {
    return this.waiting.size
  }

  close(): void {
    this.unsubscribe()
    this.waiting.clear()
  }
}

export default fp(async (app) => {
  const watch = new StatusWatch(app.store)
  app.decorate('watch', watch)
  app.addHook('onClose', async () => watch.close())
}, { name: 'watch', dependencies: ['store'] })
