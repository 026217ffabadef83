import pc from 'picocolors';
import { containersWithLabel } from './docker.ts';
import { output, run } from './exec.ts';
import { noLab, openLab, type Lab } from './lab.ts';
import { lockLab } from './lock.ts';
import { Steps, type StepRecord } from './steps.ts';

/** kind labels every node container with its cluster's name. */
const KIND_CLUSTER_LABEL = 'io.x-k8s.kind.cluster';
/** The Docker network kind puts every cluster on; removed once no container uses it. */
const KIND_NETWORK = 'kind';

/** What is left of a lab on this machine (empty: nothing). */
export async function leftovers(lab: Lab): Promise<string[]> {
  const left: string[] = [];
  for (const container of await containersWithLabel(`${KIND_CLUSTER_LABEL}=${lab.config.cluster.name}`))
    left.push(`container ${container}`);
  const contexts = await run(lab.kubectl.binary, ['config', 'get-contexts', '-o', 'name']);
  if (contexts.ok && contexts.stdout.split('\n').includes(lab.kind.context))
    left.push(`kubeconfig context ${lab.kind.context}`);
  if ((await run('docker', ['network', 'inspect', KIND_NETWORK])).ok && (await kindContainers()).length === 0)
    left.push(`network ${KIND_NETWORK}`);
  return left;
}

const kindContainers = () => containersWithLabel(KIND_CLUSTER_LABEL);

/**
 * `nx run platform:down`: removes the cluster and everything `up` created (the node container, its volumes,
 * the kubeconfig context, kind's network when no other kind cluster uses it), then checks that nothing is left.
 * The images stay in Docker's store: the next `up` starts from them.
 */
export async function labDown(
  root: string,
  write: (t: string) => void = (t) => process.stdout.write(t),
): Promise<StepRecord[]> {
  const lab = openLab(root);
  const before = await leftovers(lab);
  if (!(await lab.kind.exists()) && before.length === 0) throw noLab(lab);
  const release = lockLab(lab.config.cluster.name, 'down');
  const steps = new Steps(write);
  try {
    await steps.run(`Deleting cluster ${lab.config.cluster.name}`, async () => {
      await lab.kind.delete(steps.log);
      // kind removes the context of the kubeconfig it wrote; one left behind (another KUBECONFIG) goes too
      await run(lab.kubectl.binary, ['config', 'delete-context', lab.kind.context]);
      return { changed: true, detail: before.join(', ') };
    });
    await steps.run('Removing what is left', async () => {
      const removed: string[] = [];
      if ((await run('docker', ['network', 'inspect', KIND_NETWORK])).ok && (await kindContainers()).length === 0) {
        await output('docker', ['network', 'rm', KIND_NETWORK]);
        removed.push(`network ${KIND_NETWORK}`);
      }
      const left = await leftovers(lab);
      if (left.length > 0) throw new Error(`still there after platform:down: ${left.join(', ')}`);
      return {
        changed: removed.length > 0,
        detail: `${removed.length ? `${removed.join(', ')}; ` : ''}nothing left (images kept in Docker's store)`,
      };
    });
    write(`\n${pc.green('The lab is gone.')}\n`);
    return steps.records;
  } finally {
    release();
  }
}
