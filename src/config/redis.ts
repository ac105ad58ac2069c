import { list, type Env } from './env.js'
import type { RedisTarget } from './types.js'

/** REDIS_URL, or REDIS_SENTINELS (host:port, comma separated) with REDIS_SENTINEL_NAME; never both. */
export function redisTarget(env: Env, problems: string[]): RedisTarget {
  const url = env.REDIS_URL ?? ''
  if (!env.REDIS_SENTINELS) {
    for (const name of ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD', 'REDIS_PASSWORD']) {
      if (env[name]) problems.push(`${name} applies only with REDIS_SENTINELS${name === 'REDIS_PASSWORD' ? ' (with REDIS_URL the password goes in the URL: redis://:password@host:6379)' : ''}`)
    }
    return url || 'redis://127.0.0.1:6379'
  }
  if (url) problems.push('REDIS_URL and REDIS_SENTINELS are both set: set one (with Sentinel, the Sentinels name the primary)')
  const sentinels = list(env.REDIS_SENTINELS).map((entry) => {
    // host:port, [ipv6]:port; the port defaults to Sentinel's 26379.
    const match = /^(?:\[([^\]]+)\]|([^\s:[\]]+))(?::(\d{1,5}))?$/.exec(entry)
    const port = Number(match?.[3] ?? 26379)
    if (!match || port < 1 || port > 65535) problems.push(`REDIS_SENTINELS: "${entry}" is not host:port (comma separated, e.g. 10.0.0.1:26379,10.0.0.2:26379)`)
    return { host: match?.[1] ?? match?.[2] ?? entry, port }
  })
  if (sentinels.length === 0) problems.push('REDIS_SENTINELS must list at least one host:port')
  const name = env.REDIS_SENTINEL_NAME || 'mymaster'
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) problems.push(`REDIS_SENTINEL_NAME must be the master group name of "sentinel monitor" ([A-Za-z0-9_.-]; got "${name}")`)
  return {
    sentinels,
    name,
    ...(env.REDIS_PASSWORD ? { password: env.REDIS_PASSWORD } : {}),
    ...(env.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: env.REDIS_SENTINEL_PASSWORD } : {}),
  }
}
