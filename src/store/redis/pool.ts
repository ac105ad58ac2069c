import { japanDayNumber } from '../../domain/japan.js'
import { Refusal, refusalError } from '../refusals.js'
import { poolEntry, type PoolNumber, type PoolStore } from '../roles/pool.js'
import { toPoolNumber, toPoolNumbers, toPoolSummaries, type Hash } from './codecs.js'
import { call, type RedisContext } from './context.js'

// The pool role in Redis: pool:all (every number), pool:n:{e164} (its hash), pool:active (active
// number → weight, and the allocation view derived from it: includes/pool.lua).

export function redisPool({ redis, scripts, now }: RedisContext): PoolStore {
  /** A number's hash with what is counted of it at `at`: listNumbers-1.lua's number_view, read in one MULTI. */
  async function numberView(number: Hash, at: number): Promise<PoolNumber> {
    const e164 = String(number.e164)
    const day = japanDayNumber(at)
    const [[, pending], [, callsToday], [, outcomesToday]] = (await call(() =>
      redis.multi()
        .zcount(`pool:pending:${e164}`, `(${at}`, '+inf')
        .get(`calls:${e164}:${day}`)
        .hgetall(`outcomes:${e164}:${day}`)
        .exec(),
    )) as [[null, number], [null, string | null], [null, Record<string, string>]]
    return toPoolNumber({ number, pending, callsToday, outcomesToday })
  }

  return {
    async ensurePoolNumbers(numbers) {
      for (const entry of numbers) {
        const { e164, carrier } = poolEntry(entry)
        await scripts.addNumber({ e164, carrier })
      }
    },
    async listNumbers() {
      return toPoolNumbers(await scripts.listNumbers())
    },
    async summarizePool() {
      return toPoolSummaries(await scripts.summarizePool())
    },
    async countActiveNumbers() {
      return call(() => redis.hlen('pool:active'))
    },
    async getNumber(e164) {
      const h = await call(() => redis.hgetall(`pool:n:${e164}`))
      return h.e164 ? numberView(h, await now()) : null
    },
    async addNumber(input) {
      const reply = await scripts.addNumber(input)
      if (reply === Refusal.NumberExists) throw refusalError(Refusal.NumberExists)
      return numberView(JSON.parse(reply) as Hash, await now())
    },
    async updateNumber(e164, patch, options = {}) {
      const reply = await scripts.updateNumber({ ...patch, e164, guard: options.guard === true })
      if (typeof reply === 'number') throw refusalError(reply)
      const { before, after } = JSON.parse(reply) as { before: Hash; after: Hash }
      const at = await now()
      return { before: await numberView(before, at), after: await numberView(after, at) }
    },
    async markSilent(e164, threshold) {
      return (await scripts.markSilent({ e164, threshold })) === 1
    },
  }
}
