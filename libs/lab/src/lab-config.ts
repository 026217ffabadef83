import { join } from 'node:path';
import { z } from 'zod';
import { MaydayError, readYamlFile, zodDiagnostics, type Diagnostic, type Environment } from '@mayday/model';

export const LAB_FILE = 'platform/kind/lab.yaml';
export const CLUSTER_FILE = 'platform/kind/cluster.yaml';

const semver = (what: string) => z.string().regex(/^v\d+\.\d+\.\d+$/, `${what} must be a release such as v1.2.3`);
const imageRef = z
  .string()
  .regex(/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+:[A-Za-z0-9._-]+$/, 'name an image as registry/repository:tag');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 hex digits');
/** `<module>@<version>` as the Go module proxy serves it. */
const moduleVersion = z
  .string()
  .regex(/^[a-z0-9.-]+\.[a-z]+\/[^@\s]+@v[^@\s]+$/, 'module must be <module path>@<version>');

/** A manifests source: a file or folder of a pinned Go module (with its sha256 when a single file), or of this repo. */
const manifestSource = z.union([
  z.strictObject({ module: moduleVersion, path: z.string().min(1), sha256: sha256.optional() }),
  z.strictObject({ local: z.string().min(1) }),
  z.strictObject({ crds: z.literal('platform/crds/crds.yaml') }),
]);

const component = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/),
  version: z.string().optional(),
  description: z.string(),
  manifests: z.array(manifestSource).min(1),
  images: z.array(imageRef).default([]),
});

const imageFile = z.union([
  z.strictObject({ module: moduleVersion, path: z.string().min(1), to: z.string().startsWith('/') }),
  z.strictObject({ local: z.string().min(1), to: z.string().startsWith('/') }),
]);

/** How the offline builder makes one image; `binaries` maps `<go module>/<binary>` (tools/toolchain/go) to a path. */
const imageSpec = z.strictObject({
  name: imageRef,
  into: z.enum(['node', 'cluster']).default('cluster'),
  from: z.enum(['scratch', 'debian']).default('scratch'),
  packages: z.array(z.string().regex(/^[a-z0-9][a-z0-9.+-]*$/)).default([]),
  binaries: z
    .record(z.string().regex(/^[a-z0-9.-]+\/[a-z0-9.-]+$/, 'a binary is <module>/<binary>'), z.string().startsWith('/'))
    .default({}),
  compile: z
    .strictObject({
      module: moduleVersion,
      source: z.string(),
      to: z.string().startsWith('/'),
      define: z.string().optional(),
    })
    .optional(),
  files: z.array(imageFile).default([]),
  run: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  user: z.number().int().min(0).optional(),
  workdir: z.string().startsWith('/').optional(),
  entrypoint: z.array(z.string()).optional(),
  note: z.string().optional(),
});

export const labFileSchema = z.strictObject({
  kind: semver('kind'),
  kubernetes: semver('kubernetes'),
  debian: z.strictObject({ suite: z.string().regex(/^[a-z]+$/), mirror: z.url() }),
  requirements: z.strictObject({
    docker: z.string().regex(/^\d+\.\d+\.\d+$/),
    memoryGiB: z.number().positive(),
    ports: z.array(z.number().int().min(1).max(65535)),
  }),
  components: z.array(component).min(1),
  images: z.array(imageSpec).min(1),
});

export type LabFile = z.infer<typeof labFileSchema>;
export type LabComponent = z.infer<typeof component>;
export type ImageSpec = z.infer<typeof imageSpec>;
export type ManifestSource = z.infer<typeof manifestSource>;

/** The kind Cluster config, as far as the lab reads it (kind validates the rest). */
const clusterFileSchema = z
  .object({
    kind: z.literal('Cluster'),
    apiVersion: z.literal('kind.x-k8s.io/v1alpha4'),
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    nodes: z
      .array(
        z
          .object({
            role: z.enum(['control-plane', 'worker']),
            image: z
              .string()
              .regex(/^kindest\/node:v\d+\.\d+\.\d+(@sha256:[0-9a-f]{64})?$/, 'image must be kindest/node:<version>'),
            extraPortMappings: z
              .array(
                z
                  .object({ containerPort: z.number(), hostPort: z.number(), listenAddress: z.string().optional() })
                  .loose(),
              )
              .default([]),
          })
          .loose(),
      )
      .length(1, 'the lab runs one node (the offline node image wires pods for one node only)'),
  })
  .loose();

export type ClusterFile = z.infer<typeof clusterFileSchema> & Record<string, unknown>;

export interface LabConfig {
  lab: LabFile;
  cluster: ClusterFile;
  /** The node image without a digest: what the offline builder tags. */
  nodeImage: string;
}

/** Reads platform/kind/lab.yaml and cluster.yaml and checks that they agree with each other and with the envs. */
export function loadLabConfig(workspaceRoot: string, envs: readonly Environment[]): LabConfig {
  const labSource = readYamlFile(join(workspaceRoot, LAB_FILE), LAB_FILE);
  const lab = labFileSchema.safeParse(labSource.data);
  if (!lab.success) throw new MaydayError(zodDiagnostics(labSource, lab.error.issues, 'lab-config', `fix ${LAB_FILE}`));
  const clusterSource = readYamlFile(join(workspaceRoot, CLUSTER_FILE), CLUSTER_FILE);
  const cluster = clusterFileSchema.safeParse(clusterSource.data);
  if (!cluster.success)
    throw new MaydayError(zodDiagnostics(clusterSource, cluster.error.issues, 'lab-config', `fix ${CLUSTER_FILE}`));
  const nodeImage = cluster.data.nodes[0].image.replace(/@sha256:.*$/, '');
  const problems = consistencyProblems(lab.data, nodeImage, envs);
  if (problems.length > 0) throw new MaydayError(problems);
  return { lab: lab.data, cluster: cluster.data as ClusterFile, nodeImage };
}

/** The node runs lab.yaml's Kubernetes, of the minor every env declares; every image a component runs is buildable. */
export function consistencyProblems(lab: LabFile, nodeImage: string, envs: readonly Environment[]): Diagnostic[] {
  const problems: Diagnostic[] = [];
  if (nodeImage !== `kindest/node:${lab.kubernetes}`)
    problems.push({
      severity: 'error',
      file: CLUSTER_FILE,
      field: 'nodes.0.image',
      rule: 'lab-config',
      message: `the node image ${nodeImage} is not Kubernetes ${lab.kubernetes} (kubernetes in ${LAB_FILE})`,
      hint: `use kindest/node:${lab.kubernetes}, or change kubernetes in ${LAB_FILE} with tools/toolchain/go/kubernetes`,
    });
  const minor = lab.kubernetes.replace(/^v(\d+\.\d+)\..*$/, '$1');
  for (const env of envs)
    if (env.kubernetesVersion.replace(/^(\d+\.\d+)\..*$/, '$1') !== minor)
      problems.push({
        severity: 'error',
        file: LAB_FILE,
        field: 'kubernetes',
        rule: 'lab-config',
        message: `the lab runs Kubernetes ${lab.kubernetes}, env ${env.name} declares ${env.kubernetesVersion} (platform/environments.yaml)`,
        hint: 'the lab and every env must share the Kubernetes minor: change the lab (node image and Go module) to match',
      });
  const buildable = new Set(lab.images.map((i) => i.name));
  for (const c of lab.components)
    for (const image of c.images)
      if (!buildable.has(image))
        problems.push({
          severity: 'error',
          file: LAB_FILE,
          field: `components.${c.name}.images`,
          rule: 'lab-config',
          message: `${image} is not among images, so the offline builder cannot make it`,
          hint: 'add it to images with how to build it',
        });
  return problems;
}

/** Images preloaded in the node image, in lab.yaml's order. */
export const nodeImages = (lab: LabFile): ImageSpec[] => lab.images.filter((i) => i.into === 'node');
/** Images loaded into the cluster after it is created. */
export const clusterImages = (lab: LabFile): ImageSpec[] => lab.images.filter((i) => i.into === 'cluster');
