import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../cluster/kubectl.ts';
import { output } from '../exec.ts';
import type { InstallContext } from './components.ts';

export const GIT_TLS_SECRET = 'mayday-lab-git-tls';
const GATEWAY_NAMESPACE = 'gateway-system';

let made: Promise<KubeObject> | undefined;

/**
 * The certificate the gateway serves for the gitops repository's host (git.mayday.example): the one already in
 * the cluster, else a new self-signed one (openssl, ten years). Argo CD trusts exactly it (argocd-tls-certs-cm).
 */
export function gitTlsSecret(ctx: InstallContext): Promise<KubeObject> {
  made ??= (async () => {
    const existing = await ctx.kubectl.get<KubeObject & { data: Record<string, string> }>(
      'secret',
      GIT_TLS_SECRET,
      GATEWAY_NAMESPACE,
    );
    const host = new URL(ctx.gitops.repository).hostname;
    const data = existing?.data ?? (await selfSigned(host));
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: {
        name: GIT_TLS_SECRET,
        namespace: GATEWAY_NAMESPACE,
        labels: { 'app.kubernetes.io/managed-by': 'mayday-lab' },
      },
      data: { 'tls.crt': data['tls.crt'], 'tls.key': data['tls.key'] },
    };
  })();
  return made;
}

async function selfSigned(host: string): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'mayday-lab-tls-'));
  try {
    const [key, crt] = [join(dir, 'tls.key'), join(dir, 'tls.crt')];
    await output('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-days',
      '3650',
      '-keyout',
      key,
      '-out',
      crt,
      '-subj',
      `/CN=${host}/O=mayday lab`,
      '-addext',
      `subjectAltName=DNS:${host}`,
    ]);
    return { 'tls.crt': readFileSync(crt).toString('base64'), 'tls.key': readFileSync(key).toString('base64') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
