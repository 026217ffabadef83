import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** What differs between machines and changes how the lab's cluster is configured. */
export interface HostFacts {
  /** The Docker engine's cgroup version: kubelet ≥ 1.35 needs failCgroupV1: false on version 1. */
  cgroupVersion: string;
  /** Capabilities the capability bounding set lacks (a sandbox): privileged containers need the runc wrapper. */
  missingCapabilities: string[];
}

const CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
];

/** The capabilities (CAP_*) a CapBnd mask from /proc/<pid>/status lacks. */
export function missingFromBoundingSet(capBnd: string): string[] {
  const mask = BigInt(`0x${capBnd}`);
  return CAPABILITIES.filter((_, bit) => ((mask >> BigInt(bit)) & 1n) === 0n).map((c) => `CAP_${c}`);
}

/** This process's bounding set (the Docker engine started from here shares it); none missing off Linux. */
export function localMissingCapabilities(status = '/proc/self/status'): string[] {
  try {
    const capBnd = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync(status, 'utf8'))?.[1];
    return capBnd ? missingFromBoundingSet(capBnd) : [];
  } catch {
    return [];
  }
}

/** Whether something already listens on 127.0.0.1:port (a bind attempt, released at once). */
export function portTaken(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE'));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(false)));
  });
}
