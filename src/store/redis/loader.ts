import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Redis, Result } from 'ioredis'
import type { Refusal } from '../refusals.js'
import type { CreateReply, ReadReply } from './codecs.js'

// One loader for every script (bullmq's habit): the key count comes from the file name
// (`recordCall-3.lua` → recordCall with 3 keys; `-n`: the caller passes the count first, for
// scripts that take a varying number of rate-limit counters) and `--- @include "x"` pastes
// lua/includes/x.lua.
// ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT, so a failover's empty script
// cache heals itself — which is why these are never queued inside multi().
// Only redis/scripts.ts calls them (class Scripts): it lays out each script's KEYS and ARGV from a
// typed object, so these raw signatures stay here.

const LUA_DIR = fileURLToPath(new URL('./lua/', import.meta.url))
const INCLUDE = /^--- @include "([a-z-]+)"$/gm

export type Arg = string | number

declare module 'ioredis' {
  interface RedisCommander<Context> {
    createVerification(...keysAndArgs: Arg[]): Result<CreateReply, Context>
    readVerification(...keysAndArgs: Arg[]): Result<ReadReply, Context>
    hit(...keysAndArgs: Arg[]): Result<[number, number], Context>
    confirmVerification(...keysAndArgs: Arg[]): Result<string, Context>
    cancelVerification(...keysAndArgs: Arg[]): Result<string, Context>
    expireDue(...keysAndArgs: Arg[]): Result<string, Context>
    recordCall(...keysAndArgs: Arg[]): Result<string, Context>
    recordWithheldCall(...keysAndArgs: Arg[]): Result<0 | 1, Context>
    recordCallStatus(...keysAndArgs: Arg[]): Result<string | Refusal.NumberUnknown, Context>
    addNumber(...keysAndArgs: Arg[]): Result<string | Refusal.NumberExists, Context>
    updateNumber(...keysAndArgs: Arg[]): Result<string | Refusal.NumberUnknown | Refusal.LastActive | Refusal.Retired, Context>
    markSilent(...keysAndArgs: Arg[]): Result<0 | 1, Context>
    listNumbers(...keysAndArgs: Arg[]): Result<string, Context>
    summarizePool(...keysAndArgs: Arg[]): Result<string[], Context>
  }
}

function resolveIncludes(source: string, seen = new Set<string>()): string {
  return source.replace(INCLUDE, (_line, name: string) => {
    if (seen.has(name)) return ''
    seen.add(name)
    return resolveIncludes(readFileSync(`${LUA_DIR}includes/${name}.lua`, 'utf8'), seen)
  })
}

export function scriptSources(): { name: string; numberOfKeys: number | undefined; lua: string }[] {
  return readdirSync(LUA_DIR)
    .filter((file) => file.endsWith('.lua'))
    .map((file) => {
      const match = /^([A-Za-z]+)-(\d+|n)\.lua$/.exec(file)
      if (!match) throw new Error(`lua script ${file} must be named <operation>-<numberOfKeys or n>.lua`)
      const numberOfKeys = match[2] === 'n' ? undefined : Number(match[2])
      return { name: match[1]!, numberOfKeys, lua: resolveIncludes(readFileSync(LUA_DIR + file, 'utf8')) }
    })
}

export function defineScripts(redis: Redis): void {
  for (const { name, numberOfKeys, lua } of scriptSources()) redis.defineCommand(name, numberOfKeys === undefined ? { lua } : { numberOfKeys, lua })
}
