import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import {
  closest,
  dedupeIssues,
  ENVIRONMENTS_FILE,
  isRecord,
  MaydayError,
  schemaIssues,
  type SchemaIssue,
} from '@mayday/model';
import { CRD_MODEL_PACKAGES } from './crd-packages.ts';
import { strictSchema } from './strict-schema.ts';

export type { SchemaIssue };

/** The vendored Kubernetes OpenAPI definitions, one file per minor version (see vendor-kubernetes-schema.ts). */
export const KUBERNETES_SCHEMA_DIR = join(import.meta.dirname, '../schemas/kubernetes');

type ObjectValidator = (object: unknown) => SchemaIssue[];

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export { CRD_MODEL_PACKAGES };

/** CRD fields that embed a core Kubernetes type: checked strictly against the core schema too. */
const EMBEDDED_CORE_TYPES: Record<string, Record<string, string>> = {
  // Argo Rollouts' CRD keeps its pod template loose; the pods it creates are plain core Pods.
  'argoproj.io/Rollout': { 'spec.template': 'io.k8s.api.core.v1.PodTemplateSpec' },
};

/** Validates rendered objects strictly against the Kubernetes version's OpenAPI schema and the CRD schemas. */
export interface ManifestSchemas {
  kubernetesVersion: string;
  validate(object: { apiVersion?: unknown; kind?: unknown; [field: string]: unknown }): Promise<SchemaIssue[]>;
}

const cache = new Map<string, ManifestSchemas>();

/** The schemas for one Kubernetes version (`1.35.0` uses the vendored `v1.35.json`), compiled lazily per kind. */
export function manifestSchemas(kubernetesVersion: string): ManifestSchemas {
  const minor = kubernetesVersion.split('.').slice(0, 2).join('.');
  let schemas = cache.get(minor);
  if (!schemas) {
    schemas = createManifestSchemas(kubernetesVersion, minor);
    cache.set(minor, schemas);
  }
  return schemas;
}

export function availableKubernetesVersions(): string[] {
  return readdirSync(KUBERNETES_SCHEMA_DIR)
    .map((f) => /^v(1\.\d+)\.json$/.exec(f)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort();
}

interface CoreDefinitions {
  $id: string;
  $defs: Record<string, { 'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[] }>;
}

function createManifestSchemas(kubernetesVersion: string, minor: string): ManifestSchemas {
  const file = join(KUBERNETES_SCHEMA_DIR, `v${minor}.json`);
  if (!existsSync(file)) {
    throw new MaydayError({
      severity: 'error',
      file: ENVIRONMENTS_FILE,
      field: 'kubernetesVersion',
      rule: 'kubernetes-schema',
      message: `lint has no Kubernetes ${minor} OpenAPI schema (it has ${availableKubernetesVersions().join(', ')})`,
      hint: 'vendor it with libs/policy/src/vendor-kubernetes-schema.ts, or use a version listed',
    });
  }
  const definitions = strictSchema(JSON.parse(readFileSync(file, 'utf8')) as CoreDefinitions);
  const ajv = addFormats(new Ajv2020({ allErrors: true, strict: false, verbose: true }));
  ajv.addSchema(definitions);
  const byGvk = new Map<string, string>();
  for (const [name, def] of Object.entries(definitions.$defs)) {
    for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) {
      byGvk.set(`${gvk.group ? `${gvk.group}/` : ''}${gvk.version}/${gvk.kind}`, name);
    }
  }
  const compiled = new Map<string, ValidateFunction>();
  const coreValidator = (definition: string): ValidateFunction => {
    let validate = compiled.get(definition);
    if (!validate) {
      validate = ajv.getSchema(`${definitions.$id}#/$defs/${definition}`);
      if (!validate) throw new Error(`no definition ${definition} in ${file}`);
      compiled.set(definition, validate);
    }
    return validate;
  };
  const crds = crdIndex();
  const validators = new Map<string, ObjectValidator>();

  const validatorFor = async (apiVersion: string, kind: string): Promise<ObjectValidator | undefined> => {
    const key = `${apiVersion}/${kind}`;
    if (validators.has(key)) return validators.get(key);
    let validator: ObjectValidator | undefined;
    const core = byGvk.get(key);
    if (core) {
      const validate = coreValidator(core);
      validator = (object) => (validate(object) ? [] : schemaIssues(validate.errors ?? [], object));
    } else if (crds.has(key)) {
      const crdValidate = await crds.get(key)!();
      const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
      const embedded = Object.entries(EMBEDDED_CORE_TYPES[`${group}/${kind}`] ?? {});
      validator = (object) =>
        dedupeIssues([
          ...crdIssues(crdValidate, object),
          ...embedded.flatMap(([at, definition]) => {
            const path = at.split('.');
            const value = path.reduce<unknown>((v, k) => (isRecord(v) ? v[k] : undefined), object);
            if (value === undefined) return [];
            const validate = coreValidator(definition);
            return validate(value)
              ? []
              : schemaIssues(validate.errors ?? [], value).map((i) => ({
                  ...i,
                  path: [...path, ...i.path],
                  at: [...path, ...i.at],
                }));
          }),
        ]);
    }
    if (validator) validators.set(key, validator);
    return validator;
  };

  return {
    kubernetesVersion,
    async validate(object) {
      const { apiVersion, kind } = object;
      if (typeof apiVersion !== 'string' || typeof kind !== 'string')
        return [{ path: ['kind'], at: [], kind: 'required', message: 'apiVersion and kind are required' }];
      const validator = await validatorFor(apiVersion, kind);
      return validator ? validator(object) : [unknownKind(apiVersion, kind, [...byGvk.keys(), ...crds.keys()], minor)];
    },
  };
}

function unknownKind(apiVersion: string, kind: string, known: string[], minor: string): SchemaIssue {
  const sameKind = known.filter((k) => k.endsWith(`/${kind}`)).map((k) => k.slice(0, -kind.length - 1));
  const guess = closest(`${apiVersion}/${kind}`, known);
  return {
    path: ['apiVersion'],
    at: [],
    kind: 'unknown-kind',
    message: `${kind} in ${apiVersion} is not a kind of Kubernetes ${minor} nor of the CRDs the platform installs`,
    hint: sameKind.length
      ? `${kind} is served as apiVersion ${sameKind.join(' or ')}`
      : guess
        ? `did you mean ${guess}?`
        : 'use a kind the platform supports',
  };
}

// A value no typed schema accepts: a field whose schema rejects it is a field the schema knows.
const PROBE = Symbol('mayday-unknown-field-probe');

/**
 * CRD validators from @kubernetes-models check types, enums and required fields but ignore unknown fields.
 * We find unknown fields by asking the real compiled schema: a key is known when replacing its value
 * with a value of no JSON type makes the schema complain at that key. An object none of whose keys is
 * known is taken as free-form (x-kubernetes-preserve-unknown-fields) and not reported, unless it is a
 * list item whose siblings have known keys.
 */
function crdIssues(validate: ValidateFunction, object: unknown): SchemaIssue[] {
  const issues = validate(structuredClone(object)) ? [] : schemaIssues(validate.errors ?? [], object);
  const unknown: SchemaIssue[] = [];
  const knownKeys = (value: Record<string, unknown>, path: (string | number)[]) =>
    Object.keys(value).filter((key) => schemaKnows(validate, object, [...path, key]));
  const visit = (value: unknown, path: (string | number)[], itemsAreTyped = false): void => {
    if (Array.isArray(value)) {
      // A list item none of whose keys is known is still wrong when its siblings' keys are known.
      const typed = value.some((item, i) => isRecord(item) && knownKeys(item, [...path, i]).length > 0);
      return value.forEach((item, i) => visit(item, [...path, i], typed));
    }
    if (!isRecord(value)) return;
    const keys = Object.keys(value);
    const known = knownKeys(value, path);
    if (known.length === 0 && path.length > 0 && !itemsAreTyped) return;
    for (const key of keys) {
      if (known.includes(key)) visit(value[key], [...path, key]);
      else
        unknown.push({
          path: [...path, key],
          at: path,
          kind: 'unknown-field',
          message: `unknown field "${key}"`,
          hint: guessHint(key, known),
        });
    }
  };
  visit(object, []);
  return [...issues, ...unknown];
}

function guessHint(key: string, known: string[]): string {
  const guess = closest(key, known);
  return guess ? `did you mean "${guess}"?` : 'remove it: the resource schema does not define it';
}

function schemaKnows(validate: ValidateFunction, object: unknown, path: (string | number)[]): boolean {
  const copy = structuredClone(object) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  parent[path[path.length - 1]] = PROBE;
  validate(copy);
  const pointer = '/' + path.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
  return (validate.errors ?? []).some((e) => e.instancePath === pointer);
}

/** `apiVersion/kind` → a loader of the compiled validator, discovered from the installed model packages. */
function crdIndex(): Map<string, () => Promise<ValidateFunction>> {
  const index = new Map<string, () => Promise<ValidateFunction>>();
  const require = createRequire(import.meta.url);
  for (const pkg of CRD_MODEL_PACKAGES) {
    const root = dirname(require.resolve(`${pkg}/package.json`));
    for (const group of readdirSync(root, { withFileTypes: true }).filter(
      (d) => d.isDirectory() && d.name.includes('.'),
    )) {
      for (const version of readdirSync(join(root, group.name), { withFileTypes: true }).filter((d) =>
        d.isDirectory(),
      )) {
        const dir = join(root, group.name, version.name);
        for (const file of readdirSync(dir).filter((f) => f.endsWith('.js') && f !== 'index.js')) {
          const source = readFileSync(join(dir, file), 'utf8');
          const apiVersion = /this\.apiVersion="([^"]+)"/.exec(source)?.[1];
          const kind = /this\.kind="([^"]+)"/.exec(source)?.[1];
          const schema = /_schemas\/([A-Za-z0-9]+)\.js"/.exec(source)?.[1];
          if (!apiVersion || !kind || !schema || kind.endsWith('List')) continue;
          const module = pathToFileURL(join(root, '_schemas', `${schema}.js`)).href;
          index.set(
            `${apiVersion}/${kind}`,
            async () => ((await import(module)) as { validate: ValidateFunction }).validate,
          );
        }
      }
    }
  }
  return index;
}
