import { logger, type Tree } from '@nx/devkit';
import {
  APPS_DIR,
  appEnvValuesFile,
  appValuesFile,
  ENVIRONMENTS_FILE,
  formatDiagnostic,
  isMaydayError,
  parseEnvironments,
  parseYamlFile,
  pinImageInText,
  type Environment,
} from '@mayday/model';

/**
 * mayday 0.2.0: an env that takes its image by promotion (platform/environments.yaml `promotion`, prd)
 * pins it in values-<env>.yaml, so a new tag in values.yaml reaches it only through
 * `nx run <app>:promote`. Pins what each such env runs today: its rendered output does not change.
 */
export default async function pinPromotedImages(tree: Tree): Promise<string[]> {
  const promoted = readEnvironments(tree).filter((env) => env.promotion);
  const apps = tree.exists(APPS_DIR)
    ? tree
        .children(APPS_DIR)
        .filter((app) => tree.exists(appValuesFile(app)))
        .sort()
    : [];
  const pinned: string[] = [];
  for (const app of apps) {
    const appValues = readValues(tree, appValuesFile(app));
    for (const env of promoted) {
      const file = appEnvValuesFile(app, env.name);
      const text =
        tree.read(file, 'utf8') ?? `# ${app} in ${env.name}: overrides of values.yaml for this env only.\n{}\n`;
      readValues(tree, file, text);
      const next = pinImageInText(file, text, app, env.promotion!.from, appValues);
      if (next === undefined) continue;
      tree.write(file, next);
      pinned.push(file);
    }
  }
  const envNames = promoted.map((env) => env.name).join(', ') || '(no env declares promotion)';
  logger.info(
    `pin-promoted-images: pinned the image in ${pinned.length} values files of ${apps.length} apps for ${envNames}; ${apps.length * promoted.length - pinned.length} pinned it already`,
  );
  return pinned.length
    ? [
        `The image of ${envNames} is now pinned in ${pinned.length} values-<env>.yaml files; what they render is unchanged (\`nx affected -t render\` writes no change to gitops/).`,
        `From now on a new tag in values.yaml reaches ${envNames} through \`nx run <app>:promote\` only.`,
      ]
    : [];
}

function readEnvironments(tree: Tree): Environment[] {
  const text = tree.read(ENVIRONMENTS_FILE, 'utf8');
  if (text === null) throw new Error(`${ENVIRONMENTS_FILE} not found: run the migration in a mayday workspace`);
  return guarded(() => parseEnvironments(parseYamlFile(ENVIRONMENTS_FILE, text)));
}

function readValues(tree: Tree, file: string, text = tree.read(file, 'utf8') ?? ''): unknown {
  return guarded(() => parseYamlFile(file, text).data);
}

/** A user's broken file stops the migration with its own diagnostics, before anything is written. */
function guarded<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (isMaydayError(error)) throw new Error(error.diagnostics.map(formatDiagnostic).join('\n'), { cause: error });
    throw error;
  }
}
