// Publishes one app once: the process a test kills at a random point.
import { publishGitops } from '../publish.ts';
import { testConfig } from './git-remotes.ts';

const [workspaceRoot, url, app] = process.argv.slice(2);
const result = await publishGitops({
  workspaceRoot,
  apps: [app],
  config: testConfig(url),
  // tells the test that `git push` starts now
  beforePush: async () => void process.stdout.write('pushing\n'),
});
process.stdout.write(`${result.status} ${result.commit}\n`);
