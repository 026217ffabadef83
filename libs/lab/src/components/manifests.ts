import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { pinnedCrdTexts } from '@mayday/cluster/crds';
import { MaydayError } from '@mayday/model';
import type { KubeObject } from '../cluster/kubectl.ts';
import { output } from '../exec.ts';
import { moduleDir, moduleFile } from '../go-modules.ts';
import { findTool } from '../preflight.ts';
import { LAB_FILE, type ManifestSource } from '../lab-config.ts';

/** Kinds that live outside namespaces, among those the lab installs. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'PriorityClass',
  'StorageClass',
  'GatewayClass',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
]);

export const isClusterScoped = (object: KubeObject): boolean => CLUSTER_SCOPED.has(object.kind);

/** Every object of a multi-document YAML text (empty documents dropped); `file` names it in errors. */
export function parseObjects(text: string, file: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0)
      throw new MaydayError({
        severity: 'error',
        file,
        rule: 'lab-manifests',
        message: doc.errors[0].message.split('\n')[0],
      });
    const object = doc.toJS() as KubeObject | null;
    if (!object) continue;
    if (object.kind === 'List') objects.push(...((object as unknown as { items: KubeObject[] }).items ?? []));
    else objects.push(object);
  }
  return objects;
}

/**
 * The objects of one manifests source: a pinned module's file (sha256-checked) or folder of YAML files, a file of
 * this repository, a kustomize folder of this repository (its `resources`, in order), or the pinned CRDs
 * (fetched and verified by setup into .tools/crds).
 */
export async function loadManifests(root: string, source: ManifestSource): Promise<KubeObject[]> {
  if ('local' in source) return loadLocal(root, source.local);
  if ('crds' in source)
    return pinnedCrdTexts(root).flatMap(({ pin, text }) =>
      parseObjects(text, `${pin.module}@${pin.version}/${pin.path}`),
    );
  const dir = join(await moduleDir(source.module), source.path);
  if (existsSync(join(dir, 'kustomization.yaml'))) {
    // an upstream kustomization (metrics-server's release overlay): built by kubectl's own kustomize
    const kubectl = findTool(root, 'kubectl') ?? 'kubectl';
    return parseObjects(await output(kubectl, ['kustomize', dir]), `${source.module}/${source.path}`);
  }
  if (existsSync(dir) && statSync(dir).isDirectory()) {
    return readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml')
      .sort()
      .flatMap((f) => parseObjects(readFileSync(join(dir, f), 'utf8'), `${source.module}/${source.path}/${f}`));
  }
  return parseObjects(await moduleFile(source.module, source.path, source.sha256), `${source.module}/${source.path}`);
}

function loadLocal(root: string, path: string): KubeObject[] {
  const absolute = join(root, path);
  if (!existsSync(absolute))
    throw new MaydayError({
      severity: 'error',
      file: LAB_FILE,
      rule: 'lab-manifests',
      message: `${path} does not exist`,
      hint: 'restore it from git',
    });
  if (!statSync(absolute).isDirectory()) return parseObjects(readFileSync(absolute, 'utf8'), path);
  const kustomization = parse(readFileSync(join(absolute, 'kustomization.yaml'), 'utf8')) as { resources?: string[] };
  return (kustomization.resources ?? []).flatMap((file) => loadLocal(root, `${path}/${file}`));
}
