// Event callbacks are retried "with backoff for at least an hour" (docs/contract.md): capped
// exponential. The job queues wait by it and config.ts checks the schedule's span with it.

/** The wait before retry number `retry` (1 = after the first failed attempt): base · 2^(retry − 1), at most `capMs`. */
export function cappedBackoffMs(baseMs: number, capMs: number, retry: number): number {
  return Math.min(baseMs * 2 ** (retry - 1), capMs)
}

/** How long `attempts` attempts keep retrying: the waits between them, summed. */
export function retrySpan(baseMs: number, capMs: number, attempts: number): number {
  let total = 0
  for (let retry = 1; retry < attempts; retry++) total += cappedBackoffMs(baseMs, capMs, retry)
  return total
}
