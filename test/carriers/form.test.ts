import { describe, expect, it } from 'vitest'
import { parseForm } from '../../src/carriers/form.js'

describe('parseForm', () => {
  it('keeps a repeated key as a list, in order', () => {
    expect({ ...parseForm('a=1&b=2&a=3') }).toEqual({ a: ['1', '3'], b: '2' })
  })

  it('a field named __proto__ is a field: own, with its values, and no prototype is set', () => {
    const params = parseForm('__proto__=x&__proto__=y&CallSid=CA1')
    expect(Object.getPrototypeOf(params)).toBeNull()
    expect(Object.keys(params)).toEqual(['__proto__', 'CallSid'])
    expect(params['__proto__']).toEqual(['x', 'y'])
    expect(params['length']).toBeUndefined()
  })
})
