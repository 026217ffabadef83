import { CommandFailed, output, run } from './exec.ts';

/** What `docker info` says about the engine, as far as the lab needs it. */
export interface DockerInfo {
  serverVersion: string;
  memTotalBytes: number;
  cgroupVersion: string;
  operatingSystem: string;
}

/** `docker info` of the engine the CLI talks to, or the reason none answers. */
export async function dockerInfo(): Promise<{ info?: DockerInfo; error?: string }> {
  const result = await run('docker', ['info', '--format', '{{json .}}'], { timeout: 20_000 });
  if (!result.ok) {
    const reason =
      result.exitCode === 127
        ? 'the docker CLI is not installed'
        : (result.stderr.trim().split('\n').pop() ?? 'no answer');
    return { error: reason };
  }
  const raw = JSON.parse(result.stdout) as Record<string, unknown>;
  if (!raw.ServerVersion)
    return { error: String((raw.ServerErrors as string[] | undefined)?.[0] ?? 'the engine did not answer') };
  return {
    info: {
      serverVersion: String(raw.ServerVersion),
      memTotalBytes: Number(raw.MemTotal ?? 0),
      cgroupVersion: String(raw.CgroupVersion ?? '2'),
      operatingSystem: String(raw.OperatingSystem ?? ''),
    },
  };
}

/** The labels of a local image, or undefined when the engine has no image of that name. */
export async function imageLabels(image: string): Promise<Record<string, string> | undefined> {
  const result = await run('docker', ['image', 'inspect', '--format', '{{json .Config.Labels}}', image]);
  if (!result.ok) return undefined;
  return (JSON.parse(result.stdout || 'null') as Record<string, string> | null) ?? {};
}

/** Pulls an image; false when no registry answered (the offline builder then makes it). */
export async function pullImage(image: string): Promise<boolean> {
  return (await run('docker', ['pull', '--quiet', image], { timeout: 600_000 })).ok;
}

export async function buildImage(
  context: string,
  tag: string,
  labels: Record<string, string>,
  log: (line: string) => void,
  extraArgs: readonly string[] = [],
): Promise<void> {
  const labelArgs = [...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]), ...extraArgs];
  // The classic builder is the one every Docker engine has (no buildx plugin needed); its output is shown only
  // when the build fails.
  const result = await run('docker', ['build', '--tag', tag, ...labelArgs, context], { timeout: 1_800_000 });
  if (!result.ok) {
    const said = (result.stdout + result.stderr)
      .split('\n')
      .filter((l) => l.trim() && !/DEPRECATED|legacy builder|buildx|docs\.docker\.com/.test(l));
    throw new CommandFailed(`docker build --tag ${tag}`, { ...result, stderr: said.slice(-30).join('\n') });
  }
  log(`image ${tag}: ${/Successfully built (\w+)/.exec(result.stdout)?.[1] ?? 'built'}`);
}

export async function removeContainer(name: string): Promise<void> {
  await run('docker', ['rm', '--force', '--volumes', name]);
}

/** Names of the containers whose label matches, running or not. */
export async function containersWithLabel(label: string): Promise<string[]> {
  const out = await output('docker', ['ps', '--all', '--filter', `label=${label}`, '--format', '{{.Names}}']);
  return out.split('\n').filter(Boolean);
}

export async function networkExists(name: string): Promise<boolean> {
  return (await run('docker', ['network', 'inspect', name])).ok;
}
