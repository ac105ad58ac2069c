import { retrySpan } from '../domain/retry.js'
import { integer, type Env } from './env.js'
import type { Config } from './types.js'

/** How long a failing callback keeps being retried (the queues wait by the same cappedBackoffMs). */
export function retrySpanMs(c: Config['callbacks']): number {
  return retrySpan(c.backoffMs, c.backoffCapMs, c.attempts)
}

/** docs/contract.md "Event callbacks": never private or loopback targets in production, retried for at least an hour. */
export function callbackConfig(env: Env, production: boolean, problems: string[]): Config['callbacks'] {
  const raw = env.CALLBACK_ALLOW_PRIVATE
  if (raw !== undefined && raw !== '' && !['true', 'false', '1', '0'].includes(raw)) problems.push(`CALLBACK_ALLOW_PRIVATE must be true or false (got "${raw}")`)
  const callbacks = {
    // Dev default: the demo and the tests receive callbacks on localhost.
    allowPrivate: raw === undefined || raw === '' ? !production : raw === 'true' || raw === '1',
    timeoutMs: integer(env, 'CALLBACK_TIMEOUT_MS', 5000, 50, 30_000, problems),
    attempts: integer(env, 'CALLBACK_ATTEMPTS', 15, 1, 100, problems),
    backoffMs: integer(env, 'CALLBACK_BACKOFF_MS', 2000, 10, 3_600_000, problems),
    backoffCapMs: integer(env, 'CALLBACK_BACKOFF_CAP_MS', 600_000, 10, 86_400_000, problems),
    concurrency: integer(env, 'CALLBACK_CONCURRENCY', 16, 1, 1000, problems),
    tenantConcurrency: integer(env, 'CALLBACK_TENANT_CONCURRENCY', 4, 1, 1000, problems),
  }
  if (production && callbacks.allowPrivate) problems.push('CALLBACK_ALLOW_PRIVATE cannot be true in production (callbacks never go to private or loopback addresses)')
  if (production && retrySpanMs(callbacks) < 3_600_000) {
    problems.push(`CALLBACK_ATTEMPTS/CALLBACK_BACKOFF_MS/CALLBACK_BACKOFF_CAP_MS retry for ${Math.round(retrySpanMs(callbacks) / 1000)} s; production retries for at least an hour`)
  }
  return callbacks
}
