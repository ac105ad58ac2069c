import fp from 'fastify-plugin'
import { instrumentStore } from '../store/timed.js'
import type { Store } from '../store/types.js'

// The store (memory, or Redis: src/store) as every route, job and plugin reaches it: measured at
// one boundary (store/timed.ts: its time, its outcomes, its outages). The app closes it in this
// plugin's onClose, after every plugin registered later (the jobs, the watch) has closed.

declare module 'fastify' {
  interface FastifyInstance {
    store: Store
  }
}

export interface StorePluginOptions {
  /** The store buildApp was given (AppDeps.store): main.ts opens it from the config, tests their own. */
  store: Store
}

export default fp<StorePluginOptions>(async (app, { store }) => {
  app.decorate('store', instrumentStore(store, app.metrics))
  app.addHook('onClose', () => store.close())
}, { name: 'store', dependencies: ['metrics'] })
