import { normalizePoolNumber } from '../domain/phone.js'

// The called number is one of ours, from a small set: each is normalised once, not on every
// call (a full libphonenumber parse was a tenth of a voice webhook's CPU, npm run bench's held
// row). Only signed requests reach it; bounded all the same.
const CALLED_CAP = 1000

export class CalledNumbers {
  readonly #seen = new Map<string, string>()

  /** The called number as the store keys it: E.164 when it is a valid number, else as sent. */
  of(to: string): string {
    let e164 = this.#seen.get(to)
    if (e164 === undefined) {
      if (this.#seen.size >= CALLED_CAP) this.#seen.clear()
      this.#seen.set(to, (e164 = normalizePoolNumber(to) ?? to))
    }
    return e164
  }
}
