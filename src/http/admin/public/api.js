import { t } from './i18n.js'

// The /admin API on the session cookie. Every change repeats the session's CSRF token in
// X-CSRF-Token (the server refuses a change without it); a 401 means the session is over.

const session = { csrfToken: '', onEnded: () => {} }

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message ?? `HTTP ${status}`)
    this.status = status
    this.code = error?.code ?? 'HTTP_' + status
    this.body = error
  }
}

export function useSession(csrfToken, onEnded) {
  session.csrfToken = csrfToken
  if (onEnded) session.onEnded = onEnded
}

export async function api(method, path, body) {
  const headers = { accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (method !== 'GET') headers['x-csrf-token'] = session.csrfToken
  const res = await fetch(path, { method, headers, credentials: 'same-origin', ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
  const data = res.status === 204 ? null : await res.json().catch(() => null)
  if (res.status === 401 && path !== '/admin/session') session.onEnded()
  if (!res.ok) throw new ApiError(res.status, data?.error)
  return data
}

/** The number in a path: + as %2B. */
export const numberPath = (e164) => `/admin/numbers/${encodeURIComponent(e164)}`

/** Builds an element: el('td', { class: 'x' }, 'text', child…). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue
    if (name === 'on') for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler)
    else node.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children.flat()) if (child !== undefined && child !== null) node.append(child)
  return node
}

/** Says what an action did, in the page's live region, and moves focus there (or to `focus`). */
export function announce(message, { error = false, focus } = {}) {
  const status = document.getElementById('status')
  status.textContent = message
  status.classList.toggle('error', error)
  ;(focus ?? status).focus()
}

/** An action's failure, as the API said it. */
export function failure(error) {
  announce(t('failed', { code: error.code ?? 'ERROR', message: error.message }), { error: true })
}

/** Runs a form's action with its submit button disabled meanwhile; failures are announced. */
export function onSubmit(form, action) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const button = form.querySelector('button[type="submit"]')
    if (button) button.disabled = true
    try {
      await action(new FormData(form), event)
    } catch (error) {
      failure(error)
    } finally {
      if (button) button.disabled = false
    }
  })
}
