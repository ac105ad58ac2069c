import type { FastifyServerOptions } from 'fastify'
import { createRequire } from 'node:module'
import { pino } from 'pino'
import { CallverifyError } from './domain/errors.js'
import { StoreError, storeFailure, unavailableCause } from './store/failure.js'

// Credentials never reach a log line; phone numbers are masked where they are logged, and
// request lines carry the route pattern, never the raw URL (which may hold a number).
// No wildcard path: `*.x` makes pino run the redaction on every field of every line (twice
// the cost of a request line), and a poll token is only ever a top-level field of a body.
export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-twilio-signature"]',
        'req.query.token',
        'headers.authorization',
        'pollToken',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: { method: string; routeOptions?: { url?: string }; id: string }) => ({ id: req.id, method: req.method, route: req.routeOptions?.url }),
    },
  }
}

// Lines are written in the background, once 4 KiB are buffered and at least every second:
// a synchronous write per request line to a pipe took twice the CPU of the line itself.
const MIN_LENGTH = 4096
const FLUSH_MS = 1000

export interface LogDestination {
  stream: pino.DestinationStream
  /** Writes out what is buffered, synchronously (the app's onClose; pino does it at exit too). */
  flush(): void
}

/**
 * stdout: readable lines on a terminal (pino-pretty), JSON for everything else (a pipe, a file,
 * a log collector), written in the background.
 */
export function logDestination(terminal = Boolean(process.stdout.isTTY)): LogDestination {
  const pretty = terminal ? prettyStream() : undefined
  if (pretty) return { stream: pretty, flush() {} }
  const stream = pino.destination({ dest: 1, sync: false, minLength: MIN_LENGTH, periodicFlush: FLUSH_MS })
  return {
    stream,
    flush() {
      try {
        stream.flushSync()
      } catch {
        // not open yet, or stdout gone: nothing more can be written
      }
    },
  }
}

type Prettifier = (options: Record<string, unknown>) => pino.DestinationStream

/**
 * pino-pretty's stream, writing to `destination` (stdout by default) as each line comes: on a
 * terminal someone is reading. A devDependency, so a production install (npm ci --omit=dev, the
 * Docker image) has none and logs JSON: then undefined.
 */
export function prettyStream(destination?: NodeJS.WritableStream): pino.DestinationStream | undefined {
  let pretty: Prettifier
  try {
    pretty = createRequire(import.meta.url)('pino-pretty') as Prettifier
  } catch {
    return undefined
  }
  return pretty({ colorize: destination === undefined, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true, ...(destination ? { destination } : {}) })
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
