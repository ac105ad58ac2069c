// Who calls whom, read from the headers the SIP edge reports (sip/kamailio.cfg QUEUE_REPORT).
// Japanese trunks write numbers many ways: sip:+81312345678@…;user=phone, sip:0312345678@…,
// tel:+81-3-1234-5678, tel:0312345678;phone-context=+81, with number-portability parameters in
// the user part (;npdi;rn=…, RFC 4694) and a SHAKEN/STIR verstat (3GPP TS 24.229 §7.2A.20).

/** A URI's number (digits, '+' kept) and its parameters (user part and URI), lower-case names. */
export interface SipNumber {
  /** '' when the URI carries no user part. */
  user: string
  params: Map<string, string>
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

function addParams(into: Map<string, string>, list: string[]): void {
  for (const item of list) {
    const [name, ...value] = item.split('=')
    if (name) into.set(name.trim().toLowerCase(), decode(value.join('=').trim()))
  }
}

/** A header value list split at the commas outside quotes and <…> (RFC 3261 §7.3.1). */
export function splitValues(value: string): string[] {
  const values: string[] = []
  let depth = 0
  let quoted = false
  let start = 0
  for (let i = 0; i < value.length; i++) {
    const c = value[i]
    if (c === '"' && value[i - 1] !== '\\') quoted = !quoted
    else if (!quoted && c === '<') depth++
    else if (!quoted && c === '>') depth = Math.max(0, depth - 1)
    else if (!quoted && depth === 0 && c === ',') {
      values.push(value.slice(start, i))
      start = i + 1
    }
  }
  values.push(value.slice(start))
  return values.map((v) => v.trim()).filter(Boolean)
}

/** The URI of one From or P-Asserted-Identity value: `"name" <uri>;tag=…`, `<uri>`, or a bare URI. */
export function uriOf(value: string): string {
  const open = value.indexOf('<')
  if (open < 0) return value.trim() // a bare URI (addr-spec): its ';' parameters stay with it
  const close = value.indexOf('>', open)
  return value.slice(open + 1, close < 0 ? undefined : close).trim()
}

/** sip:, sips: or tel: URI → its user (number) and parameters; null for any other scheme. */
export function parseSipUri(uri: string): SipNumber | null {
  const scheme = /^(sips?|tel):/i.exec(uri)
  if (!scheme) return null
  const body = uri.slice(scheme[0].length)
  const params = new Map<string, string>()
  if (scheme[1]!.toLowerCase() === 'tel') {
    const [number, ...rest] = body.split(';')
    addParams(params, rest)
    return { user: decode(number ?? ''), params }
  }
  const at = body.lastIndexOf('@')
  const userinfo = at < 0 ? '' : body.slice(0, at)
  const hostpart = at < 0 ? body : body.slice(at + 1)
  const [userWithParams] = userinfo.split(':') // a password never names a number
  const [user, ...userParams] = (userWithParams ?? '').split(';')
  addParams(params, userParams)
  addParams(params, hostpart.split('?')[0]!.split(';').slice(1))
  return { user: decode(user ?? ''), params }
}

// RFC 3966 visual separators; what remains must be a number.
const SEPARATORS = /[-.()\s]/g
const NUMBER = /^\+?\d{4,20}$/

/**
 * A URI's number in the form the core normalises: +81… as sent, 0… domestic, a local number
 * with phone-context=+81 made E.164. '' when the user part is no number (anonymous, a name).
 */
export function numberOf(uri: SipNumber | null): string {
  if (!uri) return ''
  const digits = uri.user.replace(SEPARATORS, '')
  if (!NUMBER.test(digits)) return ''
  const context = uri.params.get('phone-context')?.replace(SEPARATORS, '')
  if (!digits.startsWith('+') && context && /^\+\d{1,4}$/.test(context)) {
    return `${context}${digits.replace(/^0/, '')}`
  }
  return digits
}

/** A called number for the pool: +81… as sent, Japanese domestic 0… → +81…. */
export function calledNumber(uri: SipNumber | null): string {
  const number = numberOf(uri)
  return /^0\d{8,10}$/.test(number) ? `+81${number.slice(1)}` : number
}
