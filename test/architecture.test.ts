import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// Imports run one way: domain ← store ← jobs ← plugins ← http, carriers translate only. A
// plugin holds one shared resource (src/plugins/); routes use plugins, never the reverse.
// Tighten a rule here as the code gets there (issue 17: store → config, carriers → config).

const SRC = fileURLToPath(new URL('../src/', import.meta.url))

/** A module's layer: its folder under src/ (domain, store, …) or its file (config, app, …). */
function layerOf(file: string): string {
  const path = relative(SRC, file)
  return path.includes('/') ? path.slice(0, path.indexOf('/')) : path.replace(/\.ts$/, '')
}

interface Rule {
  /** Layers of src/ this layer may import (itself always). */
  may: readonly string[]
  /** npm packages it must not import (node: built-ins and the rest are allowed). */
  never?: readonly string[]
  /** When set, the only npm packages it may import. */
  onlyPackages?: readonly string[]
}

export const RULES: Record<string, Rule> = {
  // Pure rules: no I/O, no framework, no clock of its own.
  domain: { may: [], onlyPackages: ['luxon', 'libphonenumber-js'] },
  // config.ts (with config/) parses the environment once; package.ts finds the package root. Both are leaves.
  config: { may: ['domain'], onlyPackages: [] },
  package: { may: [], onlyPackages: [] },
  store: { may: ['domain', 'config'], never: ['fastify', 'fastify-plugin', 'twilio', 'bullmq'] },
  // The call core (carriers/core.ts) records calls through the Store interface; adapters translate only.
  carriers: { may: ['domain', 'config', 'package', 'store'], never: ['fastify', 'fastify-plugin', 'ioredis', 'bullmq'] },
  // BullMQ in Redis mode, timers in memory mode: jobs know no route and no plugin; the plugins
  // hand them what they use (a store, a queue, JobMetrics, a logger).
  jobs: { may: ['domain', 'config', 'package', 'store', 'logging'], never: ['fastify-plugin'] },
  // Each plugin adds one resource; none imports a route (http/) or the app's assembly.
  plugins: { may: ['domain', 'config', 'package', 'store', 'jobs', 'carriers', 'logging'] },
  // Routes by audience: anything but the process entry and the app's assembly.
  http: { may: ['domain', 'config', 'package', 'store', 'jobs', 'carriers', 'plugins', 'logging'] },
}

export interface Import { from: string; to: string; specifier: string }

// import x / { a, b } / * as y / type { … } from '…'; export { … } / * from '…'; import '…'; import('…')
const IMPORT = new RegExp([
  String.raw`^\s*(?:import|export)\s+(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\{[^}]*\}|\w+(?:\s*,\s*(?:\{[^}]*\}|\*\s+as\s+\w+))?)\s+from\s*['"]([^'"]+)['"]`,
  String.raw`^\s*import\s*['"]([^'"]+)['"]`,
  String.raw`\bimport\(\s*['"]([^'"]+)['"]\s*\)`,
].join('|'), 'gm')

/** Every import of a source text: static, re-export and dynamic with a literal specifier. */
export function importsOf(file: string, source: string): Import[] {
  return [...source.matchAll(IMPORT)].map((m) => {
    const specifier = (m[1] ?? m[2] ?? m[3])!
    const to = specifier.startsWith('.') ? resolve(dirname(file), specifier).replace(/\.js$/, '.ts') : specifier
    return { from: file, to, specifier }
  })
}

/** The package an import names: `@scope/name` or `name`; undefined for node: built-ins and files. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('node:')) return undefined
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

/** The imports that break RULES, as "from → to" lines. */
export function violations(imports: readonly Import[]): string[] {
  const found: string[] = []
  for (const i of imports) {
    const layer = layerOf(i.from)
    const rule = RULES[layer]
    if (!rule) continue
    const where = `${relative(SRC, i.from)} → ${i.specifier}`
    const pkg = packageOf(i.specifier)
    if (i.to.startsWith(SRC)) {
      const target = layerOf(i.to)
      if (target !== layer && !rule.may.includes(target)) found.push(`${where} (${layer} may not import ${target})`)
    } else if (pkg && (rule.never?.includes(pkg) || (rule.onlyPackages && !rule.onlyPackages.includes(pkg)))) {
      found.push(`${where} (${layer} may not import the package ${pkg})`)
    }
  }
  return found
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [])
}

describe('import direction', () => {
  const all = sources(SRC).flatMap((file) => importsOf(file, readFileSync(file, 'utf8')))

  it('imports — every arrow of src/ follows RULES', () => {
    expect(all.length).toBeGreaterThan(200)
    expect(violations(all)).toEqual([])
  })

  it('imports — a wrong arrow is caught (the check can fail)', () => {
    const file = join(SRC, 'domain', 'x.ts')
    const source = "import type { Store } from '../store/types.js'\nimport Fastify from 'fastify'\nconst later = await import('../http/v1.js')\nimport { DateTime } from 'luxon'"
    expect(violations(importsOf(file, source))).toEqual([
      'domain/x.ts → ../store/types.js (domain may not import store)',
      'domain/x.ts → fastify (domain may not import the package fastify)',
      'domain/x.ts → ../http/v1.js (domain may not import http)',
    ])
    expect(violations(importsOf(join(SRC, 'store', 'memory.ts'), "import { x } from '../jobs/queue.js'"))).toEqual(['store/memory.ts → ../jobs/queue.js (store may not import jobs)'])
    expect(violations(importsOf(join(SRC, 'carriers', 'twilio', 'rest.ts'), "export { y } from '../../http/errors.js'"))).toEqual(['carriers/twilio/rest.ts → ../../http/errors.js (carriers may not import http)'])
    expect(violations(importsOf(join(SRC, 'jobs', 'callbacks.ts'), "import { a } from '../http/v1.js'\nimport type { Metrics } from '../plugins/metrics.js'\nimport fp from 'fastify-plugin'"))).toEqual([
      'jobs/callbacks.ts → ../http/v1.js (jobs may not import http)',
      'jobs/callbacks.ts → ../plugins/metrics.js (jobs may not import plugins)',
      'jobs/callbacks.ts → fastify-plugin (jobs may not import the package fastify-plugin)',
    ])
    expect(violations(importsOf(join(SRC, 'plugins', 'ratelimit.ts'), "import { apiKeyTenant } from '../http/auth.js'\nimport { buildApp } from '../app.js'"))).toEqual([
      'plugins/ratelimit.ts → ../http/auth.js (plugins may not import http)',
      'plugins/ratelimit.ts → ../app.js (plugins may not import app)',
    ])
    expect(violations(importsOf(join(SRC, 'http', 'v1.ts'), "import { main } from '../main.js'"))).toEqual(['http/v1.ts → ../main.js (http may not import main)'])
  })
})

describe('module size', () => {
  // A module that outgrows this is doing two things (issue 17): split it by role.
  const MAX_LINES = 250
  const lengths = [...sources(SRC), ...readdirSync(join(SRC, 'sdk')).filter((f) => f.endsWith('.js')).map((f) => join(SRC, 'sdk', f))]
    .map((file) => ({ file: relative(SRC, file), lines: readFileSync(file, 'utf8').split('\n').length - 1 }))

  it(`modules — no file of src/ is over ${MAX_LINES} lines`, () => {
    expect(lengths.length).toBeGreaterThan(100)
    expect(lengths.filter((l) => l.lines > MAX_LINES)).toEqual([])
  })
})
