// The lab's pure parts: what it changes in upstream manifests, how it maps the envs onto its cluster, what it adds
// to the kind config on which hosts, the Dockerfiles of its images, and its lock.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { loadEnvironments } from '@mayday/model';
import { REPO_ROOT } from '@mayday/testing';
import { hostAdjustments, kindConfig } from './cluster/kind-config.ts';
import type { KubeObject } from './cluster/kubectl.ts';
import { withoutSharedPolicyApps } from './components/components.ts';
import { labHosts, withLabHosts } from './components/env-clusters.ts';
import {
  inNamespace,
  pullIfNotPresent,
  withConfigData,
  withImages,
  withPluginFromImage,
} from './components/transforms.ts';
import { missingFromBoundingSet } from './host.ts';
import { renderDockerfile } from './images/dockerfile.ts';
import { loadLabConfig } from './lab-config.ts';
import { lockLab, lockPath } from './lock.ts';

const envs = loadEnvironments(REPO_ROOT);
const config = loadLabConfig(REPO_ROOT, envs);
const deployment = (name: string, image: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: { template: { spec: { containers: [{ name: 'main', image, imagePullPolicy: 'Always' }] } } },
});

describe('what the lab changes in upstream manifests', () => {
  it('puts namespaced objects into the namespace and leaves cluster-scoped ones alone', () => {
    const objects = inNamespace(
      [
        deployment('a', 'x:1'),
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' } },
      ],
      'argocd',
    );
    expect(objects.map((o) => o.metadata.namespace)).toEqual(['argocd', undefined]);
  });

  it('pins images by repository and pulls only what is missing', () => {
    const [d] = pullIfNotPresent(
      withImages([deployment('a', 'quay.io/argoproj/argo-rollouts:latest')], {
        'quay.io/argoproj/argo-rollouts': 'quay.io/argoproj/argo-rollouts:v1.9.3',
      }),
    );
    expect((d.spec as { template: { spec: { containers: object[] } } }).template.spec.containers[0]).toMatchObject({
      image: 'quay.io/argoproj/argo-rollouts:v1.9.3',
      imagePullPolicy: 'IfNotPresent',
    });
  });

  it('merges ConfigMap data over the upstream keys', () => {
    const [cm] = withConfigData(
      [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'argocd-cm' }, data: { a: '1' } }],
      'argocd-cm',
      { b: '2' },
    );
    expect(cm.data).toEqual({ a: '1', b: '2' });
  });

  it('installs the traffic router plugin from its image with an init container into a shared emptyDir', () => {
    const [d] = withPluginFromImage([deployment('argo-rollouts', 'r:1')], 'argo-rollouts', {
      image: 'p:1',
      from: '/plugin/gatewayapi',
      mountPath: '/plugins',
    });
    const spec = (
      d.spec as { template: { spec: Record<string, { name: string; command?: string[]; volumeMounts?: object[] }[]> } }
    ).template.spec;
    expect(spec.initContainers[0]).toMatchObject({
      image: 'p:1',
      command: ['/plugin/gatewayapi', 'install', '/plugins/gatewayapi'],
    });
    expect(spec.containers[0].volumeMounts).toEqual([{ name: 'mayday-plugins', mountPath: '/plugins' }]);
    expect(spec.volumes).toEqual([{ name: 'mayday-plugins', emptyDir: {} }]);
  });
});

describe('both envs in the one lab cluster', () => {
  it("resolve each env's API host to the kubernetes Service and the git host to the gateway", () => {
    const hosts = labHosts(envs, '10.96.0.1', 'git.mayday.example', '10.96.0.80');
    expect(Object.fromEntries(hosts)).toEqual({
      'stg.k8s.mayday.example': '10.96.0.1',
      'prd.k8s.mayday.example': '10.96.0.1',
      'git.mayday.example': '10.96.0.80',
    });
  });

  it('adds the hosts block to the Corefile before forward, once, replacing its own earlier block', () => {
    const corefile =
      '.:53 {\n    errors\n    kubernetes cluster.local in-addr.arpa ip6.arpa\n    forward . /etc/resolv.conf\n    cache 30\n}\n';
    const once = withLabHosts(corefile, new Map([['a.example', '10.0.0.1']]));
    expect(once).toContain('    hosts {\n       10.0.0.1 a.example\n       fallthrough\n    }');
    expect(once.indexOf('hosts {')).toBeLessThan(once.indexOf('forward .'));
    const twice = withLabHosts(once, new Map([['b.example', '10.0.0.2']]));
    expect(twice).not.toContain('a.example');
    expect(twice.match(/hosts \{/g)).toHaveLength(1);
    expect(withLabHosts(once, new Map([['a.example', '10.0.0.1']]))).toBe(once);
  });

  it("keeps one policy Application: every env's would own the same cluster-wide policies", () => {
    const app = (name: string): KubeObject => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name },
    });
    const kept = withoutSharedPolicyApps(
      [app('platform-policies-stg'), app('platform-policies-prd'), app('hello-prd')],
      envs,
    );
    expect(kept.map((o) => o.metadata.name)).toEqual(['platform-policies-stg', 'hello-prd']);
  });
});

describe('the kind config per host', () => {
  const patchesOf = (yaml: string) =>
    parse(yaml) as { kubeadmConfigPatches?: string[]; containerdConfigPatches?: string[]; nodes: { image: string }[] };

  it('is cluster.yaml as written on a cgroup v2 host with every capability', () => {
    const config2 = patchesOf(
      kindConfig(config.cluster, { cgroupVersion: '2', missingCapabilities: [] }, 'kindest/node:v1.35.4'),
    );
    expect(config2.kubeadmConfigPatches).toBeUndefined();
    expect(config2.containerdConfigPatches).toBeUndefined();
    expect(config2.nodes[0].image).toBe('kindest/node:v1.35.4');
    expect(hostAdjustments({ cgroupVersion: '2', missingCapabilities: [] })).toEqual([]);
  });

  it('adds failCgroupV1: false on cgroup v1 and the runc wrapper where the bounding set lacks capabilities', () => {
    const config1 = patchesOf(
      kindConfig(
        config.cluster,
        { cgroupVersion: '1', missingCapabilities: ['CAP_SYS_RESOURCE'] },
        'kindest/node:v1.35.4',
      ),
    );
    expect(config1.kubeadmConfigPatches?.[0]).toContain('failCgroupV1: false');
    expect(config1.containerdConfigPatches?.[0]).toContain('BinaryName = "/usr/local/sbin/runc-bounded"');
  });

  it('reads the missing capabilities off a CapBnd mask', () => {
    expect(missingFromBoundingSet('000001ffffffffff')).toEqual([]);
    expect(missingFromBoundingSet('000001fffeffffff')).toEqual(['CAP_SYS_RESOURCE']);
  });
});

describe('the image builder', () => {
  it('writes a Dockerfile any Docker builds: base, packages, files, user, entrypoint', () => {
    const argocd = config.lab.images.find((i) => i.name === 'quay.io/argoproj/argocd:v3.6.1')!;
    const dockerfile = renderDockerfile(argocd, 'trixie');
    expect(dockerfile.split('\n').slice(1, 3)).toEqual(['FROM debian:trixie-slim', 'RUN apt-get update \\']);
    expect(dockerfile).toContain(
      'apt-get install -y --no-install-recommends git tini ca-certificates gpg gpg-agent tzdata openssh-client',
    );
    expect(dockerfile).toMatch(/COPY rootfs\/ \/\nRUN groupadd -g 999 argocd/);
    expect(dockerfile).toContain('USER 999\nWORKDIR /home/argocd\nENTRYPOINT ["/usr/bin/tini","--"]');
    const traefik = renderDockerfile(
      config.lab.images.find((i) => i.name === 'docker.io/traefik:v3.6.12')!,
      'trixie',
    );
    expect(traefik).toContain(
      'FROM scratch\nCOPY rootfs/ /\nENV PATH="/usr/local/bin:/usr/bin:/bin"\nUSER 65532\nENTRYPOINT ["/traefik"]',
    );
  });
});

describe('the lab lock', () => {
  it('refuses a second holder, naming the command and process, and is free again once released', () => {
    const release = lockLab('lock-test', 'up');
    try {
      expect(() => lockLab('lock-test', 'down')).toThrow(
        `platform:up is already running for the lab lock-test (pid ${process.pid}`,
      );
    } finally {
      release();
    }
    expect(existsSync(lockPath('lock-test'))).toBe(false);
    lockLab('lock-test', 'down')();
  });

  it('takes over a lock whose process is gone', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(lockPath('lock-stale'), JSON.stringify({ pid: 2 ** 22 + 12345, command: 'up', started: 'then' }));
    lockLab('lock-stale', 'up')();
    expect(existsSync(lockPath('lock-stale'))).toBe(false);
    expect(readFileSync).toBeDefined();
  });
});
