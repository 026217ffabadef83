import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MaydayError } from '@mayday/model';
import { CLUSTER_FILE } from './lab-config.ts';

/** Where the lock of a lab cluster lives: machine-wide, as the cluster is (one Docker engine). */
export const lockPath = (cluster: string): string => join(tmpdir(), `mayday-lab-${cluster}.lock`);

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes the lab's lock for `command` (up or down) or refuses, naming the command and process that holds it.
 * A lock whose process is gone is taken over. Returns the release function.
 */
export function lockLab(cluster: string, command: string): () => void {
  const path = lockPath(cluster);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, command, started: new Date().toISOString() }));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(path);
      if (holder && alive(holder.pid))
        throw new MaydayError({
          severity: 'error',
          file: CLUSTER_FILE,
          rule: 'lab-busy',
          message: `platform:${holder.command} is already running for the lab ${cluster} (pid ${holder.pid}, since ${holder.started}); nothing was changed`,
          hint: `wait for it to finish (or stop it), then run platform:${command} again`,
        });
      rmSync(path, { force: true }); // its process is gone
    }
  }
  throw new Error(`could not take ${path}`);
}

function readHolder(path: string): { pid: number; command: string; started: string } | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { pid: number; command: string; started: string };
  } catch {
    return undefined;
  }
}
