import type { Config } from './types.js'

// Readers of single environment values. A bad value is named in `problems` and the fallback
// kept, so that loadConfig reports every problem at once rather than the first.

export type Env = Record<string, string | undefined>

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
  }
}

export function integer(env: Env, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`)
    return fallback
  }
  return value
}

export function fraction(env: Env, name: string, fallback: number, problems: string[]): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < 0 || value > 1) problems.push(`${name} must be a number from 0 to 1 (got "${raw}")`)
  return Number.isFinite(value) ? value : fallback
}

export function list(raw: string): string[] {
  return raw.split(',').map((s) => s.trim()).filter(Boolean)
}

/** TRUST_PROXY: unset (trust nobody), true, a hop count, or addresses/CIDRs comma separated. */
export function trustProxy(raw: string | undefined): Config['trustProxy'] {
  if (!raw || raw === 'false') return false
  if (raw === 'true') return true
  const hops = /^\d+$/.test(raw) ? Number(raw) : undefined
  return hops === undefined ? raw : (_address, hop) => hop < hops
}
