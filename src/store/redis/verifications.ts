import { maskPhoneNumber } from '../../domain/phone.js'
import { hashedPhone } from '../../domain/phonehash.js'
import { openedVerification } from '../allocation.js'
import type { VerificationStore } from '../roles/verifications.js'
import { decodeRead, decodeStep, toOutcome, toVerifications, type Hash } from './codecs.js'
import type { RedisContext } from './context.js'

// The verifications role in Redis: each step one script (createVerification-n.lua,
// pollVerification-n.lua and readVerification-n.lua, confirmVerification-1.lua,
// cancelVerification-1.lua, expireDue-1.lua).

export function redisVerifications({ scripts, options }: RedisContext): VerificationStore {
  return {
    async createVerification(input) {
      const { hash, previousHash } = hashedPhone(options.phoneHash, input.phoneNumber)
      const caller = { hash, previousHash, masked: maskPhoneNumber(input.phoneNumber) }
      const reply = await scripts.createVerification(input, caller)
      // Opened: {0, now, number[, changed JSON]}, no JSON for what the caller already knows.
      if (Array.isArray(reply)) {
        const now = Number(reply[1])
        const changed = reply.length > 3 ? toVerifications(JSON.parse(String(reply[3])) as Hash[]) : []
        return { verification: openedVerification(input, caller, String(reply[2]), now), now, changed }
      }
      return toOutcome(decodeStep(reply))
    },

    // The status poll's step: no async wrappers between the script's reply and the caller.
    // pollVerification-n.lua reads (about a quarter less of Redis' time than readVerification-n.lua, whose
    // context and helpers a read that changes nothing does not need); readVerification-n.lua
    // expires a window it finds due, and takes more than one count (it stops at the first past
    // its max).
    getVerification(id, counts) {
      if (counts !== undefined && counts.length > 1) return scripts.readVerification({ id, counts }).then(decodeRead)
      // 0: the window is over and still open; the count was taken, the expiry is readVerification's.
      return scripts.pollVerification({ id, count: counts?.[0] })
        .then((reply) => (reply === 0 ? scripts.readVerification({ id }).then(decodeRead) : decodeRead(reply)))
    },

    async confirmVerification(id, tenant) {
      return toOutcome(decodeStep(await scripts.confirmVerification({ id, tenant })))
    },

    async cancelVerification(id, reason, tenant) {
      return toOutcome(decodeStep(await scripts.cancelVerification({ id, reason, tenant })))
    },

    async expireDue(limit) {
      const { now, changed } = decodeStep(await scripts.expireDue({ limit }))
      return { now, changed }
    },
  }
}
