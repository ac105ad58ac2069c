import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, RouteOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, STORE_KINDS, type StoreKind, type TestApp } from '../support/app.js'

// Every route the app serves is in the OpenAPI document, every operation there is served, and
// docs/contract.md names the same operations. The routes are read as fastify registers them
// (an onRoute hook, added through fastify's documented `fastify.initialization` channel before
// buildApp registers anything), on both stores: Redis mode serves more (the queues dashboard).

const contract = readFileSync(fileURLToPath(new URL('../../docs/contract.md', import.meta.url)), 'utf8')

/**
 * The routes no OpenAPI document lists, each by name with the reason. An entry names one route
 * ("METHOD /path") or, with `under`, every route below a path; `kinds` limits it to one store.
 * The check runs both ways: a served route missing from the document must be here, and each
 * entry here must match a route the app serves.
 */
const NOT_OPERATIONS: { route?: string; under?: string; kinds?: StoreKind[]; reason: string }[] = [
  { route: 'GET /openapi.json', reason: 'the OpenAPI document itself' },
  { under: '/docs', reason: "the document's viewer (@fastify/swagger-ui): its page, assets and copies of the document" },
  ...['/v1/verifications/{id}', '/v1/verifications/{id}/events', '/v1/verifications/{id}/cancel'].map((path) => (
    { route: `OPTIONS ${path}`, reason: 'a poll-token route\'s CORS preflight (http/cors.ts); docs/contract.md "CORS" describes it' })),
  { under: '/admin/queues', kinds: ['redis'], reason: "bull-board's dashboard and its own API (Redis mode only), behind the admin tokens; docs/contract.md names it" },
]

function exceptionFor(route: string, kind?: StoreKind): (typeof NOT_OPERATIONS)[number] | undefined {
  const path = route.slice(route.indexOf(' ') + 1)
  return NOT_OPERATIONS.find((e) => (!kind || !e.kinds || e.kinds.includes(kind)) &&
    (e.route === route || (e.under !== undefined && (path === e.under || path.startsWith(`${e.under}/`)))))
}

/** "METHOD /path/{param}" as the OpenAPI document writes it: `:p` → `{p}`, `*` → `{*}`, no trailing slash. */
function operation(method: string, url: string): string {
  return `${method.toUpperCase()} ${url.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{*}').replace(/(.)\/$/, '$1')}`
}

/** Every operation of an OpenAPI document. */
function openApiOperations(doc: { paths: Record<string, Record<string, unknown>> }): Set<string> {
  return new Set(Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => operation(method, path))))
}

/** A test app, with every route fastify registered for it; HEAD, added to every GET, left out. */
async function buildRecorded(kind: StoreKind): Promise<{ t: TestApp; served: Set<string> }> {
  const served = new Set<string>()
  const record = (message: unknown) => {
    const { fastify } = message as { fastify: FastifyInstance }
    fastify.addHook('onRoute', (route: RouteOptions) => {
      for (const method of [route.method].flat()) if (method !== 'HEAD') served.add(operation(method, route.url))
    })
  }
  subscribe('fastify.initialization', record)
  try {
    return { t: await buildTestApp(kind), served }
  } finally {
    unsubscribe('fastify.initialization', record)
  }
}

for (const kind of STORE_KINDS) {
  describe(`OpenAPI document (${kind})`, () => {
    let t: TestApp
    let served: Set<string>
    let documented: Set<string>
    beforeAll(async () => {
      ({ t, served } = await buildRecorded(kind))
      documented = openApiOperations((await t.app.inject({ url: '/openapi.json' })).json())
    })
    afterAll(async () => t?.close())

    it('openapi — documents every route the app serves, but the named exceptions', () => {
      expect(served.size).toBeGreaterThan(40)
      const missing = [...served].filter((r) => !documented.has(r) && !exceptionFor(r, kind))
      expect(missing, 'served but not in the OpenAPI document (document them, or name them in NOT_OPERATIONS with the reason)').toEqual([])
    })

    it('openapi — every operation of the document is served, and none is a named exception', () => {
      expect(documented.size).toBeGreaterThan(40)
      for (const route of documented) {
        expect(served.has(route), `${route} is documented but not served`).toBe(true)
        const [method, path] = route.split(' ') as [string, string]
        expect(t.app.hasRoute({ method: method as 'GET', url: path.replace(/\{\*\}$/, '*').replace(/\{(\w+)\}/g, ':$1') }), route).toBe(true)
        expect(exceptionFor(route, kind), `${route} is documented and excepted`).toBeUndefined()
      }
    })

    it('openapi — each named exception matches a route the app serves', () => {
      for (const e of NOT_OPERATIONS.filter((x) => !x.kinds || x.kinds.includes(kind))) {
        expect([...served].some((r) => exceptionFor(r, kind) === e), `${e.route ?? e.under} matches no served route: drop it`).toBe(true)
      }
    })

    it('openapi — every operation declares its responses, each JSON one with a schema', async () => {
      const doc = (await t.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>> }
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(methods)) {
          const responses = Object.entries(op.responses ?? {})
          expect(responses.length, `${method} ${path}`).toBeGreaterThan(0)
          for (const [status, response] of responses) {
            const json = response.content?.['application/json']
            if (json) expect(json.schema, `${method} ${path} ${status}`).toBeDefined()
          }
        }
      }
    })

    it('openapi — the docs UI answers', async () => {
      expect((await t.app.inject({ url: '/docs/' })).statusCode).toBe(200)
    })
  })
}

describe('OpenAPI document and docs/contract.md', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp('memory')
  })
  afterAll(async () => t?.close())

  it('openapi — docs/contract.md names every route of the OpenAPI document, and no other', async () => {
    const documented = openApiOperations((await t.app.inject({ url: '/openapi.json' })).json())
    const named = new Set([...contract.matchAll(/`(GET|POST|PATCH|DELETE) (\/[^\s`?]*)/g)]
      .map((m) => operation(m[1]!, m[2]!))
      .filter((r) => !exceptionFor(r)))
    expect([...named].sort()).toEqual([...documented].sort())
  })
})
