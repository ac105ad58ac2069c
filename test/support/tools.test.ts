import { describe, expect, it, vi } from 'vitest'
import { findTool, MissingToolError, requireTool } from './tools.js'

// The rule for tool-dependent suites: skipped with one install line outside CI, a failure under CI=true.

// A missing tool outside CI, taken as a suite would take it: its case must not run.
const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
const missing = requireTool('callverify-no-such-tool', 'apt-get install no-such-tool', { PATH: process.env.PATH })
const warned = warn.mock.calls.map((args) => args.join(' '))
warn.mockRestore()
missing.describe('a suite whose tool is missing', () => {
  it('requireTool — never runs', () => {
    throw new Error('a suite without its tool ran')
  })
})

const found = requireTool('node', 'install Node.js', { PATH: process.env.PATH })
let ranWithTool = false
found.describe('a suite whose tool is there', () => {
  it('requireTool — runs', () => {
    ranWithTool = true
  })
})

describe('requireTool', () => {
  it('requireTool — a tool on PATH is found and its suite runs', () => {
    expect(found.path).toBe(findTool('node'))
    expect(ranWithTool).toBe(true)
  })

  it('requireTool — missing outside CI: one line saying how to install it, and the suite skipped', () => {
    expect(missing.path).toBeUndefined()
    // The suite above shows as skipped: its throwing case never ran.
    expect(warned).toEqual(['skipped: callverify-no-such-tool is missing; to run these tests: apt-get install no-such-tool'])
  })

  it('requireTool — missing under CI=true: the suite fails, naming the tool and the install', () => {
    expect(() => requireTool('/nonexistent/chromium', 'apt-get install chromium', { CI: 'true', PATH: '' }))
      .toThrow(new MissingToolError('/nonexistent/chromium', 'apt-get install chromium'))
  })

  it('findTool — a path is taken as it is; a bare name is looked up on PATH only', () => {
    expect(findTool(process.execPath)).toBe(process.execPath)
    expect(findTool('node', '')).toBeUndefined()
    expect(findTool('/nonexistent/node')).toBeUndefined()
  })
})
