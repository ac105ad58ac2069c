/**
 * At most `max` holders per key at once (open SSE streams per verification and per address,
 * deliveries per tenant): a slot is taken before the work starts, so a burst cannot pass.
 */
export class Slots {
  private readonly taken = new Map<string, number>()
  constructor(private readonly max: number) {}

  take(key: string): boolean {
    const n = this.taken.get(key) ?? 0
    if (n >= this.max) return false
    this.taken.set(key, n + 1)
    return true
  }

  release(key: string): void {
    const n = (this.taken.get(key) ?? 1) - 1
    if (n <= 0) this.taken.delete(key)
    else this.taken.set(key, n)
  }
}
