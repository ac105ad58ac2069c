import { ConfigError, loadConfig } from '../../src/config.js'

/** The problems loadConfig names for an environment ([] when it starts). */
export function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig(env)
    return []
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
}
