// The rules about pool (verification) numbers. Pure. The memory store applies these functions;
// the Lua scripts mirror them in includes/pool.lua, and test/store/mirrors.test.ts holds each
// pair to the same answers.

export const NUMBER_STATES = ['active', 'draining', 'quarantined', 'retired'] as const
export type NumberState = (typeof NUMBER_STATES)[number]

export const NUMBER_HEALTHS = ['ok', 'silent', 'answered'] as const
export type NumberHealth = (typeof NUMBER_HEALTHS)[number]

/** R2: a number is handed out only while active with a weight above 0 (Lua: is_allocatable). */
export function isAllocatable(n: { state: NumberState; weight: number }): boolean {
  return n.state === 'active' && n.weight > 0
}

/**
 * Pool health: handed out `silentAfter` times in a row with no call arriving, a number is silent
 * (its carrier routing is likely broken); a retired or already marked one is not (Lua: is_silent).
 */
export function isSilentNumber(n: { state: NumberState; health: NumberHealth; allocationsSinceCall: number }, silentAfter: number): boolean {
  return n.state !== 'retired' && n.health === 'ok' && n.allocationsSinceCall >= silentAfter
}

/** R6: we never answer, so a call with a duration was answered by someone else (Lua: is_answered). */
export function isAnsweredCall(durationSeconds: number): boolean {
  return durationSeconds > 0
}
