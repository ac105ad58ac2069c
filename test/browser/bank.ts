import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, normalize } from 'node:path'
import { Callverify, CallverifyError } from '../../src/client/index.js'
import { API_KEY } from '../support/app.js'
import { startOrigin, type Origin, type Service } from '../support/service.js'

// The bank of element.test.ts, on its own origin: a page with one <script type="module"> from
// the service and one <callverify-call>, and a backend that confirms with callverify/client.
// The page records the element's events in window.seen.

// The machine may have no Japanese font: the bank page brings its own (and themes the element with it).
const FONT_DIR = dirname(createRequire(import.meta.url).resolve('@fontsource-variable/noto-sans-jp/index.css'))

/** A bank: its page around the element, and its backend's 確定する through the client. */
export async function startBank(service: Service): Promise<Origin> {
  const client = new Callverify({ baseUrl: service.url, apiKey: API_KEY })
  return startOrigin(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://bank')
    if (url.pathname.startsWith('/fonts/')) {
      const file = normalize(url.pathname.slice('/fonts/'.length)).replace(/^(\.\.[/\\])+/, '')
      const type = file.endsWith('.css') ? 'text/css' : 'font/woff2'
      return void res.writeHead(200, { 'content-type': type }).end(await readFile(join(FONT_DIR, file)))
    }
    const confirm = /^\/confirm\/([^/]+)$/.exec(url.pathname)
    if (req.method === 'POST' && confirm) {
      const answer = await client.confirm(decodeURIComponent(confirm[1]!)).catch((error: unknown) => {
        if (error instanceof CallverifyError) return { error: error.body }
        throw error
      })
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer))
    }
    const q = (name: string) => (url.searchParams.get(name) ?? '').replace(/[^\w.:/-]/g, '')
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html>
<html lang="${q('lang') || 'ja'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>デモ銀行 API連携認証</title><link rel="stylesheet" href="/fonts/index.css">
<style>body { font-family: 'Noto Sans JP Variable', sans-serif; margin: 16px; } callverify-call { --callverify-font-family: 'Noto Sans JP Variable', sans-serif; }</style><script type="module" src="${service.url}/sdk/callverify.js"></script></head>
<body><main><h1>デモ銀行 API連携認証</h1>
<callverify-call verification-id="${q('id')}" poll-token="${q('token')}" base-url="${service.url}" lang="${q('lang') || 'ja'}"${q('error') ? ` error-code="${q('error')}"` : ''}></callverify-call>
</main><script type="module">
  window.seen = []
  const element = document.querySelector('callverify-call')
  for (const type of ['verified', 'confirmed', 'expired', 'cancelled', 'confirm']) {
    element.addEventListener('callverify:' + type, (event) => window.seen.push({ type, status: event.detail.status, id: event.detail.id }))
  }
  element.addEventListener('callverify:confirm', async (event) => {
    const res = await fetch('/confirm/' + encodeURIComponent(event.detail.id), { method: 'POST' })
    element.resolveConfirm(await res.json())
  })
</script></body></html>`)
  })
}
