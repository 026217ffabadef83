import { stringify } from 'yaml';
import type { HostFacts } from '../host.ts';
import type { ClusterFile } from '../lab-config.ts';

/** kubelet ≥ 1.35 refuses cgroup v1 unless told otherwise (kind's node images do not set it: kind issue 3915). */
const CGROUP_V1_KUBELET = `kind: KubeletConfiguration
apiVersion: kubelet.config.k8s.io/v1beta1
failCgroupV1: false
`;

/** The node's containerd runs privileged pods (kube-proxy) through the wrapper that drops missing capabilities. */
const BOUNDED_RUNC = `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  BinaryName = "/usr/local/sbin/runc-bounded"
`;

/**
 * The kind config `up` creates the cluster with: platform/kind/cluster.yaml as written, the node image given
 * (the digest-pinned one, or the local build of the same name), plus what this host needs and nothing else.
 */
export function kindConfig(cluster: ClusterFile, host: HostFacts, nodeImage: string): string {
  const config = structuredClone(cluster) as ClusterFile & {
    kubeadmConfigPatches?: string[];
    containerdConfigPatches?: string[];
  };
  config.nodes = config.nodes.map((node) => ({ ...node, image: nodeImage }));
  if (host.cgroupVersion === '1')
    config.kubeadmConfigPatches = [...(config.kubeadmConfigPatches ?? []), CGROUP_V1_KUBELET];
  if (host.missingCapabilities.length > 0)
    config.containerdConfigPatches = [...(config.containerdConfigPatches ?? []), BOUNDED_RUNC];
  return stringify(config);
}

/** What kindConfig added for this host, in words (dry-run and status say it). */
export function hostAdjustments(host: HostFacts): string[] {
  const notes: string[] = [];
  if (host.cgroupVersion === '1') notes.push('cgroup v1 host: kubelet failCgroupV1: false');
  if (host.missingCapabilities.length > 0)
    notes.push(`capability bounding set lacks ${host.missingCapabilities.join(', ')}: containerd runs runc-bounded`);
  return notes;
}
