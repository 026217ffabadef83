import type { ImageSpec } from '../lab-config.ts';

/** The Debian image Debian-based lab images start from. */
export const debianImage = (suite: string): string => `debian:${suite}-slim`;

/**
 * The Dockerfile of one lab image: its base, Debian packages, the files the builder put under rootfs/, the
 * commands to finish it and its config. Written for Docker's classic builder (no BuildKit syntax), so every
 * engine builds it.
 */
export function renderDockerfile(spec: ImageSpec, debianSuite: string): string {
  const lines = [`# ${spec.name}, built by mayday's lab image builder from platform/kind/lab.yaml`];
  lines.push(`FROM ${spec.from === 'debian' ? debianImage(debianSuite) : 'scratch'}`);
  if (spec.packages.length > 0) {
    if (spec.from !== 'debian') throw new Error(`${spec.name}: packages need from: debian`);
    lines.push(
      'RUN apt-get update \\',
      `    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${spec.packages.join(' ')} \\`,
      '    && apt-get clean && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/*',
    );
  }
  lines.push('COPY rootfs/ /');
  if (spec.run.length > 0) {
    if (spec.from !== 'debian') throw new Error(`${spec.name}: run needs from: debian (scratch has no shell)`);
    lines.push(`RUN ${spec.run.join(' \\\n    && ')}`);
  }
  const env = { ...(spec.from === 'scratch' ? { PATH: '/usr/local/bin:/usr/bin:/bin' } : {}), ...spec.env };
  for (const [key, value] of Object.entries(env)) lines.push(`ENV ${key}=${JSON.stringify(value)}`);
  if (spec.user !== undefined) lines.push(`USER ${spec.user}`);
  if (spec.workdir) lines.push(`WORKDIR ${spec.workdir}`);
  if (spec.entrypoint) lines.push(`ENTRYPOINT ${JSON.stringify(spec.entrypoint)}`);
  return lines.join('\n') + '\n';
}
