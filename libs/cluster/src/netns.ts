import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createConnection, createServer, type ListenOptions, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { startProcess, type ServerProcess } from './processes.ts';

/** What the relay inside the namespace does: ports it serves on its loopback, and where each one leads. */
export interface RelaySpec {
  /** iproute2's ip, to bring loopback up. */
  ip: string;
  /** Host 127.0.0.1 ports the program reaches: served inside, each relayed through a unix socket to the host. */
  reach: { port: number; socket: string }[];
  /** Ports of the program the host reaches: a unix socket inside for each, relayed by the host's 127.0.0.1. */
  expose: { port: number; socket: string }[];
}

const RELAY = join(import.meta.dirname, 'netns-relay.ts');
// iproute2 installs ip in /usr/sbin (or /sbin), which a user's PATH may lack
const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip'].find((path) => existsSync(path)) ?? 'ip';

/** unshare's arguments for a namespace with a network of its own: root makes it directly, a user through a user namespace. */
const unshareArgs = () => (process.getuid?.() === 0 ? ['--net'] : ['--user', '--map-root-user', '--net']);

let checked: string | undefined;
/** Fails, saying why, when this machine cannot make a network namespace (checked once). */
export function assertNetworkNamespaces(): void {
  if (checked === 'ok') return;
  const result = spawnSync('unshare', [...unshareArgs(), '--', IP, 'link', 'set', 'lo', 'up'], {
    encoding: 'utf8',
  });
  if (result.status === 0) {
    checked = 'ok';
    return;
  }
  throw new Error(
    `cannot make a network namespace (unshare ${unshareArgs().join(' ')}: ${
      result.error?.message ?? (result.stderr.trim() || `exit ${result.status}`)
    }). Argo CD's application controller binds its metrics server to every address, so the tests run it in a ` +
      'network namespace of its own; they need util-linux (unshare) and iproute2 (ip), and root or unprivileged user namespaces',
  );
}

const pipe = (a: Socket, b: Socket) => {
  a.pipe(b);
  b.pipe(a);
  for (const [x, y] of [
    [a, b],
    [b, a],
  ])
    x.on('error', () => y.destroy()).on('close', () => y.destroy());
};

const listening = (server: Server, where: ListenOptions) =>
  new Promise<Server>((resolve, reject) => server.once('error', reject).listen(where, () => resolve(server)));

/**
 * Starts `program args` in a new network namespace that has only its own loopback, so whatever it binds (even
 * 0.0.0.0) is reachable from nowhere else. It reaches the host's 127.0.0.1 ports in `reach` at the same numbers,
 * and the host reaches its ports in `expose` at 127.0.0.1 with the same numbers: both through unix sockets in
 * `<logDir>/netns-<name>/`, relayed by this process on the host side and by netns-relay.ts inside.
 */
export async function startInNetworkNamespace(
  name: string,
  program: string,
  args: readonly string[],
  options: { logDir: string; env?: Record<string, string>; reach: number[]; expose: number[] },
): Promise<ServerProcess> {
  assertNetworkNamespaces();
  const dir = join(options.logDir, `netns-${name}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const spec: RelaySpec = {
    ip: IP,
    reach: options.reach.map((port) => ({ port, socket: join(dir, `to-${port}.sock`) })),
    expose: options.expose.map((port) => ({ port, socket: join(dir, `from-${port}.sock`) })),
  };
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => (sockets.add(socket), socket.on('close', () => sockets.delete(socket)));
  const closeRelays = async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  };
  try {
    for (const { port, socket } of spec.reach)
      servers.push(
        await listening(
          createServer((inner) => pipe(track(inner), track(createConnection(port, '127.0.0.1')))),
          { path: socket },
        ),
      );
    for (const { port, socket } of spec.expose)
      servers.push(
        await listening(
          createServer((outer) => pipe(track(outer), track(createConnection(socket)))),
          { port, host: '127.0.0.1' },
        ),
      );
  } catch (error) {
    await closeRelays();
    throw error;
  }
  const child = startProcess(
    name,
    'unshare',
    [...unshareArgs(), '--', process.execPath, RELAY, JSON.stringify(spec), program, ...args],
    { logDir: options.logDir, env: options.env },
  );
  const stop = async (graceMs?: number) => {
    await child.stop(graceMs);
    await closeRelays();
  };
  return {
    name,
    log: child.log,
    get exited() {
      return child.exited;
    },
    tail: child.tail,
    stop,
    kill: () => stop(0),
  };
}
