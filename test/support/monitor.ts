import { randomBytes } from 'node:crypto'
import { createConnection } from 'node:net'
import { Redis } from 'ioredis'
import { redisUrl } from './redis.js'

/**
 * The commands sent to Redis (not those a script runs) that `keep` selects while `act` runs,
 * read from MONITOR on a plain socket (ioredis' monitor mode loses its command queue when lines
 * arrive early). Each command is its arguments, the command name first.
 */
export async function commandsDuring(keep: (args: string[]) => boolean, act: () => Promise<unknown>, url = redisUrl()): Promise<string[][]> {
  const { hostname, port } = new URL(url)
  const monitor = createConnection({ host: hostname, port: Number(port || 6379) })
  monitor.setEncoding('utf8')
  const marker = `marker:${randomBytes(8).toString('hex')}`
  const seen: string[][] = []
  let buffered = ''
  let started: () => void
  const ready = new Promise<void>((resolve) => (started = resolve))
  const done = new Promise<void>((resolve) => {
    monitor.on('data', (chunk: string) => {
      buffered += chunk
      const lines = buffered.split('\r\n')
      buffered = lines.pop()!
      for (const line of lines) {
        if (line === '+OK') started()
        else if (line.includes(marker)) resolve()
        else if (!/^\+[\d.]+ \[\d+ lua\]/.test(line)) {
          const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!)
          if (keep(args)) seen.push(args)
        }
      }
    })
  })
  try {
    monitor.write('MONITOR\r\n')
    await ready
    await act()
    const client = new Redis(url)
    await client.echo(marker).finally(() => client.disconnect())
    await done
  } finally {
    monitor.destroy()
  }
  return seen
}
