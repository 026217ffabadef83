import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A listening TCP socket of a process, and whether that process shares the caller's network namespace. */
export interface Listener {
  pid: number;
  command: string;
  address: string;
  port: number;
  /** false: the process has a network namespace of its own. */
  hostNetwork: boolean;
  /** The interfaces of the process's network namespace. */
  interfaces: string[];
}

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // the process is gone
  }
};
const link = (path: string) => {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
};

const fdsOf = (pid: number) => {
  try {
    return readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
};

/** `rootPid` and every process under it, from /proc. */
export function processTree(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    // the command may hold spaces and parentheses: the fields after the last ')' are fixed
    const stat = read(`/proc/${entry}/stat`);
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid)!.push(Number(entry));
  }
  const tree: number[] = [];
  for (const queue = [rootPid]; queue.length;) {
    const pid = queue.shift()!;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** `0100007F:1F90` (little-endian IPv4) or the 32-digit IPv6 form → `127.0.0.1`, and the port. */
function parseAddress(hex: string): { address: string; port: number } {
  const [ip, port] = hex.split(':');
  const words = ip.match(/.{8}/g)!.map((w) => w.match(/../g)!.reverse().join(''));
  const address =
    ip.length === 8
      ? words[0]
          .match(/../g)!
          .map((b) => parseInt(b, 16))
          .join('.')
      : words
          .join('')
          .match(/.{4}/g)!
          .map((g) => parseInt(g, 16).toString(16))
          .join(':')
          .replace(/^0:0:0:0:0:ffff:/, '::ffff:');
  return { address: address === '0:0:0:0:0:0:0:0' ? '::' : address, port: parseInt(port, 16) };
}

/**
 * Every TCP socket that a process of the tree under `rootPid` listens on, read from /proc: each process's socket
 * inodes (its fds) matched with its own network namespace's /proc/<pid>/net/tcp and tcp6 (state 0A: LISTEN).
 */
export function listenersOf(rootPid: number): Listener[] {
  const hostNamespace = link('/proc/self/ns/net');
  const listeners: Listener[] = [];
  for (const pid of processTree(rootPid)) {
    const inodes = new Set<string>();
    for (const fd of fdsOf(pid)) {
      const socket = /^socket:\[(\d+)\]$/.exec(link(`/proc/${pid}/fd/${fd}`));
      if (socket) inodes.add(socket[1]);
    }
    if (inodes.size === 0) continue;
    const interfaces = read(`/proc/${pid}/net/dev`)
      .split('\n')
      .slice(2)
      .map((line) => line.split(':')[0].trim())
      .filter(Boolean);
    for (const table of ['tcp', 'tcp6'])
      for (const line of read(`/proc/${pid}/net/${table}`).split('\n').slice(1)) {
        const fields = line.trim().split(/\s+/);
        if (fields.length < 10 || fields[3] !== '0A' || !inodes.has(fields[9])) continue;
        listeners.push({
          pid,
          command: read(`/proc/${pid}/comm`).trim(),
          ...parseAddress(fields[1]),
          hostNetwork: link(`/proc/${pid}/ns/net`) === hostNamespace,
          interfaces,
        });
      }
  }
  return listeners;
}
