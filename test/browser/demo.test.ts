import { existsSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { resolve } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { createMemoryStore } from '../../src/store/memory.js'
import type { Store } from '../../src/store/types.js'

// GET /demo in a real browser (Debian's chromium) against the real service on a real
// listener: screens ③ and ④, the call, 確定する (R9), 中止する (R10), the window (R3), the
// day lock (R11) and a phone-sized screen. Each case leaves a screenshot (SHOTS below).

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
// Screenshots go to test-results/ (ignored by git); SCREENSHOTS_DIR=docs/screenshots refreshes the README's.
const SHOTS = `${resolve(fileURLToPath(new URL('../../', import.meta.url)), process.env.SCREENSHOTS_DIR ?? 'test-results/screenshots')}/`
mkdirSync(SHOTS, { recursive: true })
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

const WAITING = '認証中（認証着信待ち）'
const WINDOW_OVER = '120秒が経過しました。API連携認証の最初に戻って操作してください。'
const CANCELLED = 'API連携認証を中止しました。'
const LOCKED_B84 = 'ただ今お取扱いできません。詳しくは本サービスのお問合せ窓口へご照会下さい。理由コードはB84です。'

interface Service {
  url: string
  app: FastifyInstance
  store: Store
}

interface Started {
  id: string
  pollToken: string
  verificationNumber: { e164: string; display: string; telUri: string }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))))
    })
  })
}

/** The service as `npm start` runs it, on its own port: PUBLIC_BASE_URL must name that port (webhook signatures). */
async function startService(env: Record<string, string> = {}): Promise<Service> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const config = loadConfig({ PORT: String(port), HOST: '127.0.0.1', PUBLIC_BASE_URL: url, RING_DELAY_MS: '200', LOG_LEVEL: 'warn', MAX_EVENT_LOOP_DELAY_MS: '0', ...env })
  const store = createMemoryStore({ lockAfterFailures: config.lockAfterFailures, retentionMs: config.retentionHours * 3_600_000 })
  await store.ensurePoolNumbers(config.pool)
  // Always open (R12 is tested elsewhere), and no congestion shedding on a busy test machine.
  const app = await buildApp({ config, store, calendar: { rules: [] } })
  await app.listen({ port, host: '127.0.0.1' })
  return { url, app, store }
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

let browser: Browser | undefined
let main: Service
const contexts: BrowserContext[] = []
const pageErrors: Error[] = []

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true })
  // Without chromium every browser case fails with this message: they never skip.
  if (existsSync(CHROMIUM)) browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
  main = await startService()
})

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()))
  const errors = pageErrors.splice(0)
  expect(errors.map((error) => error.message)).toEqual([])
})

afterAll(async () => {
  await browser?.close()
  await main?.app.close()
})

async function openDemo(service: Service, options: { viewport?: { width: number; height: number }; noEventSource?: boolean } = {}): Promise<Page> {
  if (!browser) throw new Error(`no browser at ${CHROMIUM}: run "apt-get install chromium" (or .ci/install-browser.sh)`)
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 800, height: 900 }, locale: 'ja-JP' })
  contexts.push(context)
  // Shorter than the test's own timeout, so a wait that fails says what it waited for.
  context.setDefaultTimeout(8000)
  // The long-poll fallback: a browser without EventSource must work all the same.
  if (options.noEventSource) await context.addInitScript('delete window.EventSource')
  const page = await context.newPage()
  page.on('pageerror', (error) => pageErrors.push(error))
  await page.goto(`${service.url}/demo`)
  await page.waitForSelector('body[data-ready="true"]')
  return page
}

/** The form's one field, found by its <label> as a screen reader would. */
function phoneField(page: Page) {
  return page.getByRole('textbox', { name: /電話番号/ })
}

function headingFocused(page: Page, id: string) {
  return page.waitForFunction((expected) => document.activeElement?.id === expected, id)
}

/** Form → screen ③ → 電話番号の決定 → screen ④; returns what the demo backend handed the browser. */
async function reachScreen4(page: Page, phoneNumber: string, shot?: string): Promise<Started> {
  await phoneField(page).fill(phoneNumber)
  await page.getByRole('button', { name: '次へ' }).click()
  await page.getByRole('heading', { level: 1, name: 'API連携認証（電話番号の確認）' }).waitFor()
  await headingFocused(page, 'number-title')
  expect(await page.locator('#number-masked').textContent()).toBe(`*******${phoneNumber.slice(-4)}`)
  if (shot) await page.screenshot({ path: `${SHOTS}${shot}`, fullPage: true })

  const started = page.waitForResponse((res) => res.url().endsWith('/demo/api/start'))
  await page.getByRole('button', { name: '電話番号の決定' }).click()
  const body = (await (await started).json()) as Started
  await page.getByRole('heading', { level: 1, name: 'API連携認証（電話番号認証）' }).waitFor()
  await headingFocused(page, 'call-title')
  return body
}

async function statusOf(service: Service, id: string): Promise<string | undefined> {
  return (await service.store.getVerification(id))?.verification.status
}

function statusText(page: Page, text: string) {
  return page.locator('#call-status', { hasText: text }).waitFor()
}

describe('GET /demo in chromium', () => {
  it('flow — ③ masked number, ④ number and tel: link, the call, 確定する, completion', async () => {
    const page = await openDemo(main)
    const bodies: string[] = []
    page.on('response', (res: Response) => {
      if (res.request().resourceType() === 'fetch' || res.request().resourceType() === 'xhr') {
        void res.text().then((text) => bodies.push(text), () => {})
      }
    })
    const started = await reachScreen4(page, '09012345678', 'flow-screen3.png')

    // ④: 発信元 masked (R1), 発信先 large and dialable (R8), the seed's instructions.
    expect(await page.locator('#call-from').textContent()).toBe('*******5678')
    const dial = page.getByRole('link', { name: /認証先電話番号/ })
    expect(await dial.getAttribute('href')).toBe(started.verificationNumber.telUri)
    expect(await dial.textContent()).toBe(started.verificationNumber.display)
    expect(started.verificationNumber.telUri).toMatch(/^tel:\+81120000\d{3}$/)
    const notice = (await page.locator('.notice').textContent()) ?? ''
    for (const words of ['120秒以内', '非通知', '186', '2〜3コール後、自動で電話が切れ', 'アナウンスは流れません', '通話料金は発生しません', '再度お電話ください']) {
      expect(notice).toContain(words)
    }
    const remaining = Number(await page.locator('#call-remaining').textContent())
    expect(remaining).toBeGreaterThan(100)
    expect(remaining).toBeLessThanOrEqual(120)
    await page.screenshot({ path: `${SHOTS}flow-screen4.png`, fullPage: true })

    await page.getByRole('button', { name: 'お届け出電話番号から発信する' }).click()
    await statusText(page, '着信を確認しました')
    expect(await statusOf(main, started.id)).toBe('verified')

    await page.getByRole('button', { name: '確定する' }).click()
    await page.getByRole('heading', { level: 1, name: 'API連携認証（電話番号認証）完了' }).waitFor()
    await headingFocused(page, 'done-title')
    expect(await page.locator('#screen-done').textContent()).toContain('キャッシュカード暗証番号')
    expect(await statusOf(main, started.id)).toBe('confirmed')
    await page.screenshot({ path: `${SHOTS}flow-complete.png`, fullPage: true })

    // The browser held the poll token, never the API key nor the full registered number.
    const seen = bodies.join('\n')
    expect(seen).not.toContain(main.app.config.apiKeys[0]!.key)
    expect(seen).not.toContain('09012345678')
    expect(seen).not.toContain('+819012345678')
  })

  it('確定する — before the call says 認証中（認証着信待ち） and may be pressed again; after the call it completes (R9)', async () => {
    const page = await openDemo(main)
    const started = await reachScreen4(page, '09012340001')
    const confirm = page.getByRole('button', { name: '確定する' })

    await confirm.click()
    await statusText(page, WAITING)
    expect(await confirm.isEnabled()).toBe(true)
    expect(await statusOf(main, started.id)).toBe('pending')
    await page.screenshot({ path: `${SHOTS}confirm-before-call.png`, fullPage: true })

    await page.getByRole('button', { name: 'お届け出電話番号から発信する' }).click()
    await statusText(page, '着信を確認しました')
    await confirm.click()
    await page.getByRole('heading', { level: 1, name: 'API連携認証（電話番号認証）完了' }).waitFor()
    expect(await statusOf(main, started.id)).toBe('confirmed')
  })

  it('withheld call — verifies nothing: still pending, 確定する still says 認証中（認証着信待ち） (R5)', async () => {
    const page = await openDemo(main)
    const started = await reachScreen4(page, '09012340002')
    const before = (await main.store.getNumber(started.verificationNumber.e164))?.callsToday ?? 0

    await page.getByRole('button', { name: '非通知で発信する' }).click()
    await page.locator('#simulator-note', { hasText: '非通知で発信しました' }).waitFor()
    // The carrier's webhook has arrived once the pool number counted the call.
    await until(async () => {
      const calls = (await main.store.getNumber(started.verificationNumber.e164))?.callsToday ?? 0
      return calls > before ? calls : undefined
    }, 'the withheld call to reach the voice webhook')

    await page.getByRole('button', { name: '確定する' }).click()
    await statusText(page, WAITING)
    expect(await statusOf(main, started.id)).toBe('pending')
    expect(await page.evaluate(() => document.body.dataset.status)).toBe('pending')
    await page.screenshot({ path: `${SHOTS}withheld.png`, fullPage: true })
  })

  it('中止する — cancels the verification and says API連携認証を中止しました。 (R10)', async () => {
    const page = await openDemo(main)
    const started = await reachScreen4(page, '09012340003')

    await page.getByRole('button', { name: '中止する' }).click()
    await page.getByRole('heading', { level: 1, name: 'API連携認証の中止' }).waitFor()
    await headingFocused(page, 'cancelled-title')
    expect(await page.locator('#cancelled-message').textContent()).toBe(CANCELLED)
    expect(await statusOf(main, started.id)).toBe('cancelled')
    await page.screenshot({ path: `${SHOTS}cancel.png`, fullPage: true })

    await page.getByRole('button', { name: '連携元画面へ' }).click()
    await headingFocused(page, 'entry-title')
  })

  it('events — the page follows the status over the SSE stream, without long-polling', async () => {
    const page = await openDemo(main)
    const urls: string[] = []
    page.on('request', (request) => urls.push(new URL(request.url()).pathname + new URL(request.url()).search))
    const stream = page.waitForResponse((res) => res.url().includes('/events?token='))
    await reachScreen4(page, '09012340010')
    const events = await stream
    expect(events.status()).toBe(200)
    expect(events.headers()['content-type']).toMatch(/^text\/event-stream/)

    await page.getByRole('button', { name: 'お届け出電話番号から発信する' }).click()
    await statusText(page, '着信を確認しました')
    expect(urls.filter((url) => url.includes('waitSeconds='))).toEqual([])
    await page.screenshot({ path: `${SHOTS}events-verified.png`, fullPage: true })
  })

  it('long-poll — without EventSource the page follows the status all the same', async () => {
    const page = await openDemo(main, { noEventSource: true })
    const started = await reachScreen4(page, '09012340004')
    await page.getByRole('button', { name: 'お届け出電話番号から発信する' }).click()
    await statusText(page, '着信を確認しました')
    await page.getByRole('button', { name: '確定する' }).click()
    await page.getByRole('heading', { level: 1, name: 'API連携認証（電話番号認証）完了' }).waitFor()
    expect(await statusOf(main, started.id)).toBe('confirmed')
    await page.screenshot({ path: `${SHOTS}long-poll-complete.png`, fullPage: true })
  })

  it('phone screen — 375×667: nothing overflows sideways and the buttons are large', async () => {
    const page = await openDemo(main, { viewport: { width: 375, height: 667 } })
    const fits = () =>
      page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        width: document.documentElement.clientWidth,
        overflowing: [...document.querySelectorAll('body *')]
          .filter((el) => (el as HTMLElement).offsetParent !== null && el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
          .map((el) => el.id || el.tagName),
      }))
    const check = async () => {
      const { scroll, width, overflowing } = await fits()
      expect(overflowing).toEqual([])
      expect(scroll).toBeLessThanOrEqual(width)
    }
    await check()
    await reachScreen4(page, '09012340005', 'phone-screen3.png')
    await check()
    for (const name of ['確定する', '中止する', 'お届け出電話番号から発信する']) {
      const box = await page.getByRole('button', { name }).boundingBox()
      expect(box!.height).toBeGreaterThanOrEqual(44)
    }
    const dial = await page.getByRole('link', { name: /認証先電話番号/ }).boundingBox()
    expect(dial!.height).toBeGreaterThanOrEqual(44)
    await page.screenshot({ path: `${SHOTS}phone-screen4.png`, fullPage: true })
  })
})

describe('GET /demo in chromium — short window (WINDOW_SECONDS=2)', () => {
  let short: Service
  beforeAll(async () => {
    short = await startService({ WINDOW_SECONDS: '2' })
  })
  afterAll(async () => {
    await short?.app.close()
  })

  it('window — after it ends the page says 120秒が経過しました and offers the way back (R3)', async () => {
    const page = await openDemo(short)
    const started = await reachScreen4(page, '09012340006')
    await page.getByRole('heading', { level: 1, name: 'API連携認証（電話番号認証）' }).waitFor()
    await page.locator('#screen-expired:not([hidden])').waitFor({ timeout: 8000 })
    await headingFocused(page, 'expired-title')
    expect(await page.locator('#expired-message').textContent()).toBe(WINDOW_OVER)
    expect(await statusOf(short, started.id)).toBe('expired')
    await page.screenshot({ path: `${SHOTS}expired.png`, fullPage: true })

    await page.getByRole('button', { name: '最初に戻る' }).click()
    await headingFocused(page, 'entry-title')
    expect(await phoneField(page).inputValue()).toBe('')
  })
})

describe('GET /demo in chromium — day lock (LOCK_AFTER_FAILURES=1)', () => {
  let strict: Service
  beforeAll(async () => {
    strict = await startService({ LOCK_AFTER_FAILURES: '1' })
  })
  afterAll(async () => {
    await strict?.app.close()
  })

  it('locked — after one cancelled attempt, starting again shows the B84 message (R11)', async () => {
    const page = await openDemo(strict)
    await reachScreen4(page, '09012340007')
    await page.getByRole('button', { name: '中止する' }).click()
    await page.getByRole('button', { name: '連携元画面へ' }).click()

    await phoneField(page).fill('09012340007')
    await page.getByRole('button', { name: '次へ' }).click()
    await page.getByRole('button', { name: '電話番号の決定' }).click()
    await page.locator('#number-error', { hasText: '理由コードはB84です' }).waitFor()
    expect(await page.locator('#number-error').textContent()).toBe(LOCKED_B84)
    await page.screenshot({ path: `${SHOTS}locked.png`, fullPage: true })
  })
})

describe('demo backend', () => {
  it('assets — served with their content types; nothing outside the folder', async () => {
    const js = await fetch(`${main.url}/demo/assets/app.js`)
    expect(js.status).toBe(200)
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/)
    const css = await fetch(`${main.url}/demo/assets/style.css`)
    expect(css.headers.get('content-type')).toMatch(/^text\/css/)
    for (const path of ['..%2Froutes.ts', '..%2F..%2F..%2Fconfig.ts', 'index.html', '%2e%2e/routes.ts', 'missing.js']) {
      expect((await fetch(`${main.url}/demo/assets/${path}`)).status, path).toBe(404)
    }
    const page = await fetch(`${main.url}/demo`)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(await page.text()).not.toContain(main.app.config.apiKeys[0]!.key)
  })

  it('confirm — needs the verification\'s own poll token', async () => {
    const start = async (phoneNumber: string) =>
      (await (
        await fetch(`${main.url}/demo/api/start`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ phoneNumber }),
        })
      ).json()) as Started
    const mine = await start('09012340008')
    const theirs = await start('09012340009')
    const confirm = (id: string, token?: string) =>
      fetch(`${main.url}/demo/api/confirm/${id}`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} })

    expect((await confirm(mine.id)).status).toBe(401)
    // Another verification's token proves nothing: refused before the backend confirms.
    expect([401, 403, 404]).toContain((await confirm(theirs.id, mine.pollToken)).status)
    const pending = await confirm(mine.id, mine.pollToken)
    expect(pending.status).toBe(409)
    expect(((await pending.json()) as { error: { code: string } }).error.code).toBe('VERIFICATION_PENDING')
    expect(await statusOf(main, theirs.id)).toBe('pending')
  })
})
