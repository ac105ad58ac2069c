import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { storeOptions } from '../../src/main.js'
import { createMemoryStore } from '../../src/store/memory.js'
import type { Store } from '../../src/store/types.js'
import { launchBrowser } from '../support/browser.js'
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio.js'
import { freePort } from '../support/global-setup.js'

// The service as `npm start` runs it, on a real listener, with the local fake of Twilio's REST
// API behind pool sync, for the console's browser suites.

export const ADMIN_TOKEN = 'console-test-admin-token'
export const POOL = ['+81120000001', '+81120000002', '+81120000003']
const ACCOUNT_SID = `AC${'1'.repeat(32)}`

export interface ConsoleService {
  url: string
  app: FastifyInstance
  store: Store
  twilio: FakeTwilio
  close(): Promise<void>
}

export async function startConsoleService(): Promise<ConsoleService> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const twilio = await startFakeTwilio({
    accountSid: ACCOUNT_SID, authToken: 'fake-auth-token',
    numbers: [{ phoneNumber: POOL[0]!, voiceUrl: 'https://old.example.com/voice' }, { phoneNumber: '+815000000001' }],
  })
  const config = loadConfig({
    PORT: String(port), HOST: '127.0.0.1', PUBLIC_BASE_URL: url, LOG_LEVEL: 'warn', MAX_EVENT_LOOP_DELAY_MS: '0', MAX_EVENT_LOOP_UTILIZATION: '0',
    API_KEYS: 'demo:dev-api-key,bank-b:bank-b-api-key', ADMIN_TOKENS: `alice:${ADMIN_TOKEN},bob:bobs-console-token`,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: 'fake-auth-token', TWILIO_API_URL: twilio.url,
    POOL_NUMBERS: POOL.join(','), LOCK_AFTER_FAILURES: '2', RING_DELAY_MS: '0',
  })
  const store = createMemoryStore(storeOptions(config))
  await store.ensurePoolNumbers(config.poolNumbers)
  const app = await buildApp({ config, store, calendar: { rules: [] } })
  await app.listen({ port, host: '127.0.0.1' })
  return {
    url, app, store, twilio,
    async close() {
      await app.close()
      await twilio.close()
    },
  }
}

// Screenshots go to test-results/ (ignored by git); SCREENSHOTS_DIR=docs/screenshots refreshes the README's.
export const SHOTS = `${resolve(fileURLToPath(new URL('../../', import.meta.url)), process.env.SCREENSHOTS_DIR ?? 'test-results/screenshots')}/`

export interface ConsoleSuite {
  /** Set once the suite has started. */
  service: ConsoleService
  /** The console in a fresh browser context (its own cookies), in Japanese. */
  open(viewport?: { width: number; height: number }): Promise<{ page: Page; context: BrowserContext }>
}

/** A suite's hooks: one browser and one service per file, a context per page, and no page errors. */
export function consoleSuite(): ConsoleSuite {
  let browser: Browser
  const contexts: BrowserContext[] = []
  const errors: Error[] = []
  const suite: ConsoleSuite = {
    service: undefined as unknown as ConsoleService,
    async open(viewport = { width: 1280, height: 900 }) {
      const context = await browser.newContext({ viewport, locale: 'ja-JP' })
      contexts.push(context)
      context.setDefaultTimeout(8000)
      context.on('weberror', (error) => errors.push(error.error()))
      const page = await context.newPage()
      await page.goto(`${suite.service.url}/admin/console`)
      await page.waitForSelector('body[data-ready="true"]')
      return { page, context }
    },
  }
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    browser = await launchBrowser()
    suite.service = await startConsoleService()
  })
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()))
    expect(errors.splice(0).map((e) => e.message)).toEqual([])
  })
  afterAll(async () => {
    await browser?.close()
    await suite.service?.close()
  })
  return suite
}

/** Waits for the live region to say this. */
export function status(page: Page, text: string | RegExp): Promise<void> {
  return page.locator('#status', { hasText: text }).waitFor()
}

export async function signIn(page: Page, token = ADMIN_TOKEN): Promise<void> {
  await page.getByLabel('管理トークン').fill(token)
  await page.getByRole('button', { name: 'ログイン', exact: true }).click()
  await page.locator('#pool-table tbody tr').first().waitFor()
  await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('pool-title')
}

/** Everything a person or a screen reader could read on the page: text, attributes and field values. */
export function pageContent(page: Page): Promise<string> {
  return page.evaluate(() => {
    const values = [...document.querySelectorAll('input, select, textarea')].map((el) => (el as HTMLInputElement).value)
    return `${document.documentElement.outerHTML}\n${values.join('\n')}`
  })
}
