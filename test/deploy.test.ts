import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, bearer, buildTestApp, type TestApp } from './support/app.js'
import { requireTool } from './support/tools.js'

// What operators load: the Prometheus alert rules (checked and unit-tested by promtool) and the
// Grafana dashboard, both over metrics the service really exports.

const DEPLOY = fileURLToPath(new URL('../deploy/', import.meta.url))
const rules = readFileSync(`${DEPLOY}prometheus/alerts.yml`, 'utf8')
const dashboard = JSON.parse(readFileSync(`${DEPLOY}grafana/callverify.json`, 'utf8')) as {
  uid: string; panels: { type: string; title: string; targets?: { expr: string }[] }[]
}
const promtool = requireTool('promtool', 'apt-get install prometheus (Debian ships promtool in it)')

/** Metric names an expression reads (callverify_…), histogram series folded onto their family. */
const metricsIn = (text: string) => new Set([...text.matchAll(/\bcallverify_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')))

promtool.describe('deploy/prometheus/alerts.yml with promtool', () => {
  const run = (...args: string[]) => execFileSync(promtool.path!, args, { cwd: `${DEPLOY}prometheus`, encoding: 'utf8' })

  it('promtool check rules — the rules are valid', () => {
    expect(run('check', 'rules', 'alerts.yml')).toContain('SUCCESS: 6 rules found')
  })

  it('promtool test rules — each alert fires on trouble and stays quiet when healthy (alerts.test.yml)', () => {
    expect(run('test', 'rules', 'alerts.test.yml')).toContain('SUCCESS')
  })
})

describe('deploy/ over the exported metrics', () => {
  let t: TestApp
  let exported: Set<string>
  beforeAll(async () => {
    t = await buildTestApp('memory')
    const scrape = (await t.app.inject({ url: '/metrics', headers: bearer(ADMIN_TOKEN) })).body
    exported = new Set([...scrape.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!))
  })
  afterAll(async () => t.close())

  it('alerts — every metric an alert reads is one /metrics exports', () => {
    const read = metricsIn(rules)
    expect(read.size).toBeGreaterThanOrEqual(6)
    for (const name of read) expect(exported, name).toContain(name)
    for (const alert of ['CallAnswered', 'NumberSilent', 'StoreUnavailable', 'CallbackDeadLetters', 'HeldCallsNearCapacity', 'PoolBelowSizing']) {
      expect(rules).toContain(`alert: Callverify${alert}`)
    }
  })

  it('dashboard — every panel queries metrics /metrics exports, and every metric of the service has a panel', () => {
    expect(dashboard.uid).toBe('callverify')
    const queried = new Set<string>()
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0)
      for (const target of panel.targets!) for (const name of metricsIn(target.expr)) queried.add(name)
    }
    for (const name of queried) expect(exported, name).toContain(name)
    const own = [...exported].filter((name) => !name.startsWith('callverify_process_'))
    for (const name of own) expect(queried, name).toContain(name)
  })

  it('metrics — the pool sizing gauges: allocatable numbers and tenants', async () => {
    const scrape = (await t.app.inject({ url: '/metrics', headers: bearer(ADMIN_TOKEN) })).body
    expect(scrape).toMatch(/^callverify_pool_allocatable_numbers 3$/m)
    expect(scrape).toMatch(/^callverify_tenants 2$/m)
  })
})
