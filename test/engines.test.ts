import { readFileSync } from 'node:fs'
import semver from 'semver'
import { describe, expect, it } from 'vitest'

// `npm install` on the Node versions package.json's engines claims prints no EBADENGINE: every
// locked package must run on some release of each Node major we claim (package.json overrides
// pin cookie and content-disposition, whose newest majors need Node 22, to the ones that do not).

const root = new URL('../', import.meta.url)
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { engines: { node: string } }
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[]; dev?: boolean }>
}

describe('engines', () => {
  it('engines — every locked package supports the oldest Node major package.json claims', () => {
    const oldest = semver.minVersion(pkg.engines.node)!.major
    expect(oldest).toBe(20)
    const refused = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && !Array.isArray(entry.engines) && entry.engines?.node)
      .filter(([, entry]) => !semver.intersects((entry.engines as { node: string }).node, `^${oldest}`))
      .map(([path, entry]) => `${path.replace(/^.*node_modules\//, '')}@${entry.version}: node ${(entry.engines as { node: string }).node}`)
    expect(refused).toEqual([])
  })
})
