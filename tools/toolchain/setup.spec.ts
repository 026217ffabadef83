// tools/toolchain/setup.sh: on a fresh clone it installs exactly the lockfile and leaves the tree clean; on a
// machine without Helm or Go it says what to install instead of failing obscurely.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { REPO_ROOT } from '@mayday/testing';

let root: string;
/** Where `go` is: setup needs it to check (and build) the render engine. */
const GO_BIN = goBinDir();
const setup = (args: string[] = [], path = '/usr/bin:/bin') =>
  execa('bash', ['tools/toolchain/setup.sh', ...args], {
    cwd: root,
    // the portal's install is the portal suite's (npm run test:portal)
    env: { PATH: path, HOME: root, MAYDAY_SKIP_PORTAL: '1' },
    extendEnv: false,
    reject: false,
    all: true,
  });

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'mayday-setup-'));
  for (const file of [
    'package.json',
    'package-lock.json',
    'tools/toolchain',
    'libs/render/engine',
    'tools/cache-server',
    'platform/crds',
  ])
    cpSync(join(REPO_ROOT, file), join(root, file), { recursive: true });
  // npm packages count as installed (the stamp matches the copied lockfile); the private Node is reused;
  // the pinned Helm is deliberately absent
  mkdirSync(join(root, 'node_modules'));
  const lockSum = createHash('sha256')
    .update(readFileSync(join(root, 'package.json')))
    .update(readFileSync(join(root, 'package-lock.json')))
    .digest('hex');
  writeFileSync(join(root, 'node_modules/.mayday-lock-stamp'), `${lockSum}\n`);
  mkdirSync(join(root, '.tools'));
  symlinkSync(join(REPO_ROOT, '.tools/node'), join(root, '.tools/node'));
  // the render engine counts as built (its binary and stamp copied); Helm is not there
  for (const dir of ['bin', 'stamps']) {
    mkdirSync(join(root, '.tools', dir));
    cpSync(join(REPO_ROOT, '.tools', dir, 'mayday-engine'), join(root, '.tools', dir, 'mayday-engine'));
  }
  // so do the live tests' servers and CRDs (linked, they are large; stamps keep their times)
  for (const name of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'argocd', 'minio', 'mayday-nx-cache']) {
    symlinkSync(join(REPO_ROOT, '.tools/bin', name), join(root, '.tools/bin', name));
    cpSync(join(REPO_ROOT, '.tools/stamps', name), join(root, '.tools/stamps', name), { preserveTimestamps: true });
  }
  symlinkSync(join(REPO_ROOT, '.tools/bin/git-verify-wrapper.sh'), join(root, '.tools/bin/git-verify-wrapper.sh'));
  symlinkSync(join(REPO_ROOT, '.tools/crds'), join(root, '.tools/crds'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('setup.sh', () => {
  it('explains what to install when neither Helm v4.3 nor Go is available', async () => {
    const result = await setup();
    expect(result.exitCode).toBe(1);
    expect(result.all).toContain('npm packages up to date');
    expect(result.all).toMatch(/Helm v4\.3\.x is not on PATH and Go is not installed to build it/);
    expect(result.all).toMatch(/Install Helm v4\.3\.1 .* or Go 1\.26\+/);
  });

  it('uses a Helm of the pinned series found on PATH', async () => {
    const bin = join(root, 'bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(join(REPO_ROOT, '.tools/bin/helm'), join(bin, 'helm'));
    const result = await setup([], `${bin}:${GO_BIN}:/usr/bin:/bin`);
    expect(result.exitCode).toBe(0);
    expect(result.all).toMatch(/helm v4\.3\.1 \(.*\/bin\/helm\)/);
    expect(result.all).toContain('libs/render/engine up to date (mayday-engine)');
  });

  it('says Go is needed for the render engine when Helm is there but Go is not', async () => {
    const result = await setup([], `${join(root, 'bin')}:/usr/bin:/bin`);
    expect(result.exitCode).toBe(1);
    expect(result.all).toMatch(/Go 1\.26\+ is required to build mayday's render engine \(libs\/render\/engine\)/);
  });
});

describe('setup.sh on a fresh clone', () => {
  let clone: string;
  beforeAll(async () => {
    clone = mkdtempSync(join(tmpdir(), 'mayday-clone-'));
    await execa('git', ['clone', '--quiet', REPO_ROOT, clone]);
    // the private Node, the built tools and the fetched CRDs are reused; npm packages are installed for real
    mkdirSync(join(clone, '.tools'));
    for (const dir of ['node', 'bin', 'stamps', 'crds'])
      symlinkSync(join(REPO_ROOT, '.tools', dir), join(clone, '.tools', dir));
  }, 60_000);
  afterAll(() => rmSync(clone, { recursive: true, force: true }));

  it('installs with npm ci, then git status is empty and nothing counts as affected', async () => {
    const result = await execa('bash', ['tools/toolchain/setup.sh'], {
      cwd: clone,
      env: { MAYDAY_SKIP_PORTAL: '1' },
      reject: false,
      all: true,
    });
    expect(result.all).toContain('installing npm packages (npm ci)');
    expect(result.exitCode).toBe(0);
    expect(result.all).not.toMatch(/install-scripts|npm warn/);
    const status = await execa('git', ['status', '--porcelain'], { cwd: clone });
    expect(status.stdout).toBe('');
    const affected = await execa(
      'bash',
      ['tools/toolchain/run.sh', 'nx', 'show', 'projects', '--affected', '--base=HEAD'],
      {
        cwd: clone,
        env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
      },
    );
    expect(affected.stdout.trim()).toBe('');
  }, 180_000);
});

function goBinDir(): string {
  const dir = (process.env.PATH ?? '').split(':').find((d) => d && existsSync(join(d, 'go')));
  if (!dir) throw new Error('these tests need Go on PATH (setup builds the render engine with it)');
  return dir;
}
