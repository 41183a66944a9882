// models/schema.json: the model format as JSON Schema (draft 2020-12), generated from
// the zod schema so the two cannot drift, plus a validator for the subset of keywords
// that generation emits (enough to check the shipped models without another package).
import { z } from 'zod';
import { modelSchema } from './schema';

export type JsonSchema = { [k: string]: unknown };

export const MODEL_SCHEMA_ID = 'https://kmodel.dev/schema/model.json';

export function modelJsonSchema(): JsonSchema {
  const s = z.toJSONSchema(modelSchema, { target: 'draft-2020-12', io: 'input' }) as JsonSchema;
  return { $schema: s.$schema, $id: MODEL_SCHEMA_ID, title: 'kmodel subsystem model', ...s };
}

/** Keywords the validator understands; anything else makes it refuse rather than pass silently. */
const KNOWN = new Set([
  '$schema',
  '$id',
  'title',
  'description',
  'default',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'enum',
  'const',
  'anyOf',
  'oneOf',
  'allOf',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minItems',
  'maxItems',
  '$ref',
  '$defs',
]);

const typeOf = (v: unknown): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
};

/** Validates `value`; returns `path: reason` strings (empty when valid). */
export function validateJsonSchema(schema: JsonSchema, value: unknown): string[] {
  const root = schema;
  const errs: string[] = [];
  const walk = (s: JsonSchema | boolean, v: unknown, path: string, out: string[]): void => {
    if (s === true) return;
    if (s === false) {
      out.push(`${path}: not allowed`);
      return;
    }
    for (const k of Object.keys(s))
      if (!KNOWN.has(k)) throw new Error(`unsupported JSON Schema keyword ${k}`);
    if (typeof s.$ref === 'string') {
      const m = /^#\/\$defs\/(.+)$/.exec(s.$ref);
      const target = m
        ? (root.$defs as Record<string, JsonSchema>)?.[m[1]!]
        : s.$ref === '#'
          ? root
          : undefined;
      if (!target) throw new Error(`unresolved $ref ${s.$ref}`);
      walk(target, v, path, out);
    }
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      const t = typeOf(v);
      if (!types.some((x) => x === t || (x === 'number' && t === 'integer'))) {
        out.push(`${path}: expected ${types.join('|')}, got ${t}`);
        return;
      }
    }
    if (s.enum && !(s.enum as unknown[]).some((e) => e === v))
      out.push(`${path}: not one of ${JSON.stringify(s.enum)}`);
    if ('const' in s && s.const !== v) out.push(`${path}: must be ${JSON.stringify(s.const)}`);
    if (typeof v === 'string') {
      if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v))
        out.push(`${path}: does not match ${s.pattern}`);
      if (typeof s.minLength === 'number' && [...v].length < s.minLength)
        out.push(`${path}: shorter than ${s.minLength}`);
      if (typeof s.maxLength === 'number' && [...v].length > s.maxLength)
        out.push(`${path}: longer than ${s.maxLength}`);
    }
    if (typeof v === 'number') {
      if (typeof s.minimum === 'number' && v < s.minimum) out.push(`${path}: below ${s.minimum}`);
      if (typeof s.maximum === 'number' && v > s.maximum) out.push(`${path}: above ${s.maximum}`);
      if (typeof s.exclusiveMinimum === 'number' && v <= s.exclusiveMinimum)
        out.push(`${path}: not above ${s.exclusiveMinimum}`);
      if (typeof s.exclusiveMaximum === 'number' && v >= s.exclusiveMaximum)
        out.push(`${path}: not below ${s.exclusiveMaximum}`);
    }
    if (Array.isArray(v)) {
      if (typeof s.minItems === 'number' && v.length < s.minItems)
        out.push(`${path}: fewer than ${s.minItems} items`);
      if (typeof s.maxItems === 'number' && v.length > s.maxItems)
        out.push(`${path}: more than ${s.maxItems} items`);
      if (s.items !== undefined) {
        for (let i = 0; i < v.length; i++) walk(s.items as JsonSchema, v[i], `${path}[${i}]`, out);
      }
    }
    if (typeOf(v) === 'object') {
      const obj = v as Record<string, unknown>;
      const props = (s.properties ?? {}) as Record<string, JsonSchema>;
      for (const r of (s.required ?? []) as string[]) if (!(r in obj)) out.push(`${path}: missing ${r}`);
      for (const [k, x] of Object.entries(obj)) {
        if (s.propertyNames) walk(s.propertyNames as JsonSchema, k, `${path}.${k} (name)`, out);
        if (k in props) walk(props[k]!, x, `${path}.${k}`, out);
        else if (s.additionalProperties !== undefined)
          walk(s.additionalProperties as JsonSchema, x, `${path}.${k}`, out);
      }
    }
    if (Array.isArray(s.allOf)) for (const sub of s.allOf as JsonSchema[]) walk(sub, v, path, out);
    if (Array.isArray(s.anyOf) || Array.isArray(s.oneOf)) {
      const alts = (s.anyOf ?? s.oneOf) as JsonSchema[];
      const passing = alts.filter((a) => {
        const sub: string[] = [];
        walk(a, v, path, sub);
        return sub.length === 0;
      }).length;
      if (passing === 0 || (s.oneOf && passing > 1))
        out.push(`${path}: matches ${passing} of the alternatives`);
    }
  };
  walk(schema, value, '$', errs);
  return errs;
}
