import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { chromium, type Browser, type Page } from 'playwright-core'
import { describe, it } from 'vitest'

// Debian's chromium driven by playwright-core (never a downloaded browser). Without it a suite
// is skipped with one line saying how to install it, and fails under CI=true (CONTRACT.md).

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking']
const INSTALL = `chromium not found at ${CHROMIUM}: install it with "apt-get install chromium" (or set CHROMIUM_PATH)`

/** describe for a suite that needs chromium; a browser case gets more time on a busy machine. */
export function describeInChromium(name: string, body: () => void, timeout = 60_000): void {
  if (existsSync(CHROMIUM)) return void describe(name, { timeout }, body)
  if (process.env.CI === 'true') return void describe(name, () => it('chromium is installed', () => { throw new Error(INSTALL) }))
  console.warn(`${name}: skipped, ${INSTALL}`)
  describe.skip(name, body)
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }

/** axe-core's serious and critical violations on the page as it is (evaluated over CDP: a strict CSP does not stop it). */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource)
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document): Promise<{ violations: AxeViolation[] }> } }).axe
    return (await axe.run(document)).violations
  })
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
}
