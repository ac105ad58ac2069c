import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { CallverifyError } from '../../domain/errors.js'
import type { MaintenanceWindow } from '../../store/types.js'
import { errorResponses } from '../schemas/errors.js'
import { BearerAuth } from '../schemas/security.js'
import { AddMaintenanceBody, MaintenanceList, MaintenanceParams, MaintenanceWindowBody } from '../schemas/maintenance.js'
import { audit } from './auth.js'

// Announced maintenance (R12 ⑥). Every change clears this instance's maintenance cache so it
// applies at once here; other instances re-read the store within a second (plugins/gate.ts).

function present(w: MaintenanceWindow, now: number): MaintenanceWindowBody {
  return {
    id: w.id,
    startsAt: new Date(w.startsAt).toISOString(),
    endsAt: new Date(w.endsAt).toISOString(),
    note: w.note,
    ...(w.createdBy !== undefined ? { createdBy: w.createdBy } : {}),
    active: w.startsAt <= now && now < w.endsAt,
  }
}

function invalid(message: string): CallverifyError {
  return new CallverifyError('INVALID_REQUEST', {}, { message })
}

export default async function maintenanceRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { store, gate } = app

  app.get('/maintenance', {
    schema: {
      tags: ['admin'], summary: 'Announced maintenance windows not yet over', security: BearerAuth,
      response: { 200: MaintenanceList, ...errorResponses(401, 403, 503) },
    },
  }, async () => {
    const now = app.clock()
    return { maintenance: (await store.listMaintenance()).map((w) => present(w, now)) }
  })

  app.post('/maintenance', {
    schema: {
      tags: ['admin'], summary: 'Announce maintenance: create and confirm answer 503 MAINTENANCE inside it', security: BearerAuth,
      body: AddMaintenanceBody,
      response: { 201: MaintenanceWindowBody, ...errorResponses(400, 401, 403, 503) },
    },
  }, async (request, reply) => {
    const startsAt = Date.parse(request.body.startsAt)
    const endsAt = Date.parse(request.body.endsAt)
    const now = app.clock()
    if (!(endsAt > startsAt)) throw invalid('endsAt must be after startsAt')
    if (endsAt <= now) throw invalid('endsAt is in the past: this window would change nothing')
    const created = await store.addMaintenance({ startsAt, endsAt, note: request.body.note ?? '', ...(request.admin ? { createdBy: request.admin } : {}) })
    gate.forget()
    const body = present(created, now)
    await audit(request, 'maintenance.add', created.id, undefined, body)
    return reply.code(201).send(body)
  })

  app.delete('/maintenance/:id', {
    schema: {
      tags: ['admin'], summary: 'Withdraw a maintenance window', security: BearerAuth,
      params: MaintenanceParams,
      response: { 204: Type.Null({ description: 'Removed' }), ...errorResponses(401, 403, 404, 503) },
    },
  }, async (request, reply) => {
    const removed = await store.removeMaintenance(request.params.id)
    if (!removed) throw new CallverifyError('NOT_FOUND', {}, { message: 'No such maintenance window' })
    gate.forget()
    await audit(request, 'maintenance.remove', removed.id, present(removed, app.clock()), undefined)
    return reply.code(204).send(null)
  })
}
