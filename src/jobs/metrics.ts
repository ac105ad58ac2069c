// What the jobs count, as an interface of their own (jobs import no plugin): the prom-client
// metrics of plugins/metrics.ts fit it, and the jobs plugin hands them in.
export interface JobMetrics {
  /** callverify_callbacks_total: one per delivery attempt. */
  callbacks: { inc(labels: { result: 'delivered' | 'retried' | 'failed' }): void }
  /** callverify_outbox_entries: events not yet turned into callback jobs. */
  outboxEntries: { set(value: number): void }
}
