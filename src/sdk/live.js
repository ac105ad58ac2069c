// @ts-check
// Live status for the element: SSE (`?token=`, since EventSource sends no headers), falling
// back to long-poll. Every answer is the whole GET body, so a reconnect, which starts with the
// current state, cannot lose a change made while it was away (the stream's first event and a
// long-poll's first answer are the state now). Stops at a terminal status or when aborted.

const LONG_POLL_SECONDS = 25
// An EventSource that keeps failing before any event (a proxy that buffers, a 429) hands over.
const SSE_FAILURES_BEFORE_FALLBACK = 2

export const TERMINAL = ['confirmed', 'expired', 'cancelled']

/**
 * @typedef {{ status: number, body: any, retryAfter: number }} Answer
 * @typedef {{ base: string, id: string, token: string, signal: AbortSignal,
 *   onStatus: (body: any) => void, onError: (answer: Answer) => void }} WatchOptions
 */

/** One request to the service with the poll token; a network failure is status 0. */
export async function ask(/** @type {string} */ method, /** @type {string} */ url, /** @type {string} */ token, /** @type {AbortSignal} */ signal) {
  try {
    const res = await fetch(url, { method, headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, signal, cache: 'no-store', credentials: 'omit' })
    const body = await res.json().catch(() => ({}))
    return /** @type {Answer} */ ({ status: res.status, body, retryAfter: Number(res.headers.get('retry-after')) || 0 })
  } catch (error) {
    if (signal.aborted) throw error
    return /** @type {Answer} */ ({ status: 0, body: {}, retryAfter: 0 })
  }
}

function sleep(/** @type {number} */ ms, /** @type {AbortSignal} */ signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(undefined) }, { once: true })
  })
}

export function verificationUrl(/** @type {string} */ base, /** @type {string} */ id, suffix = '') {
  return `${base}/v1/verifications/${encodeURIComponent(id)}${suffix}`
}

/** @param {WatchOptions} options */
export function watch(options) {
  if (typeof EventSource === 'function') watchEvents(options)
  else void longPoll(options)
}

/** @param {WatchOptions} options */
function watchEvents(options) {
  const { base, id, token, signal, onStatus } = options
  const source = new EventSource(verificationUrl(base, id, `/events?token=${encodeURIComponent(token)}`))
  let failures = 0
  signal.addEventListener('abort', () => source.close(), { once: true })
  source.addEventListener('status', (event) => {
    failures = 0
    const body = JSON.parse(/** @type {MessageEvent} */ (event).data)
    onStatus(body)
    if (TERMINAL.includes(body.status)) source.close()
  })
  // EventSource retries a dropped stream by itself (readyState CONNECTING); one that cannot
  // open, or keeps dropping, goes to long-poll, which starts with the state now.
  source.onerror = () => {
    if (signal.aborted) return
    failures += 1
    if (source.readyState === EventSource.CLOSED || failures >= SSE_FAILURES_BEFORE_FALLBACK) {
      source.close()
      void longPoll(options)
    }
  }
}

/** @param {WatchOptions} options */
async function longPoll({ base, id, token, signal, onStatus, onError }) {
  let failures = 0
  let seen = ''
  while (!signal.aborted) {
    const started = Date.now()
    let changed = false
    /** @type {Answer} */ let answer
    try {
      answer = await ask('GET', verificationUrl(base, id, `?waitSeconds=${LONG_POLL_SECONDS}`), token, signal)
    } catch {
      return // aborted
    }
    if (signal.aborted) return
    if (answer.status === 200) {
      failures = 0
      changed = answer.body.status !== seen
      seen = answer.body.status
      onStatus(answer.body)
      if (TERMINAL.includes(answer.body.status)) return
    } else if (answer.status === 401 || answer.status === 404) {
      return onError(answer)
    } else {
      // 429/503 say when; a network failure backs off, up to 10 s, and tries again.
      failures += 1
      if (answer.status !== 0) onError(answer)
      await sleep(answer.retryAfter > 0 ? answer.retryAfter * 1000 : Math.min(10_000, 500 * 2 ** failures), signal)
    }
    // A server that answers at once without news is not hammered; after news, ask again at once:
    // a long-poll waits for a change from the status at its own start, so a gap could hide one.
    const elapsed = Date.now() - started
    if (!changed && elapsed < 1000) await sleep(1000 - elapsed, signal)
  }
}
