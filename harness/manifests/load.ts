import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { UsageError } from '../engine/errors.ts';

/** A Kubernetes object as read from a manifest: only what every object has is typed. */
export interface ManifestObject {
  /** The object's API version, e.g. `apps/v1`. */
  apiVersion: string;
  /** The object's kind, e.g. `StatefulSet`. */
  kind: string;
  /** Its metadata: a name always, a namespace when namespaced, labels. */
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  /** The rest of the object (spec, data ...), as written in the manifest. */
  [k: string]: unknown;
}

const PLACEHOLDER = /\$\{([A-Za-z_][\w]*)\}/g;
const WHOLE_PLACEHOLDER = /^\$\{([A-Za-z_][\w]*)\}$/;

/**
 * Fills `${name}` placeholders into already parsed objects, never into YAML text, so a value can
 * never change a manifest's structure (`--set 'mountPath=/data #x'` stays one string). A string
 * that is exactly one placeholder takes the value with its type (`replicas: ${replicas}` → 3);
 * a placeholder inside a longer string is replaced by the value's text. A placeholder without a
 * value is an error, so a typo in a manifest is caught by `validate` rather than sent to the cluster.
 */
export function fillPlaceholders<T>(node: T, values: Record<string, unknown>, file: string): T {
  const valueOf = (key: string): unknown => {
    const v = values[key];
    if (v === undefined || v === null) throw new UsageError(`${basename(file)}: placeholder \${${key}} has no value`, { field: key });
    return v;
  };
  const fill = (n: unknown): unknown => {
    if (typeof n === 'string') {
      const whole = WHOLE_PLACEHOLDER.exec(n);
      if (whole) return valueOf(whole[1]!);
      return n.replace(PLACEHOLDER, (_, key: string) => String(valueOf(key)));
    }
    if (Array.isArray(n)) return n.map(fill);
    if (n !== null && typeof n === 'object') return Object.fromEntries(Object.entries(n).map(([k, v]) => [fill(k) as string, fill(v)]));
    return n;
  };
  return fill(node) as T;
}

/** Parses one or more YAML documents, fills their placeholders and checks each is a Kubernetes object. */
export function parseManifests(text: string, file: string, values: Record<string, unknown> = {}): ManifestObject[] {
  const docs = parseAllDocuments(text);
  const out: ManifestObject[] = [];
  docs.forEach((doc, i) => {
    const where = `${basename(file)} (document ${i + 1})`;
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      throw new UsageError(`${where}: malformed YAML: ${e.message.split('\n')[0]}`, { field: file, cause: e });
    }
    const obj: unknown = fillPlaceholders(doc.toJS() as unknown, values, file);
    if (obj === null || obj === undefined) return; // an empty document, e.g. a trailing ---
    if (typeof obj !== 'object' || Array.isArray(obj)) {
      throw new UsageError(`${where}: expected a Kubernetes object (a mapping), found ${Array.isArray(obj) ? 'a list' : typeof obj}`, { field: file });
    }
    const o = obj as Record<string, unknown>;
    const md = o['metadata'] as Record<string, unknown> | undefined;
    const missing = [
      typeof o['apiVersion'] === 'string' ? null : 'apiVersion',
      typeof o['kind'] === 'string' ? null : 'kind',
      typeof md?.['name'] === 'string' ? null : 'metadata.name',
    ].filter((x): x is string => x !== null);
    if (missing.length) throw new UsageError(`${where}: missing ${missing.join(', ')}`, { field: file });
    out.push(o as ManifestObject);
  });
  return out;
}

/** Reads a manifest file, fills its placeholders and parses it. */
export function loadManifestFile(file: string, values: Record<string, unknown>): ManifestObject[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read manifest ${file}: ${(err as Error).message}`, { field: file, cause: err });
  }
  return parseManifests(text, file, values);
}

interface Labelled {
  metadata?: { labels?: Record<string, string> };
}

/**
 * Adds labels to an object and to what its controller creates from it (pod templates, a
 * StatefulSet's volume claims), so every object the run causes can be found by label.
 */
export function withLabels(obj: ManifestObject, labels: Record<string, string>): ManifestObject {
  const copy = structuredClone(obj);
  copy.metadata.labels = { ...copy.metadata.labels, ...labels };
  const spec = copy['spec'] as { template?: Labelled; volumeClaimTemplates?: Labelled[] } | undefined;
  for (const t of [spec?.template, ...(spec?.volumeClaimTemplates ?? [])]) {
    if (!t) continue;
    t.metadata ??= {};
    t.metadata.labels = { ...t.metadata.labels, ...labels };
  }
  return copy;
}
