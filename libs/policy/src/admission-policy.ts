import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { celEnv, isCelError, parse, plan, type CelResult } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { isMap, LineCounter, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { dotted, MaydayError, POLICIES_DIR, type Severity } from '@mayday/model';
import { apiGroupOf, apiVersionOnly, isClusterScoped, resourceOf } from './resource-scope.ts';

const labelSelector = z
  .object({
    matchLabels: z.record(z.string(), z.string()).optional(),
    matchExpressions: z
      .array(
        z.object({
          key: z.string(),
          operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
          values: z.array(z.string()).optional(),
        }),
      )
      .optional(),
  })
  .loose();

const resourceRule = z
  .object({
    apiGroups: z.array(z.string()).default(['*']),
    apiVersions: z.array(z.string()).default(['*']),
    resources: z.array(z.string()).default(['*']),
    operations: z.array(z.string()).default(['*']),
    resourceNames: z.array(z.string()).optional(),
    scope: z.enum(['Cluster', 'Namespaced', '*']).default('*'),
  })
  .loose();

const matchResources = z
  .object({
    namespaceSelector: labelSelector.optional(),
    objectSelector: labelSelector.optional(),
    resourceRules: z.array(resourceRule).optional(),
    excludeResourceRules: z.array(resourceRule).optional(),
  })
  .loose();

const named = z
  .object({
    name: z.string(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  })
  .loose();

export const validatingAdmissionPolicySchema = z
  .object({
    apiVersion: z.literal('admissionregistration.k8s.io/v1'),
    kind: z.literal('ValidatingAdmissionPolicy'),
    metadata: named,
    spec: z
      .object({
        failurePolicy: z.enum(['Fail', 'Ignore']).default('Fail'),
        paramKind: z.object({ apiVersion: z.string(), kind: z.string() }).optional(),
        matchConstraints: matchResources,
        matchConditions: z.array(z.object({ name: z.string(), expression: z.string() })).default([]),
        variables: z.array(z.object({ name: z.string(), expression: z.string() })).default([]),
        validations: z
          .array(
            z
              .object({
                expression: z.string(),
                message: z.string().optional(),
                messageExpression: z.string().optional(),
                reason: z.string().optional(),
              })
              .loose(),
          )
          .default([]),
      })
      .loose(),
  })
  .loose();

export const validatingAdmissionPolicyBindingSchema = z
  .object({
    apiVersion: z.literal('admissionregistration.k8s.io/v1'),
    kind: z.literal('ValidatingAdmissionPolicyBinding'),
    metadata: named,
    spec: z
      .object({
        policyName: z.string(),
        validationActions: z.array(z.enum(['Deny', 'Warn', 'Audit'])).min(1),
        matchResources: matchResources.optional(),
        paramRef: z
          .object({
            name: z.string().optional(),
            namespace: z.string().optional(),
            selector: labelSelector.optional(),
            parameterNotFoundAction: z.enum(['Allow', 'Deny']).optional(),
          })
          .optional(),
      })
      .loose(),
  })
  .loose();

export type ValidatingAdmissionPolicy = z.infer<typeof validatingAdmissionPolicySchema>;
export type ValidatingAdmissionPolicyBinding = z.infer<typeof validatingAdmissionPolicyBindingSchema>;
type LabelSelector = z.infer<typeof labelSelector>;
type MatchResources = z.infer<typeof matchResources>;
type ResourceRule = z.infer<typeof resourceRule>;

/** A CEL program compiled once; evaluation returns a value or a CelError. */
type Program = (bindings: Record<string, unknown>) => CelResult;

interface CompiledPolicy {
  policy: ValidatingAdmissionPolicy;
  file: string;
  line: number;
  matchConditions: { name: string; program: Program }[];
  variables: { name: string; program: Program }[];
  validations: {
    expression: string;
    program: Program;
    message?: string;
    messageProgram?: Program;
    reason?: string;
    fieldPath?: string;
  }[];
}

export interface LoadedBinding {
  binding: ValidatingAdmissionPolicyBinding;
  file: string;
  line: number;
}

export interface PolicySet {
  policies: Map<string, CompiledPolicy>;
  bindings: LoadedBinding[];
  /** Every document of every policy file, for schema checks. */
  documents: { file: string; line: number; object: Record<string, unknown> }[];
}

const CEL_ENV = celEnv({ funcs: strings });

/** Parses and plans a CEL expression; a syntax error becomes a diagnostic at the policy file and field. */
export function compileCel(expression: string, where: { file: string; line?: number; field: string }): Program {
  let planned: ReturnType<typeof plan>;
  try {
    planned = plan(CEL_ENV, parse(expression));
  } catch (error) {
    throw new MaydayError({
      severity: 'error',
      file: where.file,
      line: where.line,
      field: where.field,
      rule: 'policy-cel',
      message: `CEL does not compile: ${(error as Error).message.split('\n')[0]}`,
      hint: 'keep to CEL that both the API server and @bufbuild/cel parse (no `.?` optional fields, no two-variable comprehensions)',
    });
  }
  return (bindings) => planned(bindings as never);
}

/** Loads every ValidatingAdmissionPolicy and binding in platform/policies/*.yaml and compiles their CEL. */
export function loadPolicies(workspaceRoot: string, dir = POLICIES_DIR): PolicySet {
  const files = readdirSync(join(workspaceRoot, dir))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  const set: PolicySet = { policies: new Map(), bindings: [], documents: [] };
  for (const name of files) {
    const file = `${dir}/${name}`;
    loadPolicyText(set, file, readFileSync(join(workspaceRoot, file), 'utf8'));
  }
  for (const { binding, file, line } of set.bindings) {
    const policy = set.policies.get(binding.spec.policyName);
    if (!policy) {
      throw new MaydayError({
        severity: 'error',
        file,
        line,
        field: 'spec.policyName',
        rule: 'policy-binding',
        message: `binds "${binding.spec.policyName}", which no file in ${dir} defines`,
      });
    }
    if (binding.spec.paramRef && !policy.policy.spec.paramKind) {
      throw new MaydayError({
        severity: 'error',
        file,
        line,
        field: 'spec.paramRef',
        rule: 'policy-binding',
        message: `policy "${binding.spec.policyName}" has no paramKind, so its binding cannot have a paramRef`,
      });
    }
  }
  return set;
}

export function loadPolicyText(set: PolicySet, file: string, text: string): void {
  const counter = new LineCounter();
  for (const doc of parseAllDocuments(text, { lineCounter: counter })) {
    if (doc.errors.length) {
      const pos = counter.linePos(doc.errors[0].pos[0]);
      throw new MaydayError({
        severity: 'error',
        file,
        line: pos.line,
        rule: 'yaml-syntax',
        message: doc.errors[0].message.split('\n')[0],
      });
    }
    if (!isMap(doc.contents)) continue;
    const line = counter.linePos(doc.contents.range?.[0] ?? 0).line;
    const object = doc.toJS() as Record<string, unknown>;
    set.documents.push({ file, line, object });
    if (object.kind === 'ValidatingAdmissionPolicy') {
      const policy = parseOrThrow(validatingAdmissionPolicySchema, object, file, line);
      if (set.policies.has(policy.metadata.name))
        throw new MaydayError({
          severity: 'error',
          file,
          line,
          field: 'metadata.name',
          rule: 'policy',
          message: `policy "${policy.metadata.name}" is defined twice`,
        });
      set.policies.set(policy.metadata.name, compilePolicy(policy, file, line));
    } else if (object.kind === 'ValidatingAdmissionPolicyBinding') {
      set.bindings.push({
        binding: parseOrThrow(validatingAdmissionPolicyBindingSchema, object, file, line),
        file,
        line,
      });
    } else {
      throw new MaydayError({
        severity: 'error',
        file,
        line,
        field: 'kind',
        rule: 'policy',
        message: `${String(object.kind)} does not belong in ${POLICIES_DIR}`,
        hint: 'it holds only ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding objects',
      });
    }
  }
}

function parseOrThrow<T extends z.ZodType>(schema: T, object: unknown, file: string, line: number): z.infer<T> {
  const parsed = schema.safeParse(object);
  if (parsed.success) return parsed.data;
  throw new MaydayError(
    parsed.error.issues.map((issue) => ({
      severity: 'error' as const,
      file,
      line,
      field: dotted(issue.path.filter((p): p is string | number => typeof p !== 'symbol')),
      rule: 'policy',
      message: issue.message,
    })),
  );
}

/** Annotation naming, per validation and in order, the field a failure points at (v1 validations have no field). */
export const FIELD_PATHS_ANNOTATION = 'mayday.dev/field-paths';

function compilePolicy(policy: ValidatingAdmissionPolicy, file: string, line: number): CompiledPolicy {
  const at = (field: string) => ({ file, line, field });
  const fieldPaths = (policy.metadata.annotations?.[FIELD_PATHS_ANNOTATION] ?? '').split(',').map((p) => p.trim());
  return {
    policy,
    file,
    line,
    matchConditions: policy.spec.matchConditions.map((c, i) => ({
      name: c.name,
      program: compileCel(c.expression, at(`spec.matchConditions[${i}].expression`)),
    })),
    variables: policy.spec.variables.map((v, i) => ({
      name: v.name,
      program: compileCel(v.expression, at(`spec.variables[${i}].expression`)),
    })),
    validations: policy.spec.validations.map((v, i) => ({
      expression: v.expression,
      program: compileCel(v.expression, at(`spec.validations[${i}].expression`)),
      message: v.message,
      messageProgram: v.messageExpression
        ? compileCel(v.messageExpression, at(`spec.validations[${i}].messageExpression`))
        : undefined,
      reason: v.reason,
      fieldPath: fieldPaths[i] || undefined,
    })),
  };
}

/** What an admission request is about, as the API server would see it for an Argo CD sync. */
export interface AdmissionInput {
  object: Record<string, unknown>;
  /** The namespace the object lands in ('' for cluster-scoped kinds). */
  namespace: string;
  /** The Namespace object of `namespace`, with its labels (undefined for cluster-scoped kinds). */
  namespaceObject?: Record<string, unknown>;
  /** Objects that exist in the cluster when this one is admitted: where params are looked up. */
  clusterObjects: readonly Record<string, unknown>[];
  username?: string;
}

export interface PolicyFinding {
  policy: string;
  binding: string;
  severity: Severity;
  message: string;
  /** The field the validation names (its `fieldPath`), as a path into the object. */
  fieldPath?: string;
  reason?: string;
  /** Where the policy is defined. */
  policyFile: string;
  policyLine: number;
}

export const ARGOCD_CONTROLLER = 'system:serviceaccount:argocd:argocd-application-controller';

/** Evaluates every bound policy on one object, as the API server's ValidatingAdmissionPolicy plugin does. */
export function evaluatePolicies(set: PolicySet, request: AdmissionInput): PolicyFinding[] {
  const input = { ...request, object: withApiServerDefaults(request.object) };
  const findings: PolicyFinding[] = [];
  for (const { binding } of set.bindings) {
    const compiled = set.policies.get(binding.spec.policyName)!;
    const { policy } = compiled;
    if (!matches(policy.spec.matchConstraints, input, true)) continue;
    if (binding.spec.matchResources && !matches(binding.spec.matchResources, input, false)) continue;
    const severity = severityOf(binding.spec.validationActions);
    const report = (message: string, extra: Partial<PolicyFinding> = {}) =>
      findings.push({
        policy: policy.metadata.name,
        binding: binding.metadata.name,
        severity,
        message,
        policyFile: compiled.file,
        policyLine: compiled.line,
        ...extra,
      });
    const base = celBindings(input);
    const failClosed = policy.spec.failurePolicy === 'Fail';

    const conditions = compiled.matchConditions.map((c) => ({ c, result: c.program(base) }));
    if (conditions.some(({ result }) => result === false)) continue;
    const broken = conditions.find(({ result }) => isCelError(result));
    if (broken) {
      if (failClosed) report(`matchCondition ${broken.c.name} failed to evaluate: ${(broken.result as Error).message}`);
      continue;
    }

    let paramSets: (Record<string, unknown> | null)[] = [null];
    if (policy.spec.paramKind && binding.spec.paramRef) {
      const params = findParams(policy.spec.paramKind, binding.spec.paramRef, input);
      if (params.length === 0) {
        if ((binding.spec.paramRef.parameterNotFoundAction ?? 'Deny') === 'Deny') {
          report(
            `no ${policy.spec.paramKind.kind} found for this object (binding ${binding.metadata.name} requires one)`,
            { reason: 'NotFound' },
          );
        }
        continue;
      }
      paramSets = params;
    }
    for (const params of paramSets) {
      const bindings: Record<string, unknown> = { ...base, params: toCel(params) };
      const variables: Record<string, unknown> = {};
      const failedVariables = new Map<string, Error>();
      bindings.variables = variables;
      for (const v of compiled.variables) {
        const value = v.program(bindings);
        if (isCelError(value)) failedVariables.set(v.name, value);
        else variables[v.name] = value;
      }
      for (const validation of compiled.validations) {
        const missing = [...failedVariables.keys()].find((name) => validation.expression.includes(`variables.${name}`));
        const result = missing ? failedVariables.get(missing)! : validation.program(bindings);
        if (result === true) continue;
        if (isCelError(result) || typeof result !== 'boolean') {
          if (failClosed)
            report(
              `expression failed to evaluate: ${isCelError(result) ? result.message : `returned ${String(result)}, not a bool`}`,
              { fieldPath: validation.fieldPath, reason: validation.reason },
            );
          continue;
        }
        const dynamic = validation.messageProgram?.(bindings);
        const message =
          typeof dynamic === 'string' && dynamic.trim()
            ? dynamic
            : (validation.message ?? `failed expression: ${validation.expression}`);
        report(message, { fieldPath: validation.fieldPath, reason: validation.reason ?? 'Invalid' });
      }
    }
  }
  return findings;
}

/** Kinds whose missing spec.replicas the API server sets to 1 before admission (apps/v1 defaulting). */
const REPLICAS_DEFAULTED = new Set(['Deployment', 'StatefulSet', 'ReplicaSet']);

/**
 * The object as admission sees it: the API server applies its defaults before validating admission, so a
 * Deployment rendered without spec.replicas (an autoscaler runs it) is judged with replicas 1.
 */
export function withApiServerDefaults(object: Record<string, unknown>): Record<string, unknown> {
  const spec = object.spec as Record<string, unknown> | undefined;
  if (
    object.apiVersion !== 'apps/v1' ||
    !REPLICAS_DEFAULTED.has(String(object.kind)) ||
    !spec ||
    spec.replicas !== undefined
  )
    return object;
  return { ...object, spec: { ...spec, replicas: 1 } };
}

function severityOf(actions: readonly string[]): Severity {
  if (actions.includes('Deny')) return 'error';
  if (actions.includes('Warn')) return 'warning';
  return 'info';
}

function celBindings(input: AdmissionInput): Record<string, unknown> {
  const { object } = input;
  const apiVersion = String(object.apiVersion);
  const kind = String(object.kind);
  const metadata = (object.metadata ?? {}) as { name?: string };
  const gvk = { group: apiGroupOf(apiVersion), version: apiVersionOnly(apiVersion), kind };
  return {
    object: toCel(object),
    oldObject: null,
    params: null,
    namespaceObject: toCel(input.namespaceObject ?? null),
    request: toCel({
      kind: gvk,
      resource: { group: gvk.group, version: gvk.version, resource: resourceOf(kind) },
      requestKind: gvk,
      requestResource: { group: gvk.group, version: gvk.version, resource: resourceOf(kind) },
      name: metadata.name ?? '',
      namespace: input.namespace,
      operation: 'CREATE',
      userInfo: {
        username: input.username ?? ARGOCD_CONTROLLER,
        groups: ['system:serviceaccounts', 'system:serviceaccounts:argocd', 'system:authenticated'],
      },
      dryRun: false,
    }),
  };
}

/** JSON → CEL input: integral numbers become ints (BigInt), as the API server types them. */
export function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  return value;
}

function matches(constraints: MatchResources, input: AdmissionInput, requireRules: boolean): boolean {
  const { object } = input;
  const clusterScoped = isClusterScoped(String(object.apiVersion), String(object.kind));
  const rules = constraints.resourceRules;
  if (rules === undefined ? requireRules : !rules.some((rule) => ruleMatches(rule, object, clusterScoped)))
    return false;
  if (constraints.excludeResourceRules?.some((rule) => ruleMatches(rule, object, clusterScoped))) return false;
  // A cluster-scoped object is never skipped by a namespaceSelector (it has no namespace).
  if (!clusterScoped && constraints.namespaceSelector) {
    const labels = (input.namespaceObject?.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {};
    if (!selectorMatches(constraints.namespaceSelector, labels)) return false;
  }
  if (constraints.objectSelector) {
    const labels = (object.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {};
    if (!selectorMatches(constraints.objectSelector, labels)) return false;
  }
  return true;
}

function ruleMatches(rule: ResourceRule, object: Record<string, unknown>, clusterScoped: boolean): boolean {
  const apiVersion = String(object.apiVersion);
  const any = (list: readonly string[], value: string) => list.includes('*') || list.includes(value);
  if (!any(rule.operations, 'CREATE') && !any(rule.operations, 'UPDATE')) return false;
  if (rule.scope === 'Cluster' && !clusterScoped) return false;
  if (rule.scope === 'Namespaced' && clusterScoped) return false;
  if (rule.resourceNames?.length && !rule.resourceNames.includes(String((object.metadata as { name?: string }).name)))
    return false;
  return (
    any(rule.apiGroups, apiGroupOf(apiVersion)) &&
    any(rule.apiVersions, apiVersionOnly(apiVersion)) &&
    any(rule.resources, resourceOf(String(object.kind)))
  );
}

export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
    if (e.operator === 'In' && !(has && (e.values ?? []).includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && (e.values ?? []).includes(labels[e.key])) return false;
  }
  return true;
}

function findParams(
  paramKind: { apiVersion: string; kind: string },
  paramRef: NonNullable<ValidatingAdmissionPolicyBinding['spec']['paramRef']>,
  input: AdmissionInput,
): Record<string, unknown>[] {
  // Without an explicit namespace, params are looked up in the namespace of the object being admitted.
  const namespace = paramRef.namespace ?? input.namespace;
  return input.clusterObjects.filter((candidate) => {
    const metadata = (candidate.metadata ?? {}) as {
      name?: string;
      namespace?: string;
      labels?: Record<string, string>;
    };
    if (candidate.apiVersion !== paramKind.apiVersion || candidate.kind !== paramKind.kind) return false;
    if (!isClusterScoped(paramKind.apiVersion, paramKind.kind) && (metadata.namespace ?? '') !== namespace)
      return false;
    if (paramRef.name) return metadata.name === paramRef.name;
    return selectorMatches(paramRef.selector ?? {}, metadata.labels ?? {});
  });
}
