// The live GitOps loop as a process, for what cannot load this ESM workspace in its own process (the portal's
// CommonJS tests): starts it, prints one JSON line on stdout (Argo CD's API, a read-only token, the Applications),
// then keeps everything running until stdin closes or a SIGTERM/SIGINT comes, and stops it all.
//   node libs/cluster/src/serve-live-gitops.ts [--copies=shop,cart]
import { parseArgs } from 'node:util';
import { startLiveGitOps } from './live-gitops.ts';

const { values } = parseArgs({ options: { copies: { type: 'string', default: '' } } });
const say = (line: string) => process.stderr.write(`live-gitops: ${line}\n`);

say('starting etcd, kube-apiserver, Argo CD and a git server on 127.0.0.1, then publishing and syncing the apps');
const live = await startLiveGitOps({ copies: values.copies.split(',').filter(Boolean) });
let stopping: Promise<void> | undefined;
const stop = () =>
  (stopping ??= (async () => {
    say('stopping');
    await live.stop();
    process.exit(0);
  })());
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void stop());
process.stdin.on('end', () => void stop()).on('close', () => void stop());
process.stdin.resume();

say(`ready in ${(live.startupMs / 1000).toFixed(1)} s: ${live.applications.join(', ')} Synced`);
const { api } = live.argocd;
process.stdout.write(
  `${JSON.stringify({
    argocd: { url: api.url, username: api.username, password: api.password, token: await api.readOnlyToken() },
    applications: live.applications,
    gitops: live.remote.url,
  })}\n`,
);
