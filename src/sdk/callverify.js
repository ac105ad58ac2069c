// @ts-check
// <callverify-call verification-id poll-token base-url lang error-code>: screens ③ and ④ for
// any bank's page (docs/contract.md "The frontend kit"). It holds the poll token only, never an API
// key: 確定する asks the page (callverify:confirm), whose backend confirms and hands the answer
// back through resolveConfirm(). The server judges every window; the countdown only shows it.

import { CSS } from './style.js'
import { MARKUP, qrSvg } from './view.js'
import { TERMINAL, ask, verificationUrl, watch } from './live.js'
import { errorMessage, wordsFor } from './text.js'

const WIDE = '(min-width: 768px)' // a desktop browser: show the QR code for the phone in hand
const CONFIRM_TIMEOUT_MS = 30_000

let sheet = /** @type {CSSStyleSheet | undefined} */ (undefined)

export class CallverifyCall extends HTMLElement {
  static observedAttributes = ['verification-id', 'poll-token', 'base-url', 'lang', 'error-code']

  /** @type {any} */ #v = null
  #words = wordsFor(null)
  /** @type {AbortController | null} */ #live = null
  #deadline = 0
  /** @type {number | undefined} */ #ticker
  /** @type {number | undefined} */ #confirmTimer
  #askingAtZero = false
  #fired = new Set()
  #restart = false
  #wide = matchMedia(WIDE)
  #onWide = () => this.#renderHandoff()
  /** @param {string} s @returns {HTMLElement} */ #q = (s) => /** @type {HTMLElement} */ (this.shadowRoot?.querySelector(s))

  constructor() {
    super()
    const root = this.attachShadow({ mode: 'open' })
    if (!sheet) { sheet = new CSSStyleSheet(); sheet.replaceSync(CSS) }
    root.adoptedStyleSheets = [sheet]
    root.innerHTML = MARKUP
    this.#q('.confirm').addEventListener('click', () => this.#confirm())
    this.#q('.cancel').addEventListener('click', () => void this.#cancel())
  }

  connectedCallback() { this.#wide.addEventListener('change', this.#onWide); this.#schedule() }
  disconnectedCallback() { this.#wide.removeEventListener('change', this.#onWide); this.#stop() }
  attributeChangedCallback() { if (this.isConnected) this.#schedule() }

  /** The verification as the server last described it (the GET body), or null. */
  get verification() { return this.#v }

  /** Several attributes set together start once. */
  #schedule() {
    if (this.#restart) return
    this.#restart = true
    queueMicrotask(() => { this.#restart = false; void this.#start() })
  }

  get #base() {
    return (this.getAttribute('base-url') || new URL(import.meta.url).origin).replace(/\/+$/, '')
  }

  async #start() {
    this.#stop()
    this.#v = null
    this.#fired.clear()
    this.#words = wordsFor(this.getAttribute('lang'))
    this.#renderWords()
    const code = this.getAttribute('error-code')
    const id = this.getAttribute('verification-id')
    const token = this.getAttribute('poll-token')
    if (code || !id || !token) return this.#showError(code || (id ? 'UNAUTHORIZED' : 'NOT_FOUND'), true)
    const live = (this.#live = new AbortController())
    this.#status(this.#words.loading)
    const answer = await ask('GET', verificationUrl(this.#base, id), token, live.signal).catch(() => null)
    if (!answer || live.signal.aborted) return
    if (answer.status !== 200) return this.#showError(answer.status === 0 ? 'NETWORK' : answer.body?.error?.code ?? 'OTHER', true)
    this.#apply(answer.body)
    if (TERMINAL.includes(answer.body.status)) return
    this.#ticker = window.setInterval(() => this.#tick(), 250)
    watch({
      base: this.#base, id, token, signal: live.signal,
      onStatus: (body) => this.#apply(body),
      onError: (a) => this.#showError(a.status === 0 ? 'NETWORK' : a.body?.error?.code ?? 'OTHER', a.status === 401 || a.status === 404),
    })
  }

  #stop() {
    this.#live?.abort()
    this.#live = null
    window.clearInterval(this.#ticker)
    window.clearTimeout(this.#confirmTimer)
  }

  #renderWords() {
    const w = this.#words
    this.#q('#title').textContent = w.title
    this.#q('.intro').textContent = w.intro
    for (const key of /** @type {const} */ (['from', 'fromSub', 'to', 'toSub', 'qrHint'])) this.#q(`.t-${key}`).textContent = w[key]
    this.#q('.confirm').textContent = w.confirm
    this.#q('.cancel').textContent = w.cancel
    this.#q('.call').textContent = w.tapToCall
    this.#q('#notes-title').textContent = w.notesTitle
    this.#q('.error').textContent = ''
    this.#q('.status').textContent = ''
  }

  /** Everything the server says about the verification lands here. */
  #apply(/** @type {any} */ v) {
    if (this.#v && v.id !== this.#v.id) return
    const changed = this.#v?.status !== v.status
    this.#v = v
    this.#deadline = performance.now() + v.remainingSeconds * 1000
    const terminal = TERMINAL.includes(v.status)
    const facts = this.#q('.facts')
    if (facts.hidden) this.#renderFacts(v)
    this.#q('.actions').hidden = terminal
    this.#q('.timer').hidden = terminal
    this.#q('.error').textContent = ''
    const lang = this.#words === wordsFor('en') ? 'en' : 'ja'
    if (changed || v.status !== 'pending') this.#status(v.message?.[lang] ?? '', v.status === 'expired' ? 'warning' : v.status === 'pending' ? '' : 'success')
    this.#renderTimer()
    // A reconnect may skip a state: a confirmed verification was verified first (verifiedAt).
    if (v.status === 'verified' || (v.status === 'confirmed' && v.verifiedAt)) this.#fire('verified', v)
    if (terminal) {
      this.#fire(v.status, v)
      this.#stop()
      this.#renderHandoff()
    }
  }

  #renderFacts(/** @type {any} */ v) {
    this.#q('.facts').hidden = false
    this.#q('.notes').hidden = false
    this.#q('.masked').textContent = v.phoneNumber.masked
    const number = /** @type {HTMLAnchorElement} */ (this.#q('.number'))
    number.textContent = v.verificationNumber.display
    number.href = v.verificationNumber.telUri
    number.setAttribute('aria-label', this.#words.dialLabel(v.verificationNumber.display))
    const call = /** @type {HTMLAnchorElement} */ (this.#q('.call'))
    call.href = v.verificationNumber.telUri
    const list = this.#q('.notes ul')
    list.replaceChildren(...this.#words.notes(v.windowSeconds).map((text) => Object.assign(document.createElement('li'), { textContent: text })))
    this.#renderHandoff()
  }

  /** Wide screen: the QR code for the phone in hand; a phone: the tap-to-call link (R8). */
  #renderHandoff() {
    const v = this.#v
    const open = v && !TERMINAL.includes(v.status)
    const wide = this.#wide.matches
    const handoff = this.#q('.handoff')
    const qr = this.#q('.qr')
    handoff.hidden = !(open && wide)
    this.#q('.call').hidden = !(open && !wide)
    if (open && wide && !qr.firstChild) qr.append(qrSvg(v.verificationNumber.telUri, this.#words.qrLabel(v.verificationNumber.display)))
    if (!(open && wide)) qr.replaceChildren()
  }

  #renderTimer() {
    const left = Math.max(0, Math.ceil((this.#deadline - performance.now()) / 1000))
    const timer = this.#q('.timer')
    timer.textContent = this.#words.remaining(left)
    timer.classList.toggle('low', left <= 20)
    return left
  }

  #tick() {
    if (this.#renderTimer() > 0 || this.#askingAtZero || !this.#v || !this.#live) return
    // At zero the server's answer is the verdict (the stream brings it too); ask until it comes.
    this.#askingAtZero = true
    const signal = this.#live.signal
    ask('GET', verificationUrl(this.#base, this.#v.id), this.getAttribute('poll-token') ?? '', signal)
      .then(async (a) => { if (a.status === 200) this.#apply(a.body); await new Promise((r) => setTimeout(r, 1000)) })
      .catch(() => {})
      .finally(() => { this.#askingAtZero = false })
  }

  #status(/** @type {string} */ text, tone = '') {
    const status = this.#q('.status')
    status.textContent = text
    status.dataset.tone = tone
  }

  /** An error: its customer message; `final` when there is no verification to go on with. */
  #showError(/** @type {string} */ code, final = false) {
    if (final) {
      this.#stop()
      this.#status('')
      this.#q('.actions').hidden = true
      this.#q('.facts').hidden = true
      this.#q('.notes').hidden = true
    }
    this.#q('.error').textContent = errorMessage(this.#words, code)
  }

  #fire(/** @type {string} */ name, /** @type {any} */ detail) {
    if (this.#fired.has(name)) return
    this.#fired.add(name)
    this.dispatchEvent(new CustomEvent(`callverify:${name}`, { detail, bubbles: true, composed: true }))
  }

  /** 確定する: the page's backend confirms with its API key (callverify:confirm), then calls resolveConfirm. */
  #confirm() {
    if (!this.#v || TERMINAL.includes(this.#v.status)) return
    const button = /** @type {HTMLButtonElement} */ (this.#q('.confirm'))
    button.disabled = true
    this.#q('.error').textContent = ''
    this.#status(this.#words.checking)
    this.#confirmTimer = window.setTimeout(() => { button.disabled = false }, CONFIRM_TIMEOUT_MS)
    this.dispatchEvent(new CustomEvent('callverify:confirm', { detail: this.#v, bubbles: true, composed: true }))
  }

  /**
   * The answer of the page's backend to 確定する: the verification body (confirmed), or the
   * contract error body ({error: {code}}) it got; R9's VERIFICATION_PENDING may be pressed again.
   */
  resolveConfirm(/** @type {any} */ answer) {
    window.clearTimeout(this.#confirmTimer)
    const button = /** @type {HTMLButtonElement} */ (this.#q('.confirm'))
    button.disabled = false
    if (answer && typeof answer.status === 'string') return this.#apply(answer)
    const code = answer?.error?.code ?? 'OTHER'
    if (code === 'VERIFICATION_PENDING') return this.#status(errorMessage(this.#words, code))
    this.#status('')
    this.#showError(code)
  }

  /** 中止する: the frontend cancels with its poll token (R10). */
  async #cancel() {
    const v = this.#v
    const signal = this.#live?.signal
    if (!v || !signal) return
    const button = /** @type {HTMLButtonElement} */ (this.#q('.cancel'))
    button.disabled = true
    const answer = await ask('POST', verificationUrl(this.#base, v.id, '/cancel'), this.getAttribute('poll-token') ?? '', signal).catch(() => null)
    button.disabled = false
    if (!answer) return
    if (answer.status === 200) return this.#apply(answer.body)
    this.#showError(answer.status === 0 ? 'NETWORK' : answer.body?.error?.code ?? 'OTHER')
  }
}

if (!customElements.get('callverify-call')) customElements.define('callverify-call', CallverifyCall)
