import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

// A backend's callback endpoint on 127.0.0.1:0 that checks signatures the way the README tells
// receivers to, and answers whatever a test scripts (500s, hangs, redirects).

export interface Received {
  path: string
  headers: IncomingHttpHeaders
  body: string
  json: { type: string; verification: Record<string, unknown> & { id: string; status: string } }
  eventId: string
  signed: boolean
  at: number
}

/** What to answer request number n (0-based): a status, or 'hang' to never answer. */
export type Script = (request: Received, n: number) => number | 'hang' | { status: number; headers: Record<string, string> }

export interface Receiver {
  url: string
  received: Received[]
  /** Deliveries answered 2xx, in arrival order. */
  delivered: Received[]
  waitFor(predicate: (r: Receiver) => boolean, ms?: number): Promise<void>
  close(): Promise<void>
}

export function verifySignature(header: string | undefined, body: string, key: string, maxAgeSeconds = 300): boolean {
  const parts = (header ?? '').split(',').map((p) => p.split('=', 2) as [string, string])
  const t = Number(parts.find(([k]) => k === 't')?.[1])
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > maxAgeSeconds) return false
  const expected = createHmac('sha256', key).update(`${t}.${body}`).digest()
  return parts.some(([k, v]) => k === 'v1' && v.length === 64 && timingSafeEqual(Buffer.from(v, 'hex'), expected))
}

export async function startReceiver(key: string, script: Script = () => 200): Promise<Receiver> {
  const received: Received[] = []
  const delivered: Received[] = []
  const hanging = new Set<ServerResponse>()
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', () => {
      const r: Received = {
        path: req.url ?? '', headers: req.headers, body, json: JSON.parse(body || '{}') as Received['json'],
        eventId: String(req.headers['callverify-event-id']), signed: verifySignature(req.headers['callverify-signature'] as string, body, key), at: Date.now(),
      }
      const answer = script(r, received.length)
      received.push(r)
      if (answer === 'hang') return void hanging.add(res)
      const { status, headers } = typeof answer === 'number' ? { status: answer, headers: {} } : answer
      if (status >= 200 && status < 300) delivered.push(r)
      res.writeHead(status, headers).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/hooks/callverify?secret=s3cr3t`,
    received,
    delivered,
    async waitFor(predicate, ms = 10_000) {
      const until = Date.now() + ms
      while (!predicate(receiver)) {
        if (Date.now() > until) throw new Error(`receiver: condition not met within ${ms} ms (received ${received.length}: ${received.map((r) => r.eventId).join(', ')})`)
        await new Promise((r) => setTimeout(r, 20))
      }
    },
    close: () => new Promise<void>((resolve) => {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
  return receiver
}

export async function waitUntil(check: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`${what} not met within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
