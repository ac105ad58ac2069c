import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { isAllocatable } from '../domain/pool.js'
import type { PoolSummary } from '../store/types.js'

// Every metric the service exports, defined once. No label ever holds a customer's number;
// pool numbers (ours, not a customer's) may label allocations and calls.
// readPool feeds the pool health gauge at scrape time: health is shared state, so every
// instance reports the store's view rather than whatever its own health job last saw; it is
// one round trip (store.summarizePool), however large the pool.
// GET /metrics (http/ops.ts) serves the registry.
export function createMetrics(readPool?: () => Promise<PoolSummary[]>) {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'callverify_process_' })
  const registers = [registry]
  // Set with the health gauge, from the same read of the pool.
  const allocatable = new Gauge({ name: 'callverify_pool_allocatable_numbers', help: 'Pool numbers that can be handed out now (active, weight > 0)', registers })
  return {
    registry,
    requests: new Counter({ name: 'callverify_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'method', 'status'] as const, registers }),
    requestSeconds: new Histogram({ name: 'callverify_http_request_seconds', help: 'HTTP request time by route', labelNames: ['route'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 15, 35], registers }),
    verifications: new Counter({ name: 'callverify_verifications_total', help: 'Verifications by outcome: created, verified, confirmed, expired, cancelled', labelNames: ['outcome'] as const, registers }),
    calls: new Counter({ name: 'callverify_calls_total', help: 'Carrier calls by carrier and kind: verified, repeat, unmatched, expired, unknown-number, wrong-carrier, attestation-refused, duplicate, withheld, answered, malformed, fallback, store-unavailable', labelNames: ['kind', 'carrier'] as const, registers }),
    allocations: new Counter({ name: 'callverify_allocations_total', help: 'Verification numbers handed out, by pool number', labelNames: ['number'] as const, registers }),
    heldCalls: new Gauge({ name: 'callverify_held_calls', help: 'Voice webhooks held ringing right now', registers }),
    storeSeconds: new Histogram({ name: 'callverify_store_seconds', help: 'Store operation time', labelNames: ['operation'] as const, buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1], registers }),
    queueDepth: new Gauge({ name: 'callverify_queue_depth', help: 'Jobs waiting or delayed, by queue', labelNames: ['queue'] as const, registers }),
    outboxEntries: new Gauge({ name: 'callverify_outbox_entries', help: 'Status events in the outbox not yet turned into callback jobs (OUTBOX_MAX_LENGTH caps it)', registers }),
    callbacks: new Counter({ name: 'callverify_callbacks_total', help: 'Callback attempts by result: delivered, retried, failed (dead-lettered)', labelNames: ['result'] as const, registers }),
    numberHealth: new Gauge({
      name: 'callverify_pool_number_health', help: '1 for the health each pool number is in', labelNames: ['number', 'carrier', 'health', 'state'] as const, registers,
      async collect() {
        const numbers = await readPool?.().catch(() => undefined) // store away: /readyz says so
        if (!numbers) return
        this.reset()
        for (const n of numbers) this.set({ number: n.e164, carrier: n.carrier, health: n.health, state: n.state }, 1)
        allocatable.set(numbers.filter(isAllocatable).length)
      },
    }),
    allocatable,
    // The pool's sizing rule (deploy/prometheus/alerts.yml): at least 2 allocatable numbers per tenant.
    tenants: new Gauge({ name: 'callverify_tenants', help: 'Tenants (bank backends) with an API key', registers }),
    storeUnavailable: new Counter({ name: 'callverify_store_unavailable_total', help: 'Store calls that failed with STORE_UNAVAILABLE, by operation', labelNames: ['operation'] as const, registers }),
    rejectedSignatures: new Counter({ name: 'callverify_webhook_invalid_signatures_total', help: 'Carrier webhooks refused for a bad or missing credential, by carrier', labelNames: ['carrier'] as const, registers }),
  }
}

export type Metrics = ReturnType<typeof createMetrics>

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

export default fp(async (app) => {
  // The pool is read at scrape time, through the store plugin's store (registered after this one).
  const metrics = createMetrics(() => app.store.summarizePool())
  metrics.tenants.set(new Set(app.config.apiKeys.map((k) => k.tenant)).size)
  app.decorate('metrics', metrics)
}, { name: 'metrics' })
