import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Redis, Result } from 'ioredis'

// One loader for every script (bullmq's habit): the key count comes from the file name
// (`recordCall-3.lua` → recordCall with 3 keys; `-n`: the caller passes the count first, for
// scripts that take a varying number of rate-limit counters) and `--- @include "x"` pastes
// lua/includes/x.lua.
// ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT, so a failover's empty script
// cache heals itself — which is why these are never queued inside multi().

const LUA_DIR = fileURLToPath(new URL('./lua/', import.meta.url))
const INCLUDE = /^--- @include "([a-z-]+)"$/gm

type Arg = string | number

declare module 'ioredis' {
  interface RedisCommander<Context> {
    createVerification(...keysAndArgs: Arg[]): Result<string | [number, string] | [number, number, string, string], Context>
    readVerification(...keysAndArgs: Arg[]): Result<-1 | string | [number, number], Context>
    hit(...keysAndArgs: Arg[]): Result<[number, number], Context>
    confirmVerification(...keysAndArgs: Arg[]): Result<string, Context>
    cancelVerification(...keysAndArgs: Arg[]): Result<string, Context>
    recordCall(...keysAndArgs: Arg[]): Result<string, Context>
    recordWithheldCall(...keysAndArgs: Arg[]): Result<number, Context>
    recordCallStatus(...keysAndArgs: Arg[]): Result<number, Context>
    addNumber(...keysAndArgs: Arg[]): Result<string | number, Context>
    updateNumber(...keysAndArgs: Arg[]): Result<string | number, Context>
    markSilent(...keysAndArgs: Arg[]): Result<number, Context>
    expireDue(...keysAndArgs: Arg[]): Result<string, Context>
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
