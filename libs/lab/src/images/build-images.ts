import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { MaydayError } from '@mayday/model';
import { buildImage, imageLabels, pullImage } from '../docker.ts';
import { output, run } from '../exec.ts';
import { binaryStamp, buildGoModule, moduleDir, toolPath } from '../go-modules.ts';
import { LAB_FILE, nodeImages, type ImageSpec, type LabConfig } from '../lab-config.ts';
import { copyTree } from './context-files.ts';
import { debianImage, renderDockerfile } from './dockerfile.ts';
import { assembleNodeImage, nodeImageInputs } from './node-image.ts';

/** The label that says which inputs a locally built image was made from: equal inputs, no rebuild. */
export const INPUTS_LABEL = 'dev.mayday.lab.inputs';

/** How an image came to be on this machine in this run. */
export type ImageSource = 'present' | 'pulled' | 'built';

export interface ImageOutcome {
  name: string;
  source: ImageSource;
  seconds: number;
}

export interface BuilderOptions {
  root: string;
  config: LabConfig;
  log: (line: string) => void;
  /** Build even where a registry might answer (the tests here; a machine known to be offline). */
  noPull?: boolean;
}

/** Images whose name says they are mayday's own: never pulled, always built. */
const isOwnImage = (name: string): boolean => name.startsWith('mayday.dev/');

/** What the builder would do for each image: nothing (present), or pull/build it. */
export async function imagePlan(
  options: BuilderOptions,
  names: readonly string[],
): Promise<{ name: string; present: boolean }[]> {
  return Promise.all(names.map(async (name) => ({ name, present: (await currentState(options, name)) === 'ok' })));
}

/**
 * Makes every named image (lab.yaml's images and the node image) available to the Docker engine: an image
 * already there is used; a missing one is pulled; where no registry answers (or with noPull) it is built here
 * from Go modules and Debian's packages under the same name. Go builds take turns on the build lock, image
 * builds run two at a time.
 */
export async function ensureImages(options: BuilderOptions, names: readonly string[]): Promise<ImageOutcome[]> {
  const builder = new ImageBuilder(options);
  return Promise.all(names.map((name) => builder.ensure(name)));
}

async function currentState(options: BuilderOptions, name: string): Promise<'ok' | 'stale' | 'missing'> {
  const labels = await imageLabels(name);
  if (!labels) return 'missing';
  const built = labels[INPUTS_LABEL];
  if (built === undefined) return 'ok'; // pulled from its registry
  return built === (await inputsOf(options, name)) ? 'ok' : 'stale';
}

/** A hash of everything an image is built from: its spec, its binaries' stamps, its files, the Dockerfile. */
async function inputsOf(options: BuilderOptions, name: string): Promise<string> {
  const { config, root } = options;
  if (name === config.nodeImage) return nodeImageInputs(root, config);
  const spec = specOf(config, name);
  const hash = createHash('sha256')
    .update(JSON.stringify(spec))
    .update(renderDockerfile(spec, config.lab.debian.suite));
  for (const binary of Object.keys(spec.binaries)) hash.update(binaryStamp(root, binary.split('/')[1]));
  for (const file of spec.files)
    hash.update('local' in file ? readTree(join(root, file.local)) : `${file.module}/${file.path}`);
  return hash.digest('hex').slice(0, 32);
}

function specOf(config: LabConfig, name: string): ImageSpec {
  const spec = config.lab.images.find((i) => i.name === name);
  if (!spec)
    throw new MaydayError({
      severity: 'error',
      file: LAB_FILE,
      field: 'images',
      message: `no image ${name} in lab.yaml`,
      hint: 'add it to images',
    });
  return spec;
}

class ImageBuilder {
  private readonly options: BuilderOptions;
  private readonly ensured = new Map<string, Promise<ImageOutcome>>();
  private readonly slots = new Semaphore(2);
  private debian?: Promise<void>;

  constructor(options: BuilderOptions) {
    this.options = options;
  }

  ensure(name: string): Promise<ImageOutcome> {
    let outcome = this.ensured.get(name);
    if (!outcome) {
      outcome = this.make(name);
      this.ensured.set(name, outcome);
    }
    return outcome;
  }

  private async make(name: string): Promise<ImageOutcome> {
    const started = Date.now();
    const seconds = () => Math.round((Date.now() - started) / 100) / 10;
    const labels = await imageLabels(name);
    if (labels && labels[INPUTS_LABEL] === undefined) return { name, source: 'present', seconds: seconds() }; // pulled
    if (!labels && !this.options.noPull && !isOwnImage(name) && (await pullImage(name))) {
      this.options.log(`pulled ${name}`);
      return { name, source: 'pulled', seconds: seconds() };
    }
    // built here: its binaries first (build-go.sh says "up to date" in well under a second), then its inputs compared
    const isNode = name === this.options.config.nodeImage;
    if (isNode) await this.prepareNode();
    else await this.prepare(specOf(this.options.config, name));
    if (labels?.[INPUTS_LABEL] === (await inputsOf(this.options, name)))
      return { name, source: 'present', seconds: seconds() };
    if (isNode) await this.buildNode();
    else await this.build(specOf(this.options.config, name));
    this.options.log(`built ${name} (${seconds()} s)`);
    return { name, source: 'built', seconds: seconds() };
  }

  /** The node image's inputs: the control-plane images it preloads, its binaries, the Debian base. */
  private async prepareNode(): Promise<void> {
    const { config, root, log } = this.options;
    await Promise.all([
      ...nodeImages(config.lab).map((i) => this.ensure(i.name)),
      buildGoModule(root, 'kubernetes', ['kubelet', 'kubeadm', 'kubectl'], log),
      buildGoModule(root, 'cni-plugins', [], log),
      buildGoModule(root, 'cri-tools', ['crictl'], log),
      this.ensureDebian(),
    ]);
  }

  private async buildNode(): Promise<void> {
    const { config, root, log } = this.options;
    await this.slots.use(async () =>
      assembleNodeImage({ root, config, log, labels: { [INPUTS_LABEL]: await nodeImageInputs(root, config) } }),
    );
  }

  /** An image's inputs: its Go binaries built, its Debian base there. */
  private async prepare(spec: ImageSpec): Promise<void> {
    const { root, log } = this.options;
    const modules = new Map<string, string[]>();
    for (const binary of Object.keys(spec.binaries)) {
      const [module, name] = binary.split('/');
      modules.set(module, [...(modules.get(module) ?? []), name]);
    }
    await Promise.all([
      ...[...modules].map(([module, binaries]) => buildGoModule(root, module, binaries, log)),
      spec.from === 'debian' ? this.ensureDebian() : Promise.resolve(),
    ]);
  }

  private async build(spec: ImageSpec): Promise<void> {
    const { config, root, log } = this.options;
    await this.slots.use(async () => {
      const context = mkdtempSync(join(tmpdir(), 'mayday-image-'));
      try {
        await fillContext(root, spec, join(context, 'rootfs'));
        writeFileSync(join(context, 'Dockerfile'), renderDockerfile(spec, config.lab.debian.suite));
        await buildImage(context, spec.name, { [INPUTS_LABEL]: await inputsOf(this.options, spec.name) }, log);
      } finally {
        rmSync(context, { recursive: true, force: true });
      }
    });
  }

  /** debian:<suite>-slim: present, pulled, or made here with debootstrap from Debian's mirror. */
  private ensureDebian(): Promise<void> {
    this.debian ??= (async () => {
      const { suite, mirror } = this.options.config.lab.debian;
      const image = debianImage(suite);
      if (await imageLabels(image)) return;
      if (!this.options.noPull && (await pullImage(image))) return;
      await debootstrapImage(image, suite, mirror, this.options.log);
    })();
    return this.debian;
  }
}

/** Copies an image's binaries, files and compiled sources into its build context's rootfs/. */
async function fillContext(root: string, spec: ImageSpec, rootfs: string): Promise<void> {
  mkdirSync(rootfs, { recursive: true });
  for (const [binary, to] of Object.entries(spec.binaries)) {
    const from = toolPath(root, binary.split('/')[1]);
    mkdirSync(join(rootfs, dirname(to)), { recursive: true });
    copyFileSync(from, join(rootfs, to));
    chmodSync(join(rootfs, to), 0o755);
  }
  for (const file of spec.files) {
    const from = 'local' in file ? join(root, file.local) : join(await moduleDir(file.module), file.path);
    copyTree(from, join(rootfs, file.to));
  }
  if (spec.compile) {
    const source = join(await moduleDir(spec.compile.module), spec.compile.source);
    const to = join(rootfs, spec.compile.to);
    mkdirSync(dirname(to), { recursive: true });
    const define = spec.compile.define ? [`-D${spec.compile.define}`] : [];
    await output('cc', ['-Os', '-Wall', '-Werror', '-static', ...define, '-o', to, source]);
  }
}

function readTree(path: string): string {
  if (!existsSync(path)) return 'missing';
  if (!statSync(path).isDirectory()) return readFileSync(path, 'utf8');
  return readdirSync(path)
    .sort()
    .map((entry) => `${entry}\n${readTree(join(path, entry))}`)
    .join('\n');
}

/** Makes debian:<suite>-slim from Debian's mirror: debootstrap's minimal base, without docs, as one layer. */
async function debootstrapImage(
  image: string,
  suite: string,
  mirror: string,
  log: (line: string) => void,
): Promise<void> {
  if (process.getuid?.() !== 0 || !(await run('debootstrap', ['--version'])).ok)
    throw new MaydayError({
      severity: 'error',
      file: LAB_FILE,
      field: 'debian',
      rule: 'lab-images',
      message: `${image} is not on this machine, no registry answered, and it cannot be made here`,
      hint: 'pull it where a registry answers (docker pull), or run as root on Debian with debootstrap installed (apt-get install debootstrap)',
    });
  const dir = mkdtempSync(join(tmpdir(), 'mayday-debootstrap-'));
  try {
    log(`making ${image} with debootstrap from ${mirror} (about a minute)`);
    await output('debootstrap', ['--variant=minbase', suite, dir, mirror], { timeout: 900_000 });
    for (const sub of ['usr/share/doc', 'usr/share/man', 'usr/share/locale', 'var/lib/apt/lists', 'var/cache/apt']) {
      rmSync(join(dir, sub), { recursive: true, force: true });
      mkdirSync(join(dir, sub), { recursive: true });
    }
    await execa('tar', ['-C', dir, '-c', '.'], { buffer: false }).pipe('docker', [
      'import',
      '--change',
      'CMD ["bash"]',
      '-',
      image,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** At most n holders at a time. */
class Semaphore {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async use<T>(body: () => Promise<T>): Promise<T> {
    if (this.free === 0) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.free--;
    try {
      return await body();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}
