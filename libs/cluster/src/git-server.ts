import { execa } from 'execa';
import { connect } from 'node:net';
import { freePort, startProcess, waitFor, type ServerProcess } from './processes.ts';

/** `git daemon` on 127.0.0.1 serving the bare repositories under a folder, push enabled; restartable on its port. */
export interface GitServer {
  port: number;
  urlFor(repository: string): string;
  stop(): Promise<void>;
  /** Starts it again on the same port (after stop, for outage tests). */
  start(): Promise<void>;
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

export async function startGitServer(basePath: string, logDir: string): Promise<GitServer> {
  const port = await freePort();
  let daemon: ServerProcess | undefined;
  const start = async () => {
    daemon = startProcess(
      'git-daemon',
      'git',
      [
        'daemon',
        '--reuseaddr',
        '--export-all',
        '--enable=receive-pack',
        '--informative-errors',
        `--base-path=${basePath}`,
        `--port=${port}`,
        '--listen=127.0.0.1',
        basePath,
      ],
      { logDir },
    );
    await waitFor(`git daemon on 127.0.0.1:${port}`, async () => ((await listening(port)) ? true : undefined), {
      timeoutMs: 10_000,
      context: () => daemon!.tail(),
    });
  };
  await start();
  return {
    port,
    urlFor: (repository) => `git://127.0.0.1:${port}/${repository}`,
    stop: async () => daemon?.stop(),
    start,
  };
}

/** A bare repository `name` under `basePath`. */
export async function bareRepository(basePath: string, name: string): Promise<void> {
  await execa('git', ['init', '--bare', '--quiet', '--initial-branch=main', `${basePath}/${name}`]);
}
