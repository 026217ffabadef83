// The lab's pinned configuration: lab.yaml, cluster.yaml, the manifests and the node files agree with each other
// and with platform/environments.yaml, so `up` never meets an image it cannot build or a version it did not pin.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { loadEnvironments, parseEnvironments, parseYamlFile } from '@mayday/model';
import { REPO_ROOT } from '@mayday/testing';
import { parseObjects } from './components/manifests.ts';
import { imagesOf } from './components/transforms.ts';
import { consistencyProblems, loadLabConfig, nodeImages } from './lab-config.ts';

const envs = loadEnvironments(REPO_ROOT);
const config = loadLabConfig(REPO_ROOT, envs);
const names = new Set(config.lab.images.map((i) => i.name));
const local = (path: string) => parseObjects(readFileSync(join(REPO_ROOT, path), 'utf8'), path);

describe('platform/kind/lab.yaml and cluster.yaml', () => {
  it('load, and the node runs the Kubernetes minor of every env', () => {
    expect(config.nodeImage).toBe(`kindest/node:${config.lab.kubernetes}`);
    for (const env of envs)
      expect(`v${env.kubernetesVersion}`.split('.').slice(0, 2)).toEqual(config.lab.kubernetes.split('.').slice(0, 2));
  });

  it('name an env whose Kubernetes minor differs from the lab, in lab.yaml', () => {
    const other = parseEnvironments(
      parseYamlFile(
        'platform/environments.yaml',
        readFileSync(join(REPO_ROOT, 'platform/environments.yaml'), 'utf8').replaceAll(
          'kubernetesVersion: 1.35.0',
          'kubernetesVersion: 1.36.0',
        ),
      ),
    );
    const problems = consistencyProblems(config.lab, config.nodeImage, other);
    expect(problems.map((p) => `${p.file} ${p.field}: ${p.message}`)).toContain(
      'platform/kind/lab.yaml kubernetes: the lab runs Kubernetes v1.35.4, env stg declares 1.36.0 (platform/environments.yaml)',
    );
  });

  it('can build every image the lab manifests run', () => {
    const manifests = [
      'platform/kind/components/traefik.yaml',
      'platform/kind/components/git-server.yaml',
      'platform/kind/node/files/kind/manifests/default-storage.yaml',
    ];
    const used = manifests.flatMap((m) => imagesOf(local(m)));
    expect(used.filter((image) => !names.has(image))).toEqual([]);
    const helper = /--helper-image\s+-\s+(\S+)/.exec(readFileSync(join(REPO_ROOT, manifests[2]), 'utf8'))?.[1];
    expect(names.has(helper!)).toBe(true);
  });

  it('preloads into the node image exactly what kubeadm 1.35 and the node manifests start', () => {
    expect(
      nodeImages(config.lab)
        .map((i) => i.name)
        .sort(),
    ).toEqual([
      'docker.io/kindest/local-path-helper:v20260131-7181c60a',
      'docker.io/kindest/local-path-provisioner:v20260820-69b56db7',
      'registry.k8s.io/coredns/coredns:v1.13.1',
      'registry.k8s.io/etcd:3.6.6-0',
      'registry.k8s.io/kube-apiserver:v1.35.4',
      'registry.k8s.io/kube-controller-manager:v1.35.4',
      'registry.k8s.io/kube-proxy:v1.35.4',
      'registry.k8s.io/kube-scheduler:v1.35.4',
      'registry.k8s.io/pause:3.10.1',
    ]);
  });

  it('serves the gitops repository of platform/gitops.yaml on the gateway and the git server', () => {
    const gateway = local('platform/kind/components/traefik.yaml').find((o) => o.kind === 'Gateway')!;
    const route = local('platform/kind/components/git-server.yaml').find((o) => o.kind === 'HTTPRoute')!;
    const host = new URL(parse(readFileSync(join(REPO_ROOT, 'platform/gitops.yaml'), 'utf8')).repository).hostname;
    expect((gateway.spec as { listeners: { hostname?: string }[] }).listeners.map((l) => l.hostname)).toContain(host);
    expect((route.spec as { hostnames: string[] }).hostnames).toContain(host);
  });
});
