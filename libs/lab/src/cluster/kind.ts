import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { output, run, stream } from '../exec.ts';
import { toolPath } from '../go-modules.ts';

/** kind, as setup builds it (tools/toolchain/go/kind) or as found on PATH. */
export class Kind {
  readonly binary: string;
  readonly cluster: string;

  constructor(binary: string, cluster: string) {
    this.binary = binary;
    this.cluster = cluster;
  }

  static inWorkspace(root: string, cluster: string, onPath: (name: string) => string | undefined): Kind {
    return new Kind(onPath('kind') ?? toolPath(root, 'kind'), cluster);
  }

  /** The kubeconfig context kind writes for the cluster; every kubectl call names it. */
  get context(): string {
    return `kind-${this.cluster}`;
  }

  get controlPlane(): string {
    return `${this.cluster}-control-plane`;
  }

  async version(): Promise<string | undefined> {
    const result = await run(this.binary, ['version']);
    return result.ok ? /v\d+\.\d+\.\d+\S*/.exec(result.stdout)?.[0] : undefined;
  }

  async exists(): Promise<boolean> {
    const result = await run(this.binary, ['get', 'clusters']);
    return result.ok && result.stdout.split('\n').includes(this.cluster);
  }

  /** Creates the cluster from a kind config written into `dir`; kind prints its own steps. */
  async create(config: string, dir: string, log: (line: string) => void): Promise<void> {
    const file = join(dir, 'kind-config.yaml');
    writeFileSync(file, config);
    await stream(this.binary, ['create', 'cluster', '--name', this.cluster, '--config', file], log);
  }

  async delete(log: (line: string) => void): Promise<void> {
    await stream(this.binary, ['delete', 'cluster', '--name', this.cluster], log);
  }

  /** Loads local images into the node (kind skips those already there with the same ID). */
  async load(images: readonly string[], log: (line: string) => void): Promise<void> {
    if (images.length > 0) await stream(this.binary, ['load', 'docker-image', '--name', this.cluster, ...images], log);
  }

  /** Image IDs the node's containerd has, by name: to tell which local images still need loading. */
  async nodeImageIds(): Promise<Map<string, string>> {
    const out = await output('docker', ['exec', this.controlPlane, 'ctr', '--namespace=k8s.io', 'images', 'list']);
    const ids = new Map<string, string>();
    for (const line of out.split('\n').slice(1)) {
      const [name, , digest] = line.split(/\s+/);
      if (name && digest) ids.set(name, digest);
    }
    return ids;
  }
}
