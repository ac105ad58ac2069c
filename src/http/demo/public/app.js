// @ts-check
// The auth frontend of screens ③ and ④ (seed SOA208, SOA209). It holds only the
// verification id and its poll token; the demo backend (routes.ts) holds the API key.
// Every verdict comes from the server: the countdown is re-synced from each status answer
// and, at zero, asks the server rather than deciding (CONTRACT.md "time windows").

/**
 * @typedef {'pending' | 'verified' | 'confirmed' | 'expired' | 'cancelled'} Status
 * @typedef {{
 *   id: string, status: Status, phoneNumber: { masked: string },
 *   verificationNumber: { e164: string, display: string, telUri: string },
 *   windowSeconds: number, remainingSeconds: number, calls?: number,
 *   message?: { ja: string, en: string }, pollToken?: string
 * }} Verification
 * @typedef {{ error?: { code?: string, messageJa?: string } }} ErrorBody
 * @typedef {{ status: number, body: any, retryAfter: number }} Answer
 */

const SYSTEM_FAULT = '調整のため連絡ができなくなりました。なお、お急ぎの場合は本サービスのお問合せ窓口へご照会下さい。'
const CHECKING = '確認しています…'
// The seed's 対処方法 for a lock (R11): it lifts by itself at midnight; staff can help sooner.
const LOCK_HINT = 'このロックは翌日0時（日本時間）に自動で解除されます。その後、改めて操作してください。お急ぎの場合は、お問合せ窓口にご照会ください。'
const LONG_POLL_SECONDS = 25

const BASE = document.body.dataset.base ?? '/demo'
const SIMULATE = document.body.dataset.simulate === 'true'

/** @param {string} id */
function $(id) {
  const el = document.getElementById(id)
  if (!el) throw new Error(`#${id} missing`)
  return el
}

const ui = {
  form: /** @type {HTMLFormElement} */ ($('entry-form')),
  phone: /** @type {HTMLInputElement} */ ($('phone-number')),
  entryError: $('entry-error'),
  masked: $('number-masked'),
  numberError: $('number-error'),
  numberHint: $('number-hint'),
  next: /** @type {HTMLButtonElement} */ ($('number-next')),
  from: $('call-from'),
  to: /** @type {HTMLAnchorElement} */ ($('call-to')),
  remaining: $('call-remaining'),
  status: $('call-status'),
  callError: $('call-error'),
  confirm: /** @type {HTMLButtonElement} */ ($('call-confirm')),
  cancel: /** @type {HTMLButtonElement} */ ($('call-cancel')),
  simulatorNote: $('simulator-note'),
}

const state = {
  phoneNumber: '',
  /** @type {Verification | null} */ verification: null,
  pollToken: '',
  /** performance.now() at which the server's window ends, as last told by the server. */
  deadline: 0,
  /** @type {AbortController | null} */ live: null,
  /** @type {number | undefined} */ ticker: undefined,
  askingAtZero: false,
}

// ---- talking to the server ------------------------------------------------------------

/**
 * @param {'GET' | 'POST'} method
 * @param {string} url
 * @param {{ body?: unknown, token?: string, signal?: AbortSignal }} [options]
 * @returns {Promise<Answer>}
 */
async function call(method, url, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  try {
    const res = await fetch(url, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
      cache: 'no-store',
    })
    const body = await res.json().catch(() => ({}))
    return { status: res.status, body, retryAfter: Number(res.headers.get('retry-after')) || 0 }
  } catch (error) {
    if (options.signal?.aborted) throw error
    return { status: 0, body: {}, retryAfter: 0 }
  }
}

/** The customer's message for a refusal: the API's messageJa (DOMAIN.md's table). @param {ErrorBody} body */
function messageOf(body) {
  return body?.error?.messageJa || SYSTEM_FAULT
}

/** @param {ErrorBody} body */
function codeOf(body) {
  return body?.error?.code ?? ''
}

/** @param {number} ms @param {AbortSignal} [signal] */
function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(timer)
      resolve(undefined)
    })
  })
}

// ---- screens --------------------------------------------------------------------------

/** @param {'entry' | 'number' | 'call' | 'done' | 'expired' | 'cancelled'} name */
function show(name) {
  if (name !== 'call') stopWatching()
  for (const screen of document.querySelectorAll('.screen')) {
    /** @type {HTMLElement} */ (screen).hidden = screen.id !== `screen-${name}`
  }
  document.body.dataset.screen = name
  // Each new screen is announced by moving focus to its heading.
  const heading = /** @type {HTMLElement | null} */ (document.querySelector(`#screen-${name} h1`))
  heading?.focus()
  window.scrollTo(0, 0)
}

function restart() {
  state.verification = null
  state.pollToken = ''
  state.phoneNumber = ''
  ui.form.reset()
  ui.entryError.textContent = ''
  show('entry')
}

/** @param {Verification} v */
function showCall(v) {
  ui.from.textContent = v.phoneNumber.masked
  ui.to.textContent = v.verificationNumber.display
  ui.to.href = v.verificationNumber.telUri
  ui.to.setAttribute('aria-label', `認証先電話番号 ${v.verificationNumber.display} に電話をかける`)
  for (const el of document.querySelectorAll('.window-seconds')) el.textContent = String(v.windowSeconds)
  ui.status.textContent = ''
  ui.callError.textContent = ''
  ui.simulatorNote.textContent = ''
  $('simulator').hidden = !SIMULATE
  show('call')
  applyStatus(v)
  startWatching()
}

/** Everything the server says about the verification lands here. @param {Verification} v */
function applyStatus(v) {
  // A late answer about an earlier attempt changes nothing.
  if (state.verification && v.id !== state.verification.id) return
  state.verification = v
  state.deadline = performance.now() + v.remainingSeconds * 1000
  document.body.dataset.status = v.status
  renderRemaining()
  if (v.status === 'verified') ui.status.textContent = v.message?.ja ?? '着信を確認しました。「確定する」を押してください。'
  else if (v.status === 'confirmed') finish(v.message?.ja)
  else if (v.status === 'expired') expire(v.message?.ja)
  else if (v.status === 'cancelled') cancelled(v.message?.ja)
}

// The end screens carry the server's words when it sent some (DOMAIN.md's messages); the
// page's own copy of them is only the fallback.

/** @param {string} [message] */
function finish(message) {
  if (message) $('done-message').textContent = message
  show('done')
}

/** @param {string} [message] */
function expire(message) {
  if (message) $('expired-message').textContent = message
  show('expired')
}

/** @param {string} [message] */
function cancelled(message) {
  if (message) $('cancelled-message').textContent = message
  show('cancelled')
}

// ---- countdown (display only; the server decides) -----------------------------------

function renderRemaining() {
  const left = Math.max(0, Math.ceil((state.deadline - performance.now()) / 1000))
  ui.remaining.textContent = String(left)
  ui.remaining.parentElement?.classList.toggle('low', left <= 20)
  return left
}

function tick() {
  if (renderRemaining() > 0 || state.askingAtZero || !state.verification) return
  // At zero, the server's answer is the verdict; until it says expired, keep asking.
  state.askingAtZero = true
  const { id } = state.verification
  call('GET', `/v1/verifications/${encodeURIComponent(id)}`, { token: state.pollToken, signal: state.live?.signal })
    .then(async (answer) => {
      if (answer.status === 200) applyStatus(answer.body)
      if (document.body.dataset.screen === 'call') await sleep(500)
    })
    .catch(() => {})
    .finally(() => {
      state.askingAtZero = false
    })
}

// ---- live status: SSE first, long-poll when EventSource is missing or fails -----------

function startWatching() {
  stopWatching()
  const controller = new AbortController()
  state.live = controller
  state.ticker = window.setInterval(tick, 250)
  if (typeof EventSource === 'function') watchEvents(controller.signal)
  else void watchLongPoll(controller.signal)
}

function stopWatching() {
  state.live?.abort()
  state.live = null
  if (state.ticker !== undefined) window.clearInterval(state.ticker)
  state.ticker = undefined
}

/** @param {Status} status */
function isTerminal(status) {
  return status === 'confirmed' || status === 'expired' || status === 'cancelled'
}

/** @param {AbortSignal} signal */
function watchEvents(signal) {
  if (!state.verification) return
  const url = `/v1/verifications/${encodeURIComponent(state.verification.id)}/events?token=${encodeURIComponent(state.pollToken)}`
  const source = new EventSource(url)
  signal.addEventListener('abort', () => source.close())
  source.addEventListener('status', (event) => {
    const v = /** @type {Verification} */ (JSON.parse(/** @type {MessageEvent} */ (event).data))
    applyStatus(v)
    if (isTerminal(v.status)) source.close()
  })
  // A stream that cannot open (or drops) hands over to long-poll, which re-syncs at once.
  source.onerror = () => {
    source.close()
    if (!signal.aborted) void watchLongPoll(signal)
  }
}

/** @param {AbortSignal} signal */
async function watchLongPoll(signal) {
  while (!signal.aborted && state.verification) {
    const { id } = state.verification
    const started = performance.now()
    /** @type {Answer} */
    let answer
    try {
      answer = await call('GET', `/v1/verifications/${encodeURIComponent(id)}?waitSeconds=${LONG_POLL_SECONDS}`, {
        token: state.pollToken,
        signal,
      })
    } catch {
      return // aborted: the screen changed
    }
    if (signal.aborted) return
    if (answer.status === 200) {
      applyStatus(answer.body)
      if (isTerminal(answer.body.status)) return
    } else if (answer.status === 401 || answer.status === 404) {
      ui.callError.textContent = messageOf(answer.body)
      return
    } else {
      await sleep(Math.max(2, answer.retryAfter) * 1000, signal)
    }
    // A server that answers at once must not be hammered.
    const elapsed = performance.now() - started
    if (elapsed < 1000) await sleep(1000 - elapsed, signal)
  }
}

// ---- actions ------------------------------------------------------------------------

ui.form.addEventListener('submit', async (event) => {
  event.preventDefault()
  const phoneNumber = ui.phone.value.trim()
  ui.entryError.textContent = ''
  const answer = await call('POST', `${BASE}/api/check`, { body: { phoneNumber } })
  if (answer.status !== 200) {
    ui.entryError.textContent = messageOf(answer.body)
    ui.phone.setAttribute('aria-invalid', 'true')
    ui.phone.focus()
    return
  }
  ui.phone.removeAttribute('aria-invalid')
  state.phoneNumber = phoneNumber
  ui.masked.textContent = answer.body.masked
  ui.numberError.textContent = ''
  ui.numberHint.textContent = ''
  show('number')
})

ui.next.addEventListener('click', async () => {
  ui.next.disabled = true
  ui.numberError.textContent = ''
  ui.numberHint.textContent = ''
  const answer = await call('POST', `${BASE}/api/start`, { body: { phoneNumber: state.phoneNumber } })
  ui.next.disabled = false
  if (answer.status !== 201) {
    ui.numberError.textContent = messageOf(answer.body)
    if (codeOf(answer.body) === 'LOCKED') ui.numberHint.textContent = LOCK_HINT
    return
  }
  const { pollToken, ...v } = /** @type {Verification} */ (answer.body)
  state.pollToken = pollToken ?? ''
  state.verification = /** @type {Verification} */ (v)
  showCall(/** @type {Verification} */ (v))
})

$('number-cancel').addEventListener('click', () => cancelled())

ui.confirm.addEventListener('click', async () => {
  if (!state.verification) return
  ui.confirm.disabled = true
  ui.callError.textContent = ''
  ui.status.textContent = CHECKING
  const answer = await call('POST', `${BASE}/api/confirm/${encodeURIComponent(state.verification.id)}`, { token: state.pollToken })
  ui.confirm.disabled = false
  if (answer.status === 200) return applyStatus(answer.body)
  const code = codeOf(answer.body)
  // R9: before the call, 確定する says 認証中（認証着信待ち） and may be pressed again.
  if (code === 'VERIFICATION_PENDING') ui.status.textContent = messageOf(answer.body)
  else if (code === 'VERIFICATION_EXPIRED') expire(messageOf(answer.body))
  else if (code === 'VERIFICATION_CANCELLED') cancelled(messageOf(answer.body))
  else {
    ui.status.textContent = ''
    ui.callError.textContent = messageOf(answer.body)
  }
})

ui.cancel.addEventListener('click', async () => {
  if (!state.verification) return cancelled()
  ui.cancel.disabled = true
  const answer = await call('POST', `/v1/verifications/${encodeURIComponent(state.verification.id)}/cancel`, { token: state.pollToken })
  ui.cancel.disabled = false
  const code = codeOf(answer.body)
  if (answer.status === 200) cancelled(answer.body.message?.ja)
  else if (code === 'VERIFICATION_EXPIRED') expire(messageOf(answer.body))
  else if (code === 'VERIFICATION_CONFIRMED') finish()
  else ui.callError.textContent = messageOf(answer.body)
})

/** @param {boolean} withheld */
async function simulateCall(withheld) {
  if (!state.verification) return
  ui.simulatorNote.textContent = ''
  const answer = await call('POST', `${BASE}/api/simulate-call`, {
    body: { id: state.verification.id, withheld },
    token: state.pollToken,
  })
  ui.simulatorNote.textContent =
    answer.status === 202
      ? withheld ? '非通知で発信しました（シミュレーション）。' : 'お届け出電話番号から発信しました（シミュレーション）。'
      : messageOf(answer.body)
}

$('simulate-call').addEventListener('click', () => void simulateCall(false))
$('simulate-withheld').addEventListener('click', () => void simulateCall(true))

for (const button of document.querySelectorAll('.restart')) button.addEventListener('click', restart)

document.body.dataset.ready = 'true'
show('entry')
