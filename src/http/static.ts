import { readdirSync, readFileSync } from 'node:fs'
import { extname, join } from 'node:path'
import type { FastifyReply } from 'fastify'

// The no-build pages (/demo, /admin/console): their files sit beside their routes in src/ and
// are copied beside the JS into dist/ by scripts/copy-assets.mjs.

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
}

/** A page talks to this origin only: no inline script or style, no framing, no referrer. */
export const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
}

export interface Asset {
  type: string
  body: Buffer
}

/** Read once at start: a request can only ever name a file that was listed here (no traversal). */
export function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>()
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    throw new Error(`page files missing at ${dir}: run "npm run build" (scripts/copy-assets.mjs copies them)`)
  }
  for (const name of names) {
    const type = CONTENT_TYPES[extname(name)]
    if (type) assets.set(name, { type, body: readFileSync(join(dir, name)) })
  }
  return assets
}

/** One of a page's files; revalidated on every load, so a deploy never leaves a stale script. */
export function sendAsset(reply: FastifyReply, asset: Asset): FastifyReply {
  return reply.headers({ 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' }).type(asset.type).send(asset.body)
}
