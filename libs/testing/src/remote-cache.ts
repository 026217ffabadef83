import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from './temp-workspace.ts';

/** A real S3 server (MinIO) on 127.0.0.1 with its own data folder. */
export interface S3Server {
  /** host:port */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  stop(): Promise<void>;
}

/** mayday's Nx cache server (tools/cache-server) in front of a bucket: what NX_SELF_HOSTED_REMOTE_CACHE_* point at. */
export interface NxCacheServer {
  url: string;
  /** read-write token */
  token: string;
  readToken: string;
  /** The environment an nx command needs to use this cache. */
  nxEnv(token?: string): Record<string, string>;
  stop(): Promise<void>;
}

const BIN = join(REPO_ROOT, '.tools/bin');

/** Builds a pinned Go program through tools/toolchain/build-go.sh (idempotent; a cold MinIO build takes minutes). */
export async function buildGoTool(module: string): Promise<void> {
  const result = await execa('bash', [join(REPO_ROOT, 'tools/toolchain/build-go.sh'), module], {
    reject: false,
    all: true,
  });
  if (result.exitCode !== 0) throw new Error(`build-go.sh ${module} failed:\n${result.all}`);
}

/** Starts MinIO on a free port of 127.0.0.1; `stop()` ends it and removes its data. */
export async function startMinio(): Promise<S3Server> {
  await buildGoTool('minio');
  const data = mkdtempSync(join(tmpdir(), 'mayday-minio-'));
  const [port, consolePort] = [await freePort(), await freePort()];
  const accessKey = 'mayday-test';
  const secretKey = 'mayday-test-secret';
  const child = spawn(
    join(BIN, 'minio'),
    ['server', '--quiet', '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, data],
    {
      env: {
        ...process.env,
        MINIO_ROOT_USER: accessKey,
        MINIO_ROOT_PASSWORD: secretKey,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output = captureOutput(child);
  const stop = async () => {
    await stopProcess(child);
    rmSync(data, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`http://127.0.0.1:${port}/minio/health/live`, 'MinIO', child, output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint: `127.0.0.1:${port}`, accessKey, secretKey, stop };
}

/** Starts tools/cache-server against `bucket` of the S3 server (created if missing). */
export async function startNxCacheServer(s3: S3Server, bucket = 'nx-cache'): Promise<NxCacheServer> {
  await buildGoTool('tools/cache-server');
  const port = await freePort();
  const token = 'rw-token-for-tests';
  const readToken = 'read-token-for-tests';
  const child = spawn(
    join(BIN, 'mayday-nx-cache'),
    ['--listen', `127.0.0.1:${port}`, '--endpoint', s3.endpoint, '--insecure', '--bucket', bucket, '--create-bucket'],
    {
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: s3.accessKey,
        AWS_SECRET_ACCESS_KEY: s3.secretKey,
        MAYDAY_CACHE_TOKEN: token,
        MAYDAY_CACHE_READ_TOKEN: readToken,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output = captureOutput(child);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/healthz`, 'the Nx cache server', child, output);
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  return {
    url,
    token,
    readToken,
    nxEnv: (accessToken = token) => ({
      NX_SELF_HOSTED_REMOTE_CACHE_SERVER: url,
      NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: accessToken,
    }),
    stop: () => stopProcess(child),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function captureOutput(child: ChildProcess): () => string {
  let text = '';
  const keep = (chunk: Buffer) => (text = (text + chunk.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text;
}

async function waitForHttp(url: string, what: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${what} stopped before it was ready (exit ${child.exitCode ?? child.signalCode}):\n${output()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gave up after 30 s waiting for ${what} at ${url}:\n${output()}`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
