import { createHmac, timingSafeEqual } from 'node:crypto'
import { parseForm, type FormParams } from '../form.js'

// Plivo's V3 webhook signature (Plivo docs, "Validating requests"; the plivo SDK's
// validateV3Signature, which test/carriers/plivo/signature.test.ts holds this equal to):
// base64 HMAC-SHA256, keyed by the auth token, of
//   origin + path + ['?' + sorted query k=v joined by '&'] + ['.' when both] + sorted POST k+v + '.' + nonce
// X-Plivo-Signature-V3 may carry several signatures, comma separated, while a token rotates:
// any one of them matching is enough.

function sortedValues(params: FormParams): [string, string[]][] {
  return Object.keys(params).sort().map((key) => {
    const value = params[key]!
    return [key, (Array.isArray(value) ? [...value] : [value]).sort()]
  })
}

/** The string Plivo signs for a request to `url` (the full public URL) with these form params. */
export function plivoSignedString(method: string, url: string, params: FormParams, nonce: string): string {
  const parsed = new URL(url)
  const query = parseForm(parsed.searchParams)
  const origin = `${parsed.protocol}//${parsed.host}${parsed.pathname}`
  if (method === 'GET') Object.assign(query, params)
  const queryString = sortedValues(query).flatMap(([k, vs]) => vs.map((v) => `${k}=${v}`)).join('&')
  const post = method === 'POST' ? sortedValues(params).flatMap(([k, vs]) => vs.map((v) => k + v)).join('') : ''
  const hasPost = method === 'POST' && Object.keys(params).length > 0
  let base = origin
  if (queryString.length > 0 || hasPost) base += `?${queryString}`
  if (queryString.length > 0 && hasPost) base += '.'
  return `${base}${post}.${nonce}`
}

export function signPlivo(authToken: string, method: string, url: string, params: FormParams, nonce: string): string {
  return createHmac('sha256', authToken).update(plivoSignedString(method, url, params, nonce)).digest('base64')
}

export interface PlivoSigned {
  /** PLIVO_AUTH_TOKEN; several, comma separated, while rotating. */
  authTokens: string[]
  method: string
  url: string
  params: FormParams
  nonce: string | undefined
  signature: string | undefined
}

/** Does X-Plivo-Signature-V3 hold a signature of this request under any current token? Constant time per pair. */
export function verifyPlivoSignature(request: PlivoSigned): boolean {
  const { nonce, signature } = request
  if (!nonce || !signature || (request.method !== 'POST' && request.method !== 'GET')) return false
  const offered = signature.split(',').map((s) => Buffer.from(s.trim()))
  let ok = false
  for (const token of request.authTokens) {
    const expected = Buffer.from(signPlivo(token, request.method, request.url, request.params, nonce))
    for (const candidate of offered) if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) ok = true
  }
  return ok
}
