import type { Redis } from 'ioredis'
import { DEFAULT_CARRIER, encodeAttestation } from '../../domain/carrier.js'
import type { CancelReason } from '../../domain/verification.js'
import { JAPAN_OFFSET_MS } from '../../domain/japan.js'
import type { HashedPhone } from '../../domain/phonehash.js'
import type { NumberHealth, NumberState } from '../../domain/pool.js'
import { DEFAULT_OUTBOX_MAX_LENGTH } from '../outbox.js'
import { CALL_ID_TTL_MS, type CallStatusInput, type RecordCallInput } from '../roles/calls.js'
import type { RateCount } from '../roles/locks.js'
import type { CreateVerificationInput } from '../roles/verifications.js'
import type { Refusal } from '../refusals.js'
import type { CreateReply, PollReply, ReadReply } from './codecs.js'
import type { RedisStoreOptions } from './context.js'
import { rejectAsStoreError } from './context.js'
import { loadScripts, type Arg, type ScriptName } from './loader.js'

export { scriptSources } from './loader.js'

// Each Lua script as a typed method (bullmq's Scripts class): it takes what the step needs and
// lays out KEYS and ARGV in the order the script's header documents, so no caller counts
// arguments. The keys known before the call go in KEYS (ioredis prefixes them); the prefix for
// the keys a script derives goes in ARGV. A driver error comes back as a store error (failure.ts).

/** A caller's number as a script takes it: its digests (never the number) and, for a create, its R1 mask. */
export type CallerDigests = HashedPhone & { masked?: string }

const NO_COUNTS: readonly RateCount[] = []

/** A count's KEYS entry: its counter (includes/counts.lua). */
function pushCountKeys(args: Arg[], counts: readonly RateCount[]): void {
  for (const c of counts) args.push(`rl:${c.key}`)
}

/** A count's ARGV pair: window in ms, max. */
function pushCountArgv(args: Arg[], counts: readonly RateCount[]): void {
  for (const c of counts) args.push(c.windowMs, c.max)
}

/**
 * A `-n` script's KEYS: their number, then the script's own keys, then the counts'
 * (includes/counts.lua). `keys` opens with a 0 where the number goes (cheaper than an unshift).
 */
function countedKeys(keys: Arg[], counts: readonly RateCount[]): Arg[] {
  pushCountKeys(keys, counts)
  keys[0] = keys.length - 1
  return keys
}

/** A call id counts once per carrier: two carriers' ids may collide, a retry of one may not. */
const sidKey = (carrier: string | undefined, callId: string): string => `sid:${carrier ?? DEFAULT_CARRIER}:${callId}`

/** ',a,b,' so a script can find ',tenant,' with string.find (tenant names hold no comma: config.ts). */
const tenantList = (tenants: string[] | undefined): string => (tenants && tenants.length > 0 ? `,${tenants.join(',')},` : '')

export class Scripts {
  /** ARGV[1..5] of every verification script (includes/verification.lua context()), as sent. */
  private readonly contextArgv: readonly string[]
  private readonly lua = loadScripts()

  constructor(private readonly redis: Redis, private readonly options: RedisStoreOptions) {
    this.contextArgv = [options.keyPrefix, options.lockAfterFailures, JAPAN_OFFSET_MS, options.retentionMs, options.outboxMaxLength ?? DEFAULT_OUTBOX_MAX_LENGTH].map(String)
  }

  /** Runs one script; T is its reply's shape, as its header documents it. */
  private send<T>(name: ScriptName, args: Arg[]): Promise<T> {
    try {
      return (this.lua[name].run(this.redis, this.options.keyPrefix, args) as Promise<T>).catch(rejectAsStoreError)
    } catch (error) {
      return rejectAsStoreError(error)
    }
  }

  /** Appends ARGV[1..5] of a verification script (includes/verification.lua context()) to its KEYS. */
  private withContext(keys: Arg[]): Arg[] {
    for (const arg of this.contextArgv) keys.push(arg)
    return keys
  }

  /** createVerification-n.lua. */
  createVerification(input: CreateVerificationInput, caller: CallerDigests): Promise<CreateReply> {
    const counts = input.counts ?? NO_COUNTS
    const args = this.withContext(countedKeys([0, `caller:${caller.hash}`, 'pool:active', `lock:${input.tenant}:${caller.hash}`, `v:${input.id}`], counts))
    args.push(
      input.id, input.tenant, caller.hash, input.pollTokenHash, input.windowMs, input.random,
      input.reference ?? '', input.callbackUrl ?? '', caller.masked ?? '', caller.previousHash ?? '',
      input.numberCount?.max ?? '', input.numberCount?.windowMs ?? '',
    )
    pushCountArgv(args, counts)
    return this.send('createVerification', args)
  }

  /** readVerification-n.lua: the status poll's step. */
  readVerification(read: { id: string; counts?: readonly RateCount[] | undefined }): Promise<ReadReply> {
    const counts = read.counts ?? NO_COUNTS
    const args = this.withContext(countedKeys([0, `v:${read.id}`], counts))
    pushCountArgv(args, counts)
    return this.send('readVerification', args)
  }

  /** pollVerification-n.lua: the status poll's read with at most one count, without the context ARGV. */
  pollVerification(read: { id: string; count?: RateCount | undefined }): Promise<PollReply> {
    const { count } = read
    const args: Arg[] = count === undefined ? [1, `v:${read.id}`] : [2, `v:${read.id}`, `rl:${count.key}`, count.windowMs, count.max]
    return this.send('pollVerification', args)
  }

  /** hit-1.lua. */
  hit(count: { key: string; windowMs: number }): Promise<[current: number, ttlMs: number]> {
    return this.send('hit', [`rl:${count.key}`, count.windowMs])
  }

  /** confirmVerification-1.lua. */
  confirmVerification(step: { id: string; tenant: string }): Promise<string> {
    const args = this.withContext([`v:${step.id}`])
    args.push(step.tenant)
    return this.send('confirmVerification', args)
  }

  /** cancelVerification-1.lua; no tenant: a poll token's cancel (already checked). */
  cancelVerification(step: { id: string; reason: CancelReason; tenant?: string | undefined }): Promise<string> {
    const args = this.withContext([`v:${step.id}`])
    args.push(step.tenant ?? '', step.reason)
    return this.send('cancelVerification', args)
  }

  /** expireDue-1.lua. */
  expireDue(step: { limit: number }): Promise<string> {
    const args = this.withContext(['pool:all'])
    args.push(step.limit)
    return this.send('expireDue', args)
  }

  /** recordCall-3.lua. */
  recordCall(call: RecordCallInput, caller: CallerDigests): Promise<string> {
    const args = this.withContext([sidKey(call.carrier, call.callSid), `caller:${caller.hash}`, `pool:n:${call.to}`])
    args.push(call.to, CALL_ID_TTL_MS, caller.previousHash ?? '', call.carrier ?? DEFAULT_CARRIER, encodeAttestation(call.attestation), tenantList(call.refusingTenants))
    return this.send('recordCall', args)
  }

  /** recordWithheldCall-2.lua. */
  recordWithheldCall(call: { to: string; callSid: string; carrier?: string | undefined }): Promise<0 | 1> {
    const args = this.withContext([sidKey(call.carrier, call.callSid), `pool:n:${call.to}`])
    args.push(call.to, CALL_ID_TTL_MS, call.carrier ?? DEFAULT_CARRIER)
    return this.send('recordWithheldCall', args)
  }

  /** recordCallStatus-2.lua. */
  recordCallStatus(status: CallStatusInput): Promise<string | Refusal.NumberUnknown> {
    return this.send('recordCallStatus', [
      `pool:n:${status.to}`, 'pool:active',
      status.durationSeconds, status.status, this.options.keyPrefix, JAPAN_OFFSET_MS, status.carrier ?? DEFAULT_CARRIER,
    ])
  }

  /** addNumber-3.lua. */
  addNumber(number: { e164: string; carrier?: string | undefined; weight?: number | undefined; label?: string | undefined }): Promise<string | Refusal.NumberExists> {
    return this.send('addNumber', [
      `pool:n:${number.e164}`, 'pool:all', 'pool:active',
      number.e164, number.weight ?? 1, number.label ?? '', number.carrier ?? DEFAULT_CARRIER,
    ])
  }

  /** updateNumber-2.lua: '' leaves a field as it is; an empty label clears it (a NUL byte on the wire). */
  updateNumber(update: { e164: string; state?: NumberState; weight?: number; label?: string; health?: NumberHealth; carrier?: string; guard?: boolean }): Promise<string | Refusal.NumberUnknown | Refusal.LastActive | Refusal.Retired> {
    const label = update.label === undefined ? '' : update.label === '' ? '\0' : update.label
    return this.send('updateNumber', [
      `pool:n:${update.e164}`, 'pool:active',
      update.state ?? '', update.weight ?? '', label, update.health ?? '', update.guard ? '1' : '', update.carrier ?? '',
    ])
  }

  /** markSilent-1.lua. */
  markSilent(number: { e164: string; threshold: number }): Promise<0 | 1> {
    return this.send('markSilent', [`pool:n:${number.e164}`, number.threshold])
  }

  /** listNumbers-1.lua. */
  listNumbers(): Promise<string> {
    return this.send('listNumbers', ['pool:all', this.options.keyPrefix, JAPAN_OFFSET_MS])
  }

  /** summarizePool-1.lua. */
  summarizePool(): Promise<string[]> {
    return this.send('summarizePool', ['pool:all', this.options.keyPrefix])
  }
}
