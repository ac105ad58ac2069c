import type { CarrierRequest } from './core.js'

// Form-encoded webhook bodies (Twilio, SignalWire, Telnyx TeXML, Plivo) read from the raw bytes
// the carrier signed, once per request: authenticate and parse both need them.

/** A form body; a repeated key is an array, in the order sent. */
export type FormParams = Record<string, string | string[]>

const FORM_TYPE = 'application/x-www-form-urlencoded'
const read = new WeakMap<CarrierRequest, FormParams | null>()

function parse(request: CarrierRequest): FormParams | null {
  if (request.rawBody === null) return null
  // A GET carries its parameters in the query; a POST must be a form (a JSON body is not one).
  if (request.method === 'GET') return request.rawBody.length === 0 ? {} : null
  if (request.contentType !== FORM_TYPE) return request.rawBody.length === 0 && request.contentType === '' ? {} : null
  return parseForm(request.rawBody.toString('utf8'))
}

/** A form (or query) string → params; URLSearchParams decodes '+' as a space and %XX as UTF-8, as the carriers encode forms. */
export function parseForm(text: string | URLSearchParams): FormParams {
  // No prototype: a field named __proto__ (sent twice, it would set the object's prototype) is a
  // field like any other, and the signature check sees it as the carrier sent it.
  const params = Object.create(null) as FormParams
  for (const [key, value] of typeof text === 'string' ? new URLSearchParams(text) : text) {
    const seen = params[key]
    params[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value]
  }
  return params
}

/** The request's form, or null when its body is not one. */
export function readForm(request: CarrierRequest): FormParams | null {
  if (!read.has(request)) read.set(request, parse(request))
  return read.get(request)!
}

/** One header's value; a repeated header is not a credential. */
export function header(request: CarrierRequest, name: string): string | undefined {
  const value = request.headers[name]
  return typeof value === 'string' ? value : undefined
}

/** Encodes a form as the carriers send it (simulator and tests). */
export function encodeForm(params: FormParams): string {
  const form = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) for (const v of Array.isArray(value) ? value : [value]) form.append(key, v)
  return form.toString()
}
