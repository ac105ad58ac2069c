import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The repository stands alone: its reference is docs/, kept in step with the code here
// (the error table in test/domain/errors.test.ts, the routes in test/http/openapi.test.ts).
const root = fileURLToPath(new URL('../', import.meta.url))
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8')
/** The repository's files, committed or not (ignored ones left out). */
const files = (...patterns: string[]) =>
  execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', ...patterns], { cwd: root, encoding: 'utf8' }).split('\n').filter((f) => f && existsSync(`${root}${f}`))

/** Every environment variable src/config.ts and src/config/ read: env.NAME, and the names they pass as strings. */
function configNames(): Set<string> {
  const modules = ['src/config.ts', ...files('src/config/*.ts')]
  expect(modules.length).toBeGreaterThan(1)
  const source = modules.map(read).join('\n')
  return new Set([...source.matchAll(/env\.([A-Z][A-Z0-9_]+)|'([A-Z][A-Z0-9_]+)'/g)].map((m) => (m[1] ?? m[2])!))
}

/** The first column of docs/configuration.md's table of the service. */
function documentedNames(): Set<string> {
  const doc = read('docs/configuration.md')
  const section = doc.slice(doc.indexOf('## The service'), doc.indexOf('## The CLI'))
  return new Set([...section.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]!))
}

describe('docs/', () => {
  it('configuration — docs/configuration.md lists every variable the config reads, and no other', () => {
    const read = configNames()
    expect(read.size).toBeGreaterThan(30)
    expect([...documentedNames()].sort()).toEqual([...read].sort())
  })

  it('configuration — .env.example names every documented variable', () => {
    const example = read('.env.example')
    for (const name of documentedNames()) expect(example, name).toMatch(new RegExp(`^#? ?${name}=`, 'm'))
  })

  it('stands alone — no tracked file links or reads a folder beside the repository', () => {
    const text = files().filter((f) => !/\.(png|jpe?g|ico)$/.test(f) && f !== 'package-lock.json')
    // Built from parts, so that this file does not match itself.
    const outside = new RegExp(['\\.\\./', 'shared/', '|/work/', 'shared'].join(''))
    const offenders = text.filter((f) => outside.test(read(f)))
    expect(offenders).toEqual([])
  })

  it('stands alone — every relative link in README.md and docs/ reaches a file of the repository', () => {
    const documents = ['README.md', ...files('docs/*.md')]
    expect(documents.length).toBeGreaterThan(3)
    for (const document of documents) {
      const dir = document.includes('/') ? document.slice(0, document.lastIndexOf('/') + 1) : ''
      for (const [, target] of read(document).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue
        expect(existsSync(`${root}${dir}${target}`), `${document} → ${target}`).toBe(true)
      }
    }
  })
})
