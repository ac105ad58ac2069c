import { publicUrl } from '../twilio/signature.js'

// Pool sync with Telnyx (API v2): a Telnyx number reaches a TeXML application through its
// connection_id, and the application holds the voice, fallback and status URLs (Telnyx docs,
// "Phone numbers: update", "TeXML applications"). Sync points each pool number at
// TELNYX_TEXML_APPLICATION_ID and that application at this service. Plain fetch: the telnyx SDK
// is a devDependency (its webhook check is tested against ours), not worth shipping for two calls.

export interface TelnyxNumber { id: string; phoneNumber: string; connectionId: string }
export interface TexmlApplication { id: string; voiceUrl: string; voiceMethod: string; voiceFallbackUrl: string; statusCallback: string; statusCallbackMethod: string }
type AppRouting = Omit<TexmlApplication, 'id'>

export class TelnyxRestError extends Error {
  constructor(message: string, readonly status: number | null, readonly code: string | null) {
    super(message)
    this.name = 'TelnyxRestError'
  }
}

export interface TelnyxRestClient {
  listNumbers(): Promise<TelnyxNumber[]>
  getApplication(id: string): Promise<TexmlApplication>
  updateApplication(id: string, routing: AppRouting): Promise<TexmlApplication>
  updateNumber(id: string, connectionId: string): Promise<TelnyxNumber>
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v))
const toNumber = (d: Record<string, unknown>): TelnyxNumber => ({ id: str(d.id), phoneNumber: str(d.phone_number), connectionId: str(d.connection_id) })
const toApplication = (d: Record<string, unknown>): TexmlApplication => ({
  id: str(d.id), voiceUrl: str(d.voice_url), voiceMethod: str(d.voice_method), voiceFallbackUrl: str(d.voice_fallback_url),
  statusCallback: str(d.status_callback), statusCallbackMethod: str(d.status_callback_method),
})

export function createTelnyxRestClient(options: { apiKey: string; apiUrl: string; pageSize?: number; timeoutMs?: number }): TelnyxRestClient {
  const base = options.apiUrl.replace(/\/+$/, '')
  async function call(method: string, path: string, body?: unknown): Promise<{ data: unknown; meta?: { total_pages?: number } }> {
    let response: Response
    try {
      response = await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${options.apiKey}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
      })
    } catch (error) {
      throw new TelnyxRestError(`Telnyx request failed: ${error instanceof Error ? error.message : String(error)}`, null, null)
    }
    const json = (await response.json().catch(() => ({}))) as { data?: unknown; meta?: { total_pages?: number }; errors?: { code?: string; title?: string }[] }
    if (!response.ok) {
      const first = json.errors?.[0]
      throw new TelnyxRestError(`Telnyx answered ${response.status}: ${first?.title ?? response.statusText}`, response.status, first?.code ?? null)
    }
    return { data: json.data, ...(json.meta ? { meta: json.meta } : {}) }
  }
  const size = options.pageSize ?? 250
  return {
    async listNumbers() {
      const numbers: TelnyxNumber[] = []
      for (let page = 1, pages = 1; page <= pages; page++) {
        const { data, meta } = await call('GET', `/v2/phone_numbers?page[number]=${page}&page[size]=${size}`)
        numbers.push(...(Array.isArray(data) ? data : []).map((d) => toNumber(d as Record<string, unknown>)))
        pages = meta?.total_pages ?? 1
      }
      return numbers
    },
    async getApplication(id) {
      return toApplication((await call('GET', `/v2/texml_applications/${encodeURIComponent(id)}`)).data as Record<string, unknown>)
    },
    async updateApplication(id, r) {
      const body = { voice_url: r.voiceUrl, voice_method: r.voiceMethod, voice_fallback_url: r.voiceFallbackUrl, status_callback: r.statusCallback, status_callback_method: r.statusCallbackMethod }
      return toApplication((await call('PATCH', `/v2/texml_applications/${encodeURIComponent(id)}`, body)).data as Record<string, unknown>)
    },
    async updateNumber(id, connectionId) {
      return toNumber((await call('PATCH', `/v2/phone_numbers/${encodeURIComponent(id)}`, { connection_id: connectionId })).data as Record<string, unknown>)
    },
  }
}

export interface FieldChange { field: string; from: string; to: string }

export interface TelnyxSyncPlan {
  application: { id: string; changes: FieldChange[]; routing: AppRouting }
  update: { id: string; phoneNumber: string; changes: FieldChange[] }[]
  unchanged: string[]
  missingInAccount: string[]
  notInPool: string[]
}

/** What sync must change so the TeXML application and every Telnyx pool number call this service. Pure. */
export function planTelnyxSync(pool: string[], numbers: TelnyxNumber[], app: TexmlApplication, publicBaseUrl: string): TelnyxSyncPlan {
  const routing: AppRouting = {
    voiceUrl: publicUrl(publicBaseUrl, '/webhooks/telnyx/voice'), voiceMethod: 'post',
    voiceFallbackUrl: publicUrl(publicBaseUrl, '/webhooks/telnyx/fallback'),
    statusCallback: publicUrl(publicBaseUrl, '/webhooks/telnyx/status'), statusCallbackMethod: 'post',
  }
  // Telnyx echoes methods lower-case ("post"), but one set by hand may read "POST".
  const same = (field: keyof AppRouting): boolean => (field.endsWith('Method') ? app[field].toLowerCase() === routing[field] : app[field] === routing[field])
  const changes = (Object.keys(routing) as (keyof AppRouting)[]).filter((f) => !same(f)).map((f) => ({ field: f, from: app[f], to: routing[f] }))
  const byNumber = new Map(numbers.map((n) => [n.phoneNumber, n]))
  const inPool = new Set(pool)
  const plan: TelnyxSyncPlan = { application: { id: app.id, changes, routing }, update: [], unchanged: [], missingInAccount: [], notInPool: [] }
  for (const e164 of pool) {
    const n = byNumber.get(e164)
    if (!n) plan.missingInAccount.push(e164)
    else if (n.connectionId === app.id) plan.unchanged.push(e164)
    else plan.update.push({ id: n.id, phoneNumber: e164, changes: [{ field: 'connectionId', from: n.connectionId, to: app.id }] })
  }
  plan.notInPool = numbers.filter((n) => !inPool.has(n.phoneNumber)).map((n) => n.phoneNumber)
  return plan
}
