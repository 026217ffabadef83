import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startProcess, waitFor, type ServerProcess } from '@mayday/cluster';
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
  /** The environment an nx command needs to use this cache with `token` (read-write by default). */
  nxEnv(token?: string): Record<string, string>;
  stop(): Promise<void>;
}

const binary = (name: string): string => {
  const path = join(REPO_ROOT, '.tools/bin', name);
  if (!existsSync(path))
    throw new Error(`${path} is missing: run \`bash tools/toolchain/setup.sh\` (it builds it from its Go module)`);
  return path;
};

/** Starts MinIO on a free port of 127.0.0.1; `stop()` ends it and removes its data and log. */
export async function startMinio(): Promise<S3Server> {
  const dir = mkdtempSync(join(tmpdir(), 'mayday-minio-'));
  const [port, consolePort] = [await freePort(), await freePort()];
  const accessKey = 'mayday-test';
  const secretKey = 'mayday-test-secret';
  const minio = startProcess(
    'minio',
    binary('minio'),
    ['server', '--quiet', '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, 'data'],
    {
      logDir: dir,
      env: { MINIO_ROOT_USER: accessKey, MINIO_ROOT_PASSWORD: secretKey, MINIO_BROWSER: 'off', MINIO_UPDATE: 'off' },
    },
  );
  const stop = async () => {
    await minio.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  await ready(minio, `http://127.0.0.1:${port}/minio/health/live`, stop);
  return { endpoint: `127.0.0.1:${port}`, accessKey, secretKey, stop };
}

/** Starts tools/cache-server against `bucket` of the S3 server (created if missing). */
export async function startNxCacheServer(s3: S3Server, bucket = 'nx-cache'): Promise<NxCacheServer> {
  const dir = mkdtempSync(join(tmpdir(), 'mayday-nx-cache-'));
  const port = await freePort();
  const token = 'rw-token-for-tests';
  const readToken = 'read-token-for-tests';
  const server = startProcess(
    'mayday-nx-cache',
    binary('mayday-nx-cache'),
    ['--listen', `127.0.0.1:${port}`, '--endpoint', s3.endpoint, '--insecure', '--bucket', bucket, '--create-bucket'],
    {
      logDir: dir,
      env: {
        AWS_ACCESS_KEY_ID: s3.accessKey,
        AWS_SECRET_ACCESS_KEY: s3.secretKey,
        MAYDAY_CACHE_TOKEN: token,
        MAYDAY_CACHE_READ_TOKEN: readToken,
      },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  await ready(server, `${url}/healthz`, stop);
  return {
    url,
    token,
    readToken,
    nxEnv: (accessToken = token) => ({
      NX_SELF_HOSTED_REMOTE_CACHE_SERVER: url,
      NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: accessToken,
    }),
    stop,
  };
}

/** Waits until `url` answers 200; stops the server and says why when it does not. */
async function ready(server: ServerProcess, url: string, stop: () => Promise<void>): Promise<void> {
  try {
    await waitFor(
      `${server.name} at ${url}`,
      async () => {
        if (server.exited) throw new Error(`${server.name} stopped:\n${server.tail()}`);
        return (
          (await fetch(url).then(
            (r) => r.ok,
            () => false,
          )) || undefined
        );
      },
      { timeoutMs: 30_000, intervalMs: 100, context: () => server.tail() },
    );
  } catch (error) {
    await stop();
    throw error;
  }
}
