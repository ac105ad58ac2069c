import { Type, type Static } from 'typebox'

// Announced maintenance (R12 ⑥, docs/contract.md "/admin"): create and confirm answer 503 MAINTENANCE
// while one is on, and GET /v1/service-status names it.

const Iso = Type.String({ format: 'date-time' })

export const MaintenanceWindowBody = Type.Object({
  id: Type.String(),
  startsAt: Iso,
  endsAt: Iso,
  note: Type.String(),
  createdBy: Type.Optional(Type.String({ description: "The admin token's name" })),
  active: Type.Boolean({ description: 'On right now' }),
})
export type MaintenanceWindowBody = Static<typeof MaintenanceWindowBody>

export const MaintenanceList = Type.Object(
  { maintenance: Type.Array(MaintenanceWindowBody) },
  { description: 'Windows not yet over, earliest first' },
)

export const AddMaintenanceBody = Type.Object(
  {
    startsAt: Type.String({ format: 'date-time', description: 'ISO 8601 with an offset, e.g. 2026-12-01T01:00:00+09:00' }),
    endsAt: Type.String({ format: 'date-time', description: 'After startsAt, and not in the past' }),
    note: Type.Optional(Type.String({ maxLength: 500, description: 'Why: shown to operators, never to customers' })),
  },
  { additionalProperties: false },
)
export type AddMaintenanceBody = Static<typeof AddMaintenanceBody>

export const MaintenanceParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })
export type MaintenanceParams = Static<typeof MaintenanceParams>
