import { mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { requireTool } from './tools.js'

// Browser suites drive Debian's chromium through playwright-core (never a downloaded browser).
// Without chromium they report themselves skipped with how to install it, and fail under CI=true.

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync']
const chromiumTool = requireTool(CHROMIUM, 'apt-get install chromium (or .ci/install-browser.sh; or set CHROMIUM_PATH)')

export const hasChromium = chromiumTool.path !== undefined

/** describe, or a skipping one when chromium is missing (outside CI; under CI=true the import fails). */
export const describeBrowser = chromiumTool.describe

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS })
}

/** Screenshots go to test-results/ (ignored by git); SCREENSHOTS_DIR=docs/screenshots refreshes the README's. */
export function screenshotDir(): string {
  const dir = `${resolve(fileURLToPath(new URL('../../', import.meta.url)), process.env.SCREENSHOTS_DIR ?? 'test-results/screenshots')}/`
  mkdirSync(dir, { recursive: true })
  return dir
}

/** Page errors and console errors of a page, for an afterEach to expect empty. */
export function watchErrors(page: Page, into: string[]): void {
  page.on('pageerror', (error) => into.push(`pageerror: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error') into.push(`console: ${message.text()}`)
  })
}

/** Drops the console line Chrome writes for an HTTP error the test caused on purpose (a 409 for R9). */
export function expectHttpErrorLogged(errors: string[], status: number): void {
  for (let i = errors.length - 1; i >= 0; i--) if (errors[i]!.includes(`status of ${status} `)) errors.splice(i, 1)
}

let axeSource: string | undefined

export interface AxeViolation {
  id: string
  impact: string | null
  help: string
  nodes: number
}

/**
 * axe-core injected as a script (evaluated through the DevTools protocol, so a page's strict
 * CSP does not stop it); the serious and critical violations of the page as it is now.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
  await page.evaluate(axeSource)
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: unknown[] }[] }> } }).axe
    const { violations } = await axe.run()
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }))
  })
}

/** Elements (light and shadow DOM) whose right edge passes the viewport: the page overflows sideways. */
export function overflowing(page: Page): Promise<{ scroll: number; width: number; elements: string[] }> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth
    const elements: string[] = []
    const visit = (root: Document | ShadowRoot) => {
      for (const el of root.querySelectorAll('*')) {
        const box = el.getBoundingClientRect()
        if (box.width > 0 && box.right > width + 0.5) elements.push(el.id || el.className.toString() || el.tagName)
        if (el.shadowRoot) visit(el.shadowRoot)
      }
    }
    visit(document)
    return { scroll: document.documentElement.scrollWidth, width, elements }
  })
}
