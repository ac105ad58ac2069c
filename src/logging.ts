import type { FastifyServerOptions } from 'fastify'

// Credentials never reach a log line; phone numbers are masked where they are logged, and
// request lines carry the route pattern, never the raw URL (which may hold a number).
export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-twilio-signature"]',
        'req.query.token',
        'headers.authorization',
        '*.pollToken',
        'pollToken',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: { method: string; routeOptions?: { url?: string }; id: string }) => ({ id: req.id, method: req.method, route: req.routeOptions?.url }),
    },
  }
}
