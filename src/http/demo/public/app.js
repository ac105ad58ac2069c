// @ts-check
// The demo bank's page around <callverify-call>: screen ②'s phone field and screen ③ are the
// bank's own; screen ④ is the element. The page holds the verification id and the poll token
// only; its backend (routes.ts) holds the `demo` tenant's API key and confirms for it.

const SYSTEM_FAULT = '調整のため連絡ができなくなりました。なお、お急ぎの場合は本サービスのお問合せ窓口へご照会下さい。'
// The seed's 対処方法 for a lock (R11): it lifts by itself at midnight; staff can help sooner.
const LOCK_HINT = 'このロックは翌日0時（日本時間）に自動で解除されます。その後、改めて操作してください。お急ぎの場合は、お問合せ窓口にご照会ください。'
const BASE = document.body.dataset.base ?? '/demo'
const SIMULATE = document.body.dataset.simulate === 'true'

/** @param {string} id */
function $(id) {
  const el = document.getElementById(id)
  if (!el) throw new Error(`#${id} missing`)
  return el
}

const state = { phoneNumber: '', id: '', pollToken: '' }

/** JSON in, JSON out; a network failure is status 0. @param {string} url @param {unknown} body @param {string} [token] */
async function post(url, body, token) {
  /** @type {Record<string, string>} */
  const headers = { 'content-type': 'application/json', accept: 'application/json' }
  if (token) headers.authorization = `Bearer ${token}`
  try {
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body ?? {}), cache: 'no-store' })
    return { status: res.status, body: await res.json().catch(() => ({})) }
  } catch {
    return { status: 0, body: {} }
  }
}

/** @param {any} body */
const messageOf = (body) => body?.error?.messageJa || SYSTEM_FAULT

/** @param {'entry' | 'number' | 'call' | 'done' | 'cancelled'} name */
function show(name) {
  for (const screen of document.querySelectorAll('.screen')) /** @type {HTMLElement} */ (screen).hidden = screen.id !== `screen-${name}`
  document.body.dataset.screen = name
  // Each new screen is announced by moving focus to its heading.
  const heading = /** @type {HTMLElement | null} */ (document.querySelector(`#screen-${name} h1`))
  heading?.focus()
  window.scrollTo(0, 0)
}

function restart() {
  $('call-slot').replaceChildren()
  Object.assign(state, { phoneNumber: '', id: '', pollToken: '' })
  const form = /** @type {HTMLFormElement} */ ($('entry-form'))
  form.reset()
  $('entry-error').textContent = ''
  show('entry')
}

/** Screen ④: one element, told the id and the poll token; the page listens to its events. */
function showCall() {
  const element = document.createElement('callverify-call')
  element.setAttribute('verification-id', state.id)
  element.setAttribute('poll-token', state.pollToken)
  element.setAttribute('lang', 'ja')
  element.addEventListener('callverify:confirm', async () => {
    const answer = await post(`${BASE}/api/confirm/${encodeURIComponent(state.id)}`, {}, state.pollToken)
    const kit = /** @type {any} */ (element)
    kit.resolveConfirm(answer.status === 0 ? { error: { code: 'NETWORK' } } : answer.body)
  })
  element.addEventListener('callverify:confirmed', () => show('done'))
  for (const name of ['expired', 'cancelled']) element.addEventListener(`callverify:${name}`, () => { $('call-restart').hidden = false })
  $('call-restart').hidden = true
  $('simulator').hidden = !SIMULATE
  $('simulator-note').textContent = ''
  $('call-slot').replaceChildren(element)
  show('call')
}

$('entry-form').addEventListener('submit', async (event) => {
  event.preventDefault()
  const phone = /** @type {HTMLInputElement} */ ($('phone-number'))
  const phoneNumber = phone.value.trim()
  const answer = await post(`${BASE}/api/check`, { phoneNumber })
  if (answer.status !== 200) {
    $('entry-error').textContent = messageOf(answer.body)
    phone.setAttribute('aria-invalid', 'true')
    return phone.focus()
  }
  phone.removeAttribute('aria-invalid')
  state.phoneNumber = phoneNumber
  $('number-masked').textContent = answer.body.masked
  $('number-error').textContent = ''
  $('number-hint').textContent = ''
  show('number')
})

// 電話番号の決定: the window (R3) opens as screen ④ appears.
$('number-next').addEventListener('click', async () => {
  const next = /** @type {HTMLButtonElement} */ ($('number-next'))
  next.disabled = true
  $('number-error').textContent = ''
  $('number-hint').textContent = ''
  const answer = await post(`${BASE}/api/start`, { phoneNumber: state.phoneNumber })
  next.disabled = false
  if (answer.status !== 201) {
    $('number-error').textContent = messageOf(answer.body)
    if (answer.body?.error?.code === 'LOCKED') $('number-hint').textContent = LOCK_HINT
    return
  }
  Object.assign(state, { id: answer.body.id, pollToken: answer.body.pollToken })
  showCall()
})

$('number-cancel').addEventListener('click', () => show('cancelled'))

/** @param {boolean} withheld */
async function simulateCall(withheld) {
  $('simulator-note').textContent = ''
  const answer = await post(`${BASE}/api/simulate-call`, { id: state.id, withheld }, state.pollToken)
  $('simulator-note').textContent = answer.status === 202
    ? withheld ? '非通知で発信しました（シミュレーション）。' : 'お届け出電話番号から発信しました（シミュレーション）。'
    : messageOf(answer.body)
}

$('simulate-call').addEventListener('click', () => void simulateCall(false))
$('simulate-withheld').addEventListener('click', () => void simulateCall(true))
for (const button of document.querySelectorAll('.restart')) button.addEventListener('click', restart)

document.body.dataset.ready = 'true'
show('entry')
