import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Command, type Redis } from 'ioredis'

// One loader for every script (bullmq's habit): the key count comes from the file name
// (`recordCall-3.lua` → recordCall with 3 keys; `-n`: the caller passes the count first, for
// scripts that take a varying number of rate-limit counters) and `--- @include "x"` pastes
// lua/includes/x.lua.
// A script is sent as ioredis' own defineCommand sends one: EVALSHA, and EVAL once on NOSCRIPT
// (which loads it), so a failover's empty script cache heals itself — which is why these are
// never queued inside multi(). Built with less: ioredis' Script copies the arguments three
// times, prefixes each key through a callback and wraps every command's reject, a twentieth of
// a create's and a status poll's CPU (npm run bench, BENCH_CPU_PROF).
// Only redis/scripts.ts calls them (class Scripts): it lays out each script's KEYS and ARGV from a
// typed object and names each reply's type.

const LUA_DIR = fileURLToPath(new URL('./lua/', import.meta.url))
const INCLUDE = /^--- @include "([a-z-]+)"$/gm

export type Arg = string | number

/** Every script under lua/, by the name before its key count. */
export const SCRIPT_NAMES = [
  'createVerification', 'readVerification', 'pollVerification', 'hit', 'confirmVerification', 'cancelVerification', 'expireDue',
  'recordCall', 'recordWithheldCall', 'recordCallStatus', 'addNumber', 'updateNumber', 'markSilent',
  'listNumbers', 'summarizePool',
] as const
export type ScriptName = (typeof SCRIPT_NAMES)[number]

// Replies as strings (ioredis' own commands decode the same way).
const UTF8 = { replyEncoding: 'utf8' } as const

/**
 * A script call whose arguments are already one flat array of strings (LuaScript.run builds it
 * so): ioredis' Command copies its arguments with Array#flat, 2.7 µs for a create's 27 (as
 * long as the rest of the command), and turns each non-string into one. Built empty, then
 * given the array, it sends the same bytes (test/store/scripts.test.ts compares the two).
 */
export class ScriptCommand extends Command {
  constructor(name: 'evalsha' | 'eval', wire: string[]) {
    super(name, [], UTF8)
    this.args = wire
  }
}

const send = (redis: Redis, name: 'evalsha' | 'eval', wire: string[]) => redis.sendCommand(new ScriptCommand(name, wire)) as Promise<unknown>

export class LuaScript {
  private readonly sha: string

  constructor(
    private readonly lua: string,
    /** undefined: a `-n` script, whose caller passes the key count first. */
    private readonly numberOfKeys: number | undefined,
  ) {
    this.sha = createHash('sha1').update(lua).digest('hex')
  }

  /** `args`: the KEYS (`prefix` is put before each), then ARGV; a `-n` script's key count first. */
  run(redis: Redis, prefix: string, args: readonly Arg[]): Promise<unknown> {
    const from = this.numberOfKeys === undefined ? 1 : 0
    const keys = this.numberOfKeys ?? Number(args[0])
    const wire = new Array<string>(args.length - from + 2)
    wire[0] = this.sha
    wire[1] = String(keys)
    for (let i = from; i < args.length; i++) {
      const arg = args[i]!
      wire[i - from + 2] = i - from < keys ? prefix + arg : typeof arg === 'string' ? arg : String(arg)
    }
    return send(redis, 'evalsha', wire).catch((error: unknown) => {
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error
      wire[0] = this.lua
      return send(redis, 'eval', wire)
    })
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

/** Every script, by name: a script missing from SCRIPT_NAMES, or a name without its script, fails at load. */
export function loadScripts(): Record<ScriptName, LuaScript> {
  const scripts = new Map(scriptSources().map(({ name, numberOfKeys, lua }) => [name, new LuaScript(lua, numberOfKeys)]))
  const unnamed = [...scripts.keys()].filter((name) => !(SCRIPT_NAMES as readonly string[]).includes(name))
  const missing = SCRIPT_NAMES.filter((name) => !scripts.has(name))
  if (unnamed.length > 0 || missing.length > 0) throw new Error(`lua scripts and SCRIPT_NAMES differ: ${[...unnamed, ...missing].join(', ')}`)
  return Object.fromEntries(scripts) as Record<ScriptName, LuaScript>
}
