import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { TelnyxNumber, TexmlApplication } from '../../src/carriers/telnyx/rest.js'

// A local stand-in for the Telnyx API v2 endpoints pool sync uses, shaped like Telnyx's answers
// (Telnyx docs, "List phone numbers", "Update a phone number", "TeXML applications"): a Bearer
// API key, JSON bodies, {data, meta: {page_number, total_pages}} paging, and {errors: [...]}.

export interface FakeTelnyxRequest { method: string; path: string; body: Record<string, unknown> | null; authorized: boolean }

export interface FakeTelnyx {
  url: string
  numbers: TelnyxNumber[]
  applications: TexmlApplication[]
  requests: FakeTelnyxRequest[]
  close(): Promise<void>
}

const numberJson = (n: TelnyxNumber) => ({ id: n.id, record_type: 'phone_number', phone_number: n.phoneNumber, status: 'active', connection_id: n.connectionId || null, connection_name: null })
const appJson = (a: TexmlApplication) => ({
  id: a.id, record_type: 'texml_application', friendly_name: 'callverify', active: true, voice_url: a.voiceUrl, voice_method: a.voiceMethod,
  voice_fallback_url: a.voiceFallbackUrl, status_callback: a.statusCallback, status_callback_method: a.statusCallbackMethod,
})

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}
const error = (res: ServerResponse, status: number, code: string, title: string) => send(res, status, { errors: [{ code, title, detail: title }] })

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  return text ? (JSON.parse(text) as Record<string, unknown>) : null
}

export async function startFakeTelnyx(options: { apiKey: string; numbers: (Partial<TelnyxNumber> & { phoneNumber: string })[]; applications: TexmlApplication[] }): Promise<FakeTelnyx> {
  const numbers: TelnyxNumber[] = options.numbers.map((n) => ({ id: randomUUID(), connectionId: '', ...n }))
  const applications = options.applications.map((a) => ({ ...a }))
  const requests: FakeTelnyxRequest[] = []
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake')
      const body = await readJson(req)
      const authorized = req.headers.authorization === `Bearer ${options.apiKey}`
      requests.push({ method: req.method ?? '', path: url.pathname, body, authorized })
      if (!authorized) return error(res, 401, '10009', 'Authentication failed')
      const number = /^\/v2\/phone_numbers\/([^/]+)$/.exec(url.pathname)
      const app = /^\/v2\/texml_applications\/([^/]+)$/.exec(url.pathname)
      if (req.method === 'GET' && url.pathname === '/v2/phone_numbers') {
        const size = Number(url.searchParams.get('page[size]') ?? 20)
        const page = Number(url.searchParams.get('page[number]') ?? 1)
        const pages = Math.max(1, Math.ceil(numbers.length / size))
        return send(res, 200, { data: numbers.slice((page - 1) * size, page * size).map(numberJson), meta: { page_number: page, page_size: size, total_pages: pages, total_results: numbers.length } })
      }
      if (number && req.method === 'PATCH') {
        const n = numbers.find((x) => x.id === decodeURIComponent(number[1]!))
        if (!n) return error(res, 404, '10005', 'Resource not found')
        if (typeof body?.connection_id === 'string') n.connectionId = body.connection_id
        return send(res, 200, { data: numberJson(n) })
      }
      if (app) {
        const a = applications.find((x) => x.id === decodeURIComponent(app[1]!))
        if (!a) return error(res, 404, '10005', 'Resource not found')
        if (req.method === 'PATCH') {
          const fields = { voice_url: 'voiceUrl', voice_method: 'voiceMethod', voice_fallback_url: 'voiceFallbackUrl', status_callback: 'statusCallback', status_callback_method: 'statusCallbackMethod' } as const
          for (const [k, f] of Object.entries(fields)) if (typeof body?.[k] === 'string') a[f] = body[k] as string
        }
        return send(res, 200, { data: appJson(a) })
      }
      return error(res, 404, '10005', 'Resource not found')
    })().catch(() => error(res, 500, '10000', 'Internal error'))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, numbers, applications, requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
