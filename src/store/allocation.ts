/** R2: a weighted random pick; `random` is uniform in [0, 1). The Lua twin is in lua/createVerification-n.lua. */
export function pickWeighted(candidates: readonly { key: string; weight: number }[], random: number): string | undefined {
  const total = candidates.reduce((sum, c) => sum + c.weight, 0)
  if (total <= 0) return undefined
  let point = random * total
  for (const c of candidates) {
    point -= c.weight
    if (point < 0) return c.key
  }
  return candidates[candidates.length - 1]?.key
}
