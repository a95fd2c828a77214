import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { UsageError } from './errors.ts';
import { formatDuration, parseDuration } from './time.ts';

/**
 * A duration parameter: "90s", "2m", "500ms" or a number of seconds; parsed into milliseconds.
 * Every duration has a floor and a ceiling: `0s` would mean "no timeout" to `timeout(1)` and a
 * tight loop to a sampler, and no fault may outlive a run by hours. `prefault` (not `default`)
 * so that the default goes through the same parsing and bounds as user input.
 */
export function duration(defaultValue: string, bounds: { min?: string; max?: string } = {}) {
  const min = parseDuration(bounds.min ?? '1s')!;
  const max = parseDuration(bounds.max ?? '1h')!;
  return z
    .union([z.string(), z.number()])
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (use e.g. 90s, 2m, 500ms)` });
        return z.NEVER;
      }
      if (ms < min || ms > max) {
        ctx.addIssue({ code: 'custom', message: `${formatDuration(ms)} is out of range: must be between ${formatDuration(min)} and ${formatDuration(max)}` });
        return z.NEVER;
      }
      return ms;
    })
    .prefault(defaultValue);
}

/** A Kubernetes object name (RFC 1123 subdomain: at most 253 characters). */
export const k8sName = () =>
  z
    .string()
    .max(253, 'must be at most 253 characters')
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a lowercase RFC 1123 name (a-z, 0-9, "-", ".")');

/**
 * A name that must be an RFC 1123 label (at most 63 characters, no dots): namespaces, and
 * objects whose name becomes a hostname or a DNS label (StatefulSets, Services).
 */
export const k8sLabelName = () =>
  z
    .string()
    .max(63, 'must be at most 63 characters (an RFC 1123 label)')
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a lowercase RFC 1123 label (a-z, 0-9, "-")');

/** A container image reference; offline clusters pass locally built images. */
export const imageRef = () => z.string().regex(/^[\w.\-/:@]+$/, 'must be an image reference like busybox:1.36');

export type ParamsSchema = z.ZodObject<z.ZodRawShape>;

export interface ParamInfo {
  name: string;
  type: string;
  description: string;
  default?: unknown;
  required: boolean;
}

interface JsonSchemaProp {
  anyOf?: JsonSchemaProp[];
  const?: unknown;
  type?: string | string[];
  description?: string;
  default?: unknown;
  items?: { type?: string };
  enum?: unknown[];
}

/** Describes each parameter (name, type, default, description) for `list`, `validate` and docs. */
export function describeParams(schema: ParamsSchema): ParamInfo[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, JsonSchemaProp>;
    required?: string[];
  };
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties ?? {}).map(([name, prop]) => {
    const info: ParamInfo = {
      name,
      type: typeOf(prop),
      description: prop.description ?? '',
      required: required.has(name) && prop.default === undefined,
    };
    if (prop.default !== undefined) info.default = prop.default;
    return info;
  });
}

function typeOf(prop: JsonSchemaProp): string {
  if (prop.anyOf) return prop.anyOf.map(typeOf).join(' | ');
  if (prop.const !== undefined) return JSON.stringify(prop.const);
  if (prop.enum) return prop.enum.map((v) => JSON.stringify(v)).join(' | ');
  const t = Array.isArray(prop.type) ? prop.type.join(' | ') : (prop.type ?? 'any');
  if (t === 'array') return `${prop.items?.type ?? 'any'}[]`;
  if (t === 'string | number') return 'duration';
  return t;
}

/**
 * Turns `--set key=value` flags into raw parameter values. Values are read as YAML scalars or
 * lists (`3`, `true`, `[0, 2]`) except for string parameters, which keep the text as given.
 */
export function parseSetFlags(flags: readonly string[], schema: ParamsSchema): Record<string, unknown> {
  const stringParams = new Set(describeParams(schema).filter((p) => p.type === 'string').map((p) => p.name));
  const out: Record<string, unknown> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set "${flag}" must have the form key=value`, { field: flag });
    const key = flag.slice(0, eq).trim();
    const text = flag.slice(eq + 1);
    if (key in out) throw new UsageError(`--set ${key} is given twice`, { field: key });
    out[key] = stringParams.has(key) ? text : parseScalar(text);
  }
  return out;
}

function parseScalar(text: string): unknown {
  try {
    return parseYaml(text) ?? text;
  } catch {
    return text;
  }
}

/** Validates raw values against an experiment's schema; errors name every offending field. */
export function validateParams<S extends ParamsSchema>(
  experiment: string,
  schema: S,
  raw: Record<string, unknown>,
): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const known = describeParams(schema).map((p) => p.name);
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys
        .map((k) => `unknown parameter "${k}" (${experiment} takes: ${known.join(', ')})`)
        .join('; ');
    }
    const field = issue.path.join('.') || '(parameters)';
    return `parameter "${field}": ${issue.message}`;
  });
  const fields = result.error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys' ? i.keys : [i.path.join('.')],
  );
  throw new UsageError(`invalid parameters for ${experiment}: ${problems.join('; ')}`, {
    field: [...new Set(fields)].join(','),
  });
}

/** Parameters as a person would pass them back with --set: durations in seconds ("90s"), not milliseconds. */
export function displayParams(schema: ParamsSchema, params: Record<string, unknown>): Record<string, unknown> {
  const durations = new Set(describeParams(schema).filter((p) => p.type === 'duration').map((p) => p.name));
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, durations.has(k) && typeof v === 'number' ? `${v / 1000}s` : (objectRefText(v) ?? v)]));
}

/** A parameter parsed into an object reference ({ kind, name }) as it is written: `deployment/checkout`. */
export function objectRefText(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { kind, name } = v as { kind?: unknown; name?: unknown };
  return typeof kind === 'string' && typeof name === 'string' && Object.keys(v).length === 2 ? `${kind.toLowerCase()}/${name}` : undefined;
}
