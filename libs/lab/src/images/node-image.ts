import { createHash } from 'node:crypto';
import {
  appendFileSync,
  copyFileSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildImage, removeContainer } from '../docker.ts';
import { output } from '../exec.ts';
import { binaryStamp, moduleDir, toolPath } from '../go-modules.ts';
import { nodeImages, type LabConfig } from '../lab-config.ts';
import { copyTree } from './context-files.ts';
import { debianImage } from './dockerfile.ts';

export const NODE_DIR = 'platform/kind/node';
const NODE_BINARIES = ['kubelet', 'kubeadm', 'kubectl'];
const CRICTL = 'crictl';
const CNI_PLUGINS = ['ptp', 'host-local', 'loopback', 'portmap'];
const RUNC_WRAPPER = 'tools/toolchain/docker/runc-bounded';

/** Everything the node image is made of, hashed: a change to any of them rebuilds it. */
export async function nodeImageInputs(root: string, config: LabConfig): Promise<string> {
  const hash = createHash('sha256').update(config.lab.kind).update(config.nodeImage);
  for (const binary of [...NODE_BINARIES, CRICTL, ...CNI_PLUGINS.map((p) => `cni-${p}`)])
    hash.update(binaryStamp(root, binary));
  for (const file of [
    'Dockerfile',
    'containerd.toml',
    'files/etc/cni/net.d/10-mayday.conflist',
    'files/kind/manifests/default-cni.yaml',
    'files/kind/manifests/default-storage.yaml',
  ])
    hash.update(readFileSync(join(root, NODE_DIR, file)));
  hash.update(readFileSync(join(root, RUNC_WRAPPER)));
  for (const image of nodeImages(config.lab)) {
    const id = await output('docker', ['image', 'inspect', '--format', '{{.Id}}', image.name]).catch(() => 'missing');
    hash.update(`${image.name}=${id.trim()}`);
  }
  return hash.digest('hex').slice(0, 32);
}

export interface NodeBuild {
  root: string;
  config: LabConfig;
  log: (line: string) => void;
  labels: Record<string, string>;
}

/**
 * Assembles the node image the way kind's `build node-image` does, without fetching anything: an OS image from
 * platform/kind/node/Dockerfile with kind's base files and the binaries, then a container of it in which
 * containerd imports the control-plane images (saved from the local Docker engine), committed as the node image.
 */
export async function assembleNodeImage(build: NodeBuild): Promise<void> {
  const { root, config, log } = build;
  const osImage = `mayday.dev/lab/node-os:${config.lab.kubernetes}`;
  const context = mkdtempSync(join(tmpdir(), 'mayday-node-'));
  const container = `mayday-node-build-${process.pid}`;
  try {
    await fillNodeContext(root, config, context);
    log(`building the node OS (${osImage})`);
    await buildImage(context, osImage, {}, log, ['--build-arg', `BASE=${debianImage(config.lab.debian.suite)}`]);
    await removeContainer(container);
    await output('docker', [
      'run',
      '--detach',
      '--name',
      container,
      '--entrypoint=sleep',
      '--security-opt',
      'seccomp=unconfined',
      osImage,
      'infinity',
    ]);
    await exec(
      container,
      `nohup containerd >/tmp/containerd.log 2>&1 &
      for i in $(seq 1 30); do [ -S /run/containerd/containerd.sock ] && ctr version >/dev/null 2>&1 && exit 0; sleep 0.5; done
      cat /tmp/containerd.log; exit 1`,
    );
    const images = nodeImages(config.lab).map((i) => i.name);
    log(`importing ${images.length} images into the node's containerd`);
    // no buffering: the images are gigabytes (execa would stop at its maxBuffer)
    await execa('docker', ['save', ...images], { buffer: false }).pipe(
      'docker',
      [
        'exec',
        '--interactive',
        container,
        'ctr',
        '--namespace=k8s.io',
        'images',
        'import',
        '--label=io.cri-containerd.pinned=pinned',
        '--all-platforms',
        '--no-unpack',
        '--digests',
        '-',
      ],
      { buffer: false },
    );
    // sleep (PID 1 here) reaps nothing: a stopped containerd stays a zombie, so wait for no live one
    await exec(
      container,
      'pkill containerd; while ps -o stat= -C containerd | grep -qv Z; do sleep 0.2; done; rm -f /tmp/containerd.log',
    );
    const changes = [
      'ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]',
      ...Object.entries(build.labels).map(([k, v]) => `LABEL ${k}=${v}`),
    ];
    await output('docker', ['commit', ...changes.flatMap((c) => ['--change', c]), container, config.nodeImage]);
  } finally {
    await removeContainer(container);
    rmSync(context, { recursive: true, force: true });
  }
}

function exec(container: string, script: string): Promise<string> {
  return output('docker', ['exec', container, 'bash', '-c', script]);
}

/** kind's base files, mayday's node files, the Kubernetes binaries, the CNI plugins and the runc wrapper. */
async function fillNodeContext(root: string, config: LabConfig, context: string): Promise<void> {
  writeFileSync(join(context, 'Dockerfile'), readFileSync(join(root, NODE_DIR, 'Dockerfile')));
  const rootfs = join(context, 'rootfs');
  const kindFiles = join(await moduleDir(`sigs.k8s.io/kind@${config.lab.kind}`), 'images/base/files');
  copyTree(kindFiles, rootfs);
  rmSync(join(rootfs, 'LICENSES'), { recursive: true, force: true });
  copyTree(join(root, NODE_DIR, 'files'), rootfs);
  const containerd = join(rootfs, 'etc/containerd/config.toml');
  const pause = nodeImages(config.lab).find((i) => i.name.includes('/pause:'))?.name;
  if (pause)
    writeFileSync(
      containerd,
      readFileSync(containerd, 'utf8').replace(/sandbox_image = "[^"]*"/, `sandbox_image = "${pause}"`),
    );
  appendFileSync(containerd, readFileSync(join(root, NODE_DIR, 'containerd.toml')));
  const place = (from: string, to: string) => {
    mkdirSync(join(rootfs, to, '..'), { recursive: true });
    copyFileSync(from, join(rootfs, to));
    chmodSync(join(rootfs, to), 0o755);
  };
  for (const binary of NODE_BINARIES) place(toolPath(root, binary), `usr/bin/${binary}`);
  place(toolPath(root, CRICTL), `usr/local/bin/${CRICTL}`);
  for (const plugin of CNI_PLUGINS) place(toolPath(root, `cni-${plugin}`), `opt/cni/bin/${plugin}`);
  place(join(root, RUNC_WRAPPER), 'usr/local/sbin/runc-bounded');
  writeFileSync(join(rootfs, 'kind/version'), config.lab.kubernetes);
}
