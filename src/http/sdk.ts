import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { CallverifyError } from '../domain/errors.js'
import { errorResponses } from './schemas/errors.js'

// GET /sdk/callverify.js (docs/contract.md "The frontend kit"): the <callverify-call> element as plain
// ES modules, public code for any bank's page. Module scripts load in CORS mode, so every file
// answers Access-Control-Allow-Origin: * (never credentials); an ETag per file lets browsers
// revalidate cheaply after the short max-age, and a deploy changes the tag.

// src/sdk beside src/http; scripts/copy-assets.mjs copies it beside the JS in dist/.
const SDK_DIR = fileURLToPath(new URL('../sdk/', import.meta.url))

export interface SdkFile {
  body: Buffer
  etag: string
}

/** The element's files, and the QR encoder (uqr's ES build from node_modules) as qr.js. */
export function loadSdkFiles(): Map<string, SdkFile> {
  const files = new Map<string, SdkFile>()
  const add = (name: string, body: Buffer) => {
    files.set(name, { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` })
  }
  for (const name of readdirSync(SDK_DIR)) if (name.endsWith('.js')) add(name, readFileSync(join(SDK_DIR, name)))
  // uqr exports only import/require conditions: its ES build sits beside the CommonJS one.
  const uqr = join(dirname(createRequire(import.meta.url).resolve('uqr')), 'index.mjs')
  add('qr.js', readFileSync(uqr))
  return files
}

const HEADERS = {
  'content-type': 'text/javascript; charset=utf-8',
  'access-control-allow-origin': '*',
  'cross-origin-resource-policy': 'cross-origin',
  'x-content-type-options': 'nosniff',
  'cache-control': 'public, max-age=300',
}

export default async function sdkRoutes(app: FastifyInstance): Promise<void> {
  const files = loadSdkFiles()
  app.get<{ Params: { file: string } }>('/:file', {
    schema: {
      tags: ['sdk'],
      summary: 'The <callverify-call> element (callverify.js) and the modules it imports, for any origin',
      params: Type.Object({ file: Type.String({ maxLength: 64 }) }),
      response: { 200: Type.String({ description: 'text/javascript' }), 304: Type.Null(), ...errorResponses(404) },
    },
  }, async (request, reply) => {
    const file = files.get(request.params.file)
    if (!file) throw new CallverifyError('NOT_FOUND', {}, { message: 'No such SDK file' })
    reply.headers(HEADERS).header('etag', file.etag)
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send()
    return reply.send(file.body)
  })
}
