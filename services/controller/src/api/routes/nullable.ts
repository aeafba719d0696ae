// `T | null` as a JSON Schema type list rather than TypeBox's anyOf: fast-json-stringify serializes a
// type list inline, while anyOf validates each value against every branch, which is slow for the
// dashboard's columns of 20,000 values.
import { Type, type TSchema, type Static } from '@sinclair/typebox';

export function Nullable<T extends TSchema & { type: string }>(schema: T) {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });
}
