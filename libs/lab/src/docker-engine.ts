import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { dockerInfo } from './docker.ts';
import { run } from './exec.ts';
import { localMissingCapabilities } from './host.ts';

/** A Docker engine the caller can use, and how to stop it if this process started it. */
export interface DockerEngine {
  /** True when no engine answered and this call started dockerd. */
  started: boolean;
  stop(): Promise<void>;
}

/**
 * A Docker engine for the lab tests: the one that answers, or Debian's dockerd started as root (installed with
 * apt-get when missing) and stopped again by `stop()`. Where the capability bounding set lacks capabilities, the
 * engine runs containers through tools/toolchain/docker/runc-bounded (privileged kind nodes need it). Its image
 * store is the default one (/var/lib/docker), so images built once are there for the next run.
 */
export async function ensureDockerEngine(root: string, log: (line: string) => void): Promise<DockerEngine> {
  const answering = await dockerInfo();
  if (answering.info) return { started: false, stop: async () => {} };
  if (process.platform !== 'linux' || process.getuid?.() !== 0)
    throw new Error(
      `no Docker engine answers (${answering.error}) and only root on Linux can start one here: start Docker and run the tests again`,
    );
  if (!(await run('dockerd', ['--version'])).ok) {
    log("installing Debian's docker.io (apt-get)");
    const apt = { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000 };
    await run('apt-get', ['update', '-qq'], apt);
    const installed = await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'docker.io'], apt);
    if (!installed.ok)
      throw new Error(`apt-get install docker.io failed: ${installed.stderr.trim().split('\n').pop()}`);
  }
  const dir = join(root, '.tools/docker');
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'daemon.json');
  const missing = localMissingCapabilities();
  const wrapper = join(root, 'tools/toolchain/docker/runc-bounded');
  writeFileSync(
    config,
    JSON.stringify(
      missing.length > 0 ? { runtimes: { 'runc-bounded': { path: wrapper } }, 'default-runtime': 'runc-bounded' } : {},
      null,
      2,
    ),
  );
  const pidFile = join(dir, 'dockerd.pid');
  const logFd = openSync(join(dir, 'dockerd.log'), 'a');
  log(
    `starting dockerd${missing.length ? ` (runc-bounded: the bounding set lacks ${missing.join(', ')})` : ''}; its log is .tools/docker/dockerd.log`,
  );
  const child = spawn('dockerd', ['--config-file', config, '--pidfile', pidFile], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  child.unref();
  const deadline = Date.now() + 60_000;
  while (!(await dockerInfo()).info) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`dockerd did not answer within 60 s: see ${join(dir, 'dockerd.log')}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const pid = child.pid!;
  return {
    started: true,
    stop: async () => {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      for (let i = 0; i < 120 && isAlive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 250));
      if (existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() === String(pid))
        log('dockerd did not remove its pid file');
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
