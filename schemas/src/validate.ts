// Validation against the TypeBox definitions, with errors a person can act on: the path of each wrong
// field, what was expected and what was found.
import { FormatRegistry, Kind, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';

if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (value) => /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value)));
}

export interface FieldError {
  /** Dotted path of the field, e.g. `run.budgetSeconds` or `mutator.params[2].name`. */
  path: string;
  message: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** Applies the schema's defaults to a copy of `input`, then checks it. */
export function validateWithDefaults<T>(schema: TSchema, input: unknown): Validated<T> {
  const value = applyDefaults(schema, structuredClone(input));
  const errors = collectErrors(schema, value, '');
  return errors.length === 0 ? { ok: true, value: value as T } : { ok: false, errors };
}

export function formatFieldErrors(errors: FieldError[]): string {
  return errors.map((e) => `${e.path || '(root)'}: ${e.message}`).join('\n');
}

/** `/mutator/params/2/name` → `mutator.params[2].name` */
export function toDottedPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

function joinPointer(base: string, child: string): string {
  return `${base}${child}`;
}

/** The discriminated-union case (`mutator.kind`) gets the chosen variant's defaults and errors. */
function discriminatedVariant(schema: TSchema, value: unknown): TSchema | null | undefined {
  const variants = schema.anyOf as TSchema[] | undefined;
  if (!variants || !variants.every((v) => v.type === 'object' && v.properties?.kind?.const !== undefined)) return undefined;
  if (typeof value !== 'object' || value === null) return null;
  const kind = (value as { kind?: unknown }).kind;
  return variants.find((v) => v.properties.kind.const === kind) ?? null;
}

function applyDefaults(schema: TSchema, value: unknown): unknown {
  const variant = discriminatedVariant(schema, value);
  if (variant) return applyDefaults(variant, value);
  if (schema.type === 'object' && schema.properties && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    for (const [key, child] of Object.entries(schema.properties as Record<string, TSchema>)) {
      if (record[key] === undefined && child.default !== undefined) record[key] = structuredClone(child.default);
      if (record[key] !== undefined) record[key] = applyDefaults(child, record[key]);
    }
    return record;
  }
  if (schema.type === 'array' && schema.items && Array.isArray(value)) {
    return value.map((item) => applyDefaults(schema.items as TSchema, item));
  }
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function literalChoices(schema: TSchema): string[] | null {
  const variants = schema.anyOf as TSchema[] | undefined;
  if (!variants || !variants.every((v) => v.const !== undefined)) return null;
  return variants.map((v) => JSON.stringify(v.const));
}

function explain(error: ValueError): string {
  const { schema, value } = error;
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.ObjectAdditionalProperties:
      return 'is not a known field';
    case ValueErrorType.Union: {
      const choices = literalChoices(schema);
      if (choices) return `expected one of ${choices.join(', ')}, got ${describe(value)}`;
      return `does not match any allowed form (got ${describe(value)})`;
    }
    case ValueErrorType.Literal:
      return `expected ${JSON.stringify(schema.const)}, got ${describe(value)}`;
    case ValueErrorType.Number:
      return `expected a number, got ${describe(value)}`;
    case ValueErrorType.Integer:
      return `expected an integer, got ${describe(value)}`;
    case ValueErrorType.String:
      return `expected a string, got ${describe(value)}`;
    case ValueErrorType.Boolean:
      return `expected true or false, got ${describe(value)}`;
    case ValueErrorType.Object:
      return `expected an object, got ${describe(value)}`;
    case ValueErrorType.Array:
      return `expected a list, got ${describe(value)}`;
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return `must be at least ${schema.minimum}, got ${String(value)}`;
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return `must be at most ${schema.maximum}, got ${String(value)}`;
    case ValueErrorType.NumberExclusiveMinimum:
    case ValueErrorType.IntegerExclusiveMinimum:
      return `must be greater than ${schema.exclusiveMinimum}, got ${String(value)}`;
    case ValueErrorType.NumberExclusiveMaximum:
    case ValueErrorType.IntegerExclusiveMaximum:
      return `must be less than ${schema.exclusiveMaximum}, got ${String(value)}`;
    case ValueErrorType.StringMinLength:
      return schema.minLength === 1 ? 'must not be empty' : `must have at least ${schema.minLength} characters`;
    case ValueErrorType.StringMaxLength:
      return `must have at most ${schema.maxLength} characters`;
    case ValueErrorType.StringPattern:
      // A pattern may carry words for people (`patternDescription`); the regex itself is the fallback.
      return `must match ${typeof schema.patternDescription === 'string' ? schema.patternDescription : schema.pattern}, got ${describe(value)}`;
    case ValueErrorType.StringFormat:
      return `must be a valid ${schema.format} (for example 2026-11-26T06:00:00Z), got ${describe(value)}`;
    default:
      return error.message;
  }
}

function collectErrors(schema: TSchema, value: unknown, pointer: string): FieldError[] {
  const variant = discriminatedVariant(schema, value);
  if (variant) return collectErrors(variant, value, pointer);
  if (variant === null) {
    const kinds = (schema.anyOf as TSchema[]).map((v) => JSON.stringify(v.properties.kind.const));
    const kind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
    return [{ path: toDottedPath(joinPointer(pointer, '/kind')), message: `expected one of ${kinds.join(', ')}, got ${describe(kind)}` }];
  }
  if (schema.type === 'object' && schema.properties && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    // Walk the object ourselves so that a discriminated union deeper down still gets precise errors.
    const errors: FieldError[] = [];
    const record = value as Record<string, unknown>;
    const properties = schema.properties as Record<string, TSchema>;
    const required = new Set<string>((schema.required as string[] | undefined) ?? []);
    for (const [key, child] of Object.entries(properties)) {
      const childPointer = joinPointer(pointer, `/${key}`);
      if (record[key] === undefined) {
        if (required.has(key)) errors.push({ path: toDottedPath(childPointer), message: 'is required' });
        continue;
      }
      errors.push(...collectErrors(child, record[key], childPointer));
    }
    if (schema.additionalProperties === false) {
      for (const key of Object.keys(record)) {
        if (!(key in properties)) {
          errors.push({
            path: toDottedPath(joinPointer(pointer, `/${key}`)),
            message: `is not a known field (known: ${Object.keys(properties).join(', ')})`,
          });
        }
      }
    }
    return errors;
  }
  if (schema.type === 'array' && schema.items && Array.isArray(value)) {
    const own: FieldError[] = [];
    const path = toDottedPath(pointer);
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) {
      own.push({ path, message: `must have at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}` });
    }
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) {
      own.push({ path, message: `must have at most ${schema.maxItems} items` });
    }
    return [...own, ...value.flatMap((item, i) => collectErrors(schema.items as TSchema, item, joinPointer(pointer, `/${i}`)))];
  }
  if (schema[Kind] === undefined) return [];
  const first = Value.Errors(schema, value).First();
  if (!first) return [];
  const path = toDottedPath(joinPointer(pointer, first.path));
  return [{ path, message: explain(first) }];
}
