import { list } from './env.js'

/**
 * docs/contract.md "CORS": the origins of the banks' frontends that may call the poll-token routes.
 * Dev default '*'; production names them (unset there: no cross-origin access) and refuses '*',
 * since any page could then drive a customer's verification with a leaked poll token.
 */
export function corsOrigins(raw: string | undefined, production: boolean, problems: string[]): string[] {
  const origins = list(raw ?? (production ? '' : '*'))
  for (const origin of origins) {
    if (origin === '*') {
      if (production) problems.push('CORS_ORIGINS cannot be * in production: name the frontends\' origins (https://bank.example, comma separated)')
      continue
    }
    const url = URL.canParse(origin) ? new URL(origin) : undefined
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== origin) {
      problems.push(`CORS_ORIGINS: "${origin}" is not an origin (scheme://host[:port], no path or trailing slash)`)
    }
  }
  return origins
}
