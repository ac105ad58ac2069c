import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { describe } from 'vitest'

// Suites that need a program the machine may lack (chromium, promtool, kamailio, sipp): outside
// CI a missing tool skips the suite with one line saying how to install it; under CI=true it
// fails the run, since CI installs every tool (.ci/run) and a silent skip there would be green
// without testing anything.

export interface Tool {
  /** Where the tool is, or undefined when it is missing (outside CI only: under CI that throws). */
  readonly path: string | undefined
  /** `describe` when the tool is there, a skipping one when it is not. */
  readonly describe: ReturnType<typeof describe.skipIf>
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** A path (`/usr/bin/chromium`) as it is, a bare name (`promtool`) looked up on PATH. */
export function findTool(name: string, searchPath = process.env.PATH ?? ''): string | undefined {
  if (name.includes('/')) return executable(name) ? name : undefined
  for (const dir of searchPath.split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name)
  }
  return undefined
}

export class MissingToolError extends Error {
  constructor(name: string, installHint: string) {
    super(`${name} is missing and CI=true requires it: ${installHint}`)
    this.name = 'MissingToolError'
  }
}

/**
 * The suite's tool, found or not. Missing: under CI=true throws (the test file fails); otherwise
 * prints one line and hands back a skipping describe, so the suite shows as skipped, never as passed.
 */
export function requireTool(name: string, installHint: string, env: NodeJS.ProcessEnv = process.env): Tool {
  const path = findTool(name, env.PATH ?? '')
  if (path) return { path, describe: describe.skipIf(false) }
  if (env.CI === 'true') throw new MissingToolError(name, installHint)
  console.warn(`skipped: ${name} is missing; to run these tests: ${installHint}`)
  return { path: undefined, describe: describe.skipIf(true) }
}
