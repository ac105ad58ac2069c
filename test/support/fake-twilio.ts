import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { IncomingNumber } from '../../src/carriers/twilio/rest.js'

// A local stand-in for the two Twilio REST endpoints pool sync uses, shaped like Twilio's
// answers (Twilio docs, "IncomingPhoneNumber resource" and "Paging"): basic auth, form bodies,
// snake_case JSON, next_page_uri paging, and Twilio's error JSON.

/** A number as the fake holds it: the fields sync reads (rest.ts). */
export type FakeNumber = IncomingNumber

export interface FakeRequest {
  method: string
  path: string
  query: Record<string, string>
  form: Record<string, string | string[]>
  authorized: boolean
}

export interface FakeTwilio {
  /** Base URL for TWILIO_API_URL, e.g. http://127.0.0.1:40123 */
  url: string
  /** The account's numbers, live: updates change them in place. */
  numbers: FakeNumber[]
  requests: FakeRequest[]
  close(): Promise<void>
}

const API = '/2010-04-01'
// The settings an IncomingPhoneNumber update accepts that sync may send (Twilio docs, "Update").
const URL_FIELDS = { VoiceUrl: 'voiceUrl', VoiceFallbackUrl: 'voiceFallbackUrl', StatusCallback: 'statusCallback' } as const
const METHOD_FIELDS = { VoiceMethod: 'voiceMethod', VoiceFallbackMethod: 'voiceFallbackMethod', StatusCallbackMethod: 'statusCallbackMethod' } as const

function sid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex')
}

function toFakeNumber(input: Partial<FakeNumber> & { phoneNumber: string }): FakeNumber {
  return {
    sid: sid('PN'), voiceUrl: '', voiceMethod: 'POST', voiceFallbackUrl: '', voiceFallbackMethod: 'POST',
    statusCallback: '', statusCallbackMethod: 'POST', voiceApplicationSid: '', trunkSid: '', ...input,
  }
}

function render(accountSid: string, n: FakeNumber) {
  return {
    account_sid: accountSid, api_version: '2010-04-01', sid: n.sid, phone_number: n.phoneNumber,
    friendly_name: n.phoneNumber, voice_url: n.voiceUrl || null, voice_method: n.voiceMethod,
    voice_fallback_url: n.voiceFallbackUrl || null, voice_fallback_method: n.voiceFallbackMethod,
    status_callback: n.statusCallback || null, status_callback_method: n.statusCallbackMethod,
    voice_application_sid: n.voiceApplicationSid || null, trunk_sid: n.trunkSid || null,
    voice_caller_id_lookup: false, voice_receive_mode: 'voice', status: 'in-use', origin: 'twilio',
    capabilities: { voice: true, sms: false, mms: false, fax: false },
    uri: `${API}/Accounts/${accountSid}/IncomingPhoneNumbers/${n.sid}.json`,
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

/** Twilio's error JSON (Twilio docs, "Errors"): code, message, more_info, status. */
function fail(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  send(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, headers)
}

function readForm(req: IncomingMessage): Promise<Record<string, string | string[]>> {
  return new Promise((resolve, reject) => {
    let raw = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (raw += chunk))
    req.on('error', reject)
    req.on('end', () => {
      const form: Record<string, string | string[]> = {}
      for (const [key, value] of new URLSearchParams(raw)) {
        const seen = form[key]
        form[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value]
      }
      resolve(form)
    })
  })
}

function isAuthorized(header: string | undefined, accountSid: string, authToken: string): boolean {
  const expected = Buffer.from(`Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`)
  const given = Buffer.from(header ?? '')
  return given.length === expected.length && timingSafeEqual(given, expected)
}

function listPage(res: ServerResponse, url: URL, accountSid: string, numbers: FakeNumber[]): void {
  const pageSize = Math.min(Number(url.searchParams.get('PageSize') ?? 50) || 50, 1000)
  const page = Number(url.searchParams.get('Page') ?? 0) || 0
  // Twilio pages by token: PA + the SID of the last record already served.
  const token = url.searchParams.get('PageToken')
  const after = token ? numbers.findIndex((n) => `PA${n.sid}` === token) + 1 : page * pageSize
  const slice = numbers.slice(after, after + pageSize)
  const base = `${API}/Accounts/${accountSid}/IncomingPhoneNumbers.json`
  const last = slice.at(-1)
  const more = after + pageSize < numbers.length && last !== undefined
  send(res, 200, {
    first_page_uri: `${base}?PageSize=${pageSize}&Page=0`,
    end: after + Math.max(slice.length - 1, 0),
    previous_page_uri: page > 0 ? `${base}?PageSize=${pageSize}&Page=${page - 1}` : null,
    incoming_phone_numbers: slice.map((n) => render(accountSid, n)),
    uri: `${base}?PageSize=${pageSize}&Page=${page}${token ? `&PageToken=${token}` : ''}`,
    page_size: pageSize,
    start: after,
    next_page_uri: more ? `${base}?PageSize=${pageSize}&Page=${page + 1}&PageToken=PA${last.sid}` : null,
    page,
  })
}

function applyUpdate(res: ServerResponse, form: Record<string, string | string[]>, n: FakeNumber, accountSid: string): void {
  for (const [key, value] of Object.entries(form)) {
    // Codes below other than 20003 and 20404 are this fake's own: a test should see which field.
    if (typeof value !== 'string') return fail(res, 400, 20001, `${key} given more than once`)
    if (key in URL_FIELDS) {
      if (value !== '' && !/^https?:\/\/[^\s]+$/.test(value)) return fail(res, 400, 20001, `${key} is not a valid URL: ${value}`)
      n[URL_FIELDS[key as keyof typeof URL_FIELDS]] = value
    } else if (key in METHOD_FIELDS) {
      if (value !== 'GET' && value !== 'POST') return fail(res, 400, 20001, `${key} must be GET or POST`)
      n[METHOD_FIELDS[key as keyof typeof METHOD_FIELDS]] = value
    } else if (key === 'VoiceApplicationSid') {
      if (value !== '' && !/^AP[0-9a-f]{32}$/.test(value)) return fail(res, 400, 20001, 'VoiceApplicationSid is not an application SID')
      n.voiceApplicationSid = value
    } else {
      return fail(res, 400, 20001, `unexpected parameter ${key}`)
    }
  }
  send(res, 200, render(accountSid, n))
}

export async function startFakeTwilio(options: {
  accountSid: string
  authToken: string
  numbers?: (Partial<FakeNumber> & { phoneNumber: string })[]
}): Promise<FakeTwilio> {
  const { accountSid, authToken } = options
  const numbers = (options.numbers ?? []).map(toFakeNumber)
  const requests: FakeRequest[] = []
  const listPath = `${API}/Accounts/${accountSid}/IncomingPhoneNumbers.json`
  const numberPath = new RegExp(`^${API}/Accounts/${accountSid}/IncomingPhoneNumbers/(PN[0-9a-f]{32})\\.json$`)

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake')
      const form = req.method === 'POST' ? await readForm(req) : {}
      const authorized = isAuthorized(req.headers.authorization, accountSid, authToken)
      requests.push({ method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), form, authorized })
      if (!authorized) return fail(res, 401, 20003, 'Authenticate', { 'www-authenticate': 'Basic realm="Twilio API"' })
      if (req.method === 'GET' && url.pathname === listPath) return listPage(res, url, accountSid, numbers)
      const match = req.method === 'POST' ? numberPath.exec(url.pathname) : null
      const target = match && numbers.find((n) => n.sid === match[1])
      if (target) {
        if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
          return fail(res, 400, 20001, 'expected a form-encoded body')
        }
        return applyUpdate(res, form, target, accountSid)
      }
      fail(res, 404, 20404, `The requested resource ${url.pathname} was not found`)
    })().catch((error: unknown) => fail(res, 500, 20500, String(error)))
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    numbers,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // The SDK keeps connections alive; drop them or close() waits for their idle timeout.
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
