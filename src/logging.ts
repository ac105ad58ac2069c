import type { FastifyServerOptions } from 'fastify'
import { createRequire } from 'node:module'
import { pino } from 'pino'

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

// The one way an error reaches a log line (store/failure.ts, where the carriers' call core reaches it too).
export { errorSummary } from './store/failure.js'
