import { CallverifyError } from '../domain/errors.js'

// How a store call fails when it is not a refusal (refusals.ts): the store cannot take it now
// (503 STORE_UNAVAILABLE, nothing half-written), or it broke (500). Neither keeps the driver's
// error: an ioredis error carries its command's args (keys with a caller's hash, callback URLs
// with their query, poll-token hashes, whole Lua sources), so only its name, its Redis reply
// code and the store operation survive, and logs see nothing else (logging.ts errorSummary).

/** A store call that broke: the reply code and the operation, never the command or its args. */
export class StoreError extends Error {
  constructor(readonly code: string | undefined, public operation?: string) {
    super()
    this.name = 'StoreError'
    this.message = StoreError.describe(code, operation)
  }

  static describe(code: string | undefined, operation: string | undefined): string {
    return `store operation ${operation ?? '(unknown)'} failed${code ? ` (${code})` : ''}`
  }
}

/** What a failed store call tells a log line: never its args. */
export interface StoreFailure {
  name: string
  code?: string
  operation?: string
}

// Redis refusing the command for now: nothing ran (a script's first write is refused before it
// writes, redis.io "Scripts and OOM"), so the request can be retried as it was.
// LOADING/BUSY/TRYAGAIN pass by themselves; READONLY/MASTERDOWN/NOREPLICAS end with a failover
// or a replica; OOM (maxmemory under noeviction) and MISCONF (a failed RDB save) need an operator.
const UNAVAILABLE_REPLIES = new Set(['LOADING', 'BUSY', 'TRYAGAIN', 'CLUSTERDOWN', 'READONLY', 'MASTERDOWN', 'NOREPLICAS', 'OOM', 'MISCONF'])
const NEEDS_OPERATOR = new Set(['OOM', 'MISCONF', 'NOREPLICAS'])
// The socket or the wait (ioredis' own messages, Node's errno codes).
const UNREACHABLE = /Stream isn't writeable|Connection is closed|Command timed out|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|enableOfflineQueue|Reached the max retries/i

/** A Redis error reply starts with its code: `OOM command not allowed …`, `WRONGTYPE …`, `ERR …`. */
export function replyCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined
  return /^([A-Z][A-Z_-]{1,31})\b/.exec(error.message)?.[1]
}

/** Whether Redis could not be reached or refused the command for now (503, retry). */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = replyCode(error)
  return (code !== undefined && UNAVAILABLE_REPLIES.has(code)) || UNREACHABLE.test(error.message)
}

/** The driver's error reduced to what may be logged. */
export function storeFailure(error: unknown, operation?: string): StoreFailure {
  const e = error as { name?: unknown; code?: unknown; command?: { name?: unknown } } | null
  const code = replyCode(error) ?? (typeof e?.code === 'string' ? e.code : undefined)
  const command = typeof e?.command?.name === 'string' ? e.command.name : undefined
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    ...(code ? { code } : {}),
    ...(operation ?? command ? { operation: operation ?? command } : {}),
  }
}

const causes = new WeakMap<CallverifyError, StoreFailure>()

/** 503 STORE_UNAVAILABLE with Retry-After; the failure rides along for the log, unserialised. */
export function storeUnavailable(failure?: StoreFailure): CallverifyError {
  const error = new CallverifyError('STORE_UNAVAILABLE', {}, { retryAfterSeconds: failure?.code && NEEDS_OPERATOR.has(failure.code) ? 5 : 1 })
  if (failure) causes.set(error, failure)
  return error
}

/** Why a STORE_UNAVAILABLE came, when the store said (for the log line). */
export function unavailableCause(error: CallverifyError): StoreFailure | undefined {
  return causes.get(error)
}

/** Any driver error as the store lets it out: 503 when Redis refused for now, else a StoreError. */
export function toStoreError(error: unknown): unknown {
  if (error instanceof CallverifyError || error instanceof StoreError) return error
  const failure = storeFailure(error)
  return isUnavailable(error) ? storeUnavailable(failure) : new StoreError(failure.code, failure.operation)
}

/** Names the store operation (createVerification, …) a failure came from: better than `evalsha`. */
export function nameOperation(error: unknown, operation: string): void {
  if (error instanceof StoreError) {
    error.operation = operation
    error.message = StoreError.describe(error.code, operation)
  } else if (error instanceof CallverifyError) {
    const cause = causes.get(error)
    if (cause) cause.operation = operation
  }
}

// ioredis' and BullMQ's errors: their `command.args` (and, for some replies, their message) may
// hold keys, callback URLs and Lua sources.
const DRIVER_ERRORS = new Set(['ReplyError', 'RedisError', 'MaxRetriesPerRequestError', 'AbortError', 'ParserError'])

/**
 * The one way an error reaches a log line (`{ err: errorSummary(error) }`), never the error
 * object: a store error as its name, Redis reply code and operation; a contract error as its
 * code (and, for STORE_UNAVAILABLE, what the store said); anything else, a bug of ours, with
 * its message and stack.
 */
export function errorSummary(error: unknown): object {
  if (error instanceof StoreError) return storeFailure(error, error.operation)
  if (error instanceof CallverifyError) {
    const cause = unavailableCause(error)
    return { name: error.name, code: error.code, ...(cause ? { cause } : {}) }
  }
  const e = error as { name?: unknown; command?: unknown; message?: unknown; stack?: unknown; code?: unknown } | null
  if (typeof e?.name === 'string' && (DRIVER_ERRORS.has(e.name) || e.command !== undefined)) return storeFailure(error)
  return {
    name: typeof e?.name === 'string' ? e.name : typeof error,
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(typeof e?.message === 'string' ? { message: e.message } : {}),
    ...(typeof e?.stack === 'string' ? { stack: e.stack } : {}),
  }
}
