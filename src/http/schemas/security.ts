// A route's OpenAPI `security`: the Bearer scheme app.ts declares (components.securitySchemes).
export const BearerAuth = [{ bearer: [] }]
