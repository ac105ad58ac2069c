// Voice answers held ringing for RING_DELAY_MS (R6). A held call is one timer and one
// resolver in a Set: no polling, no CPU while it waits, a few hundred bytes each. Shutdown
// releases them all at once, so every caller still gets the reject (docs/contract.md "voice").

export interface HeldGauge {
  inc(): void
  dec(): void
}

export class HeldCalls {
  readonly #pending = new Set<() => void>()
  #closing = false

  constructor(private readonly gauge?: HeldGauge) {}

  /** Resolves after `ms`, or at once when released; never rejects. After close, at once. */
  hold(ms: number): Promise<void> {
    if (this.#closing || ms <= 0) return Promise.resolve()
    return new Promise((resolve) => {
      const release = (): void => {
        if (!this.#pending.delete(release)) return
        clearTimeout(timer)
        this.gauge?.dec()
        resolve()
      }
      const timer = setTimeout(release, ms)
      this.#pending.add(release)
      this.gauge?.inc()
    })
  }

  /** Shutdown: answers every held call now; later holds resolve at once. Returns how many. */
  releaseAll(): number {
    this.#closing = true
    const released = [...this.#pending]
    for (const release of released) release()
    return released.length
  }

  get size(): number {
    return this.#pending.size
  }

  get closing(): boolean {
    return this.#closing
  }
}
