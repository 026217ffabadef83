import { join } from 'node:path';
import { z } from 'zod';
import { MaydayError, parseYamlFile, readYamlFile, zodDiagnostics, type YamlFile } from '@mayday/model';

export const GITOPS_CONFIG_FILE = 'platform/gitops.yaml';

/** `git check-ref-format --branch` in short: no spaces, no `..`, no leading `-` or `/`, no `.lock` end. */
const branchName = z
  .string()
  .regex(
    /^(?!-)(?!\/)(?!.*\.\.)(?!.*\/\/)(?!.*\.lock$)(?!.*\/$)[A-Za-z0-9._/-]+$/,
    'branch must be a plain git branch name such as "gitops"',
  );

const envVarName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'name an environment variable in UPPER_SNAKE_CASE, e.g. MAYDAY_GITOPS_TOKEN');

export const gitopsConfigSchema = z.strictObject({
  /** The repository Argo CD reads and push publishes to (usually this repository's own URL). */
  repository: z
    .string()
    .min(1, 'repository must be the URL Argo CD clones, e.g. https://github.com/acme/mayday.git')
    .regex(
      /^((https?|ssh|git|file):\/\/\S+|[\w.-]+@[\w.-]+:\S+)$/,
      'repository must be a git URL: https://…, ssh://…, git@host:path, git://… or file://… (e.g. https://github.com/acme/mayday.git)',
    ),
  /** The branch that holds only gitops/; a dedicated branch so published commits never retrigger the source pipeline. */
  branch: branchName.default('gitops'),
  /** push: publish to the remote; commit: only commit to the branch in this clone (for a local try-out). */
  mode: z.enum(['push', 'commit']).default('push'),
  author: z
    .strictObject({
      name: z.string().min(1),
      email: z.string().regex(/^[^\s@]+@[^\s@]+$/, 'author.email must be an e-mail address'),
    })
    .default({ name: 'mayday', email: 'mayday@users.noreply.invalid' }),
  /** An HTTPS token read from the environment at push time; never written to disk or logs. */
  credentials: z
    .strictObject({
      tokenEnv: envVarName,
      username: z.string().min(1).default('x-access-token'),
    })
    .optional(),
  /** How many times push tries when another pipeline moved the branch first. */
  attempts: z.number().int().min(1).max(50).default(10),
  argocd: z
    .strictObject({
      /** The namespace Argo CD runs in; the AppProjects and the ApplicationSet live there. */
      namespace: z.string().default('argocd'),
      applicationSet: z.string().default('mayday'),
      /** The source branch whose platform/policies every cluster enforces at admission. */
      platformRevision: branchName.default('main'),
    })
    .default({ namespace: 'argocd', applicationSet: 'mayday', platformRevision: 'main' }),
});

export type GitopsConfig = z.infer<typeof gitopsConfigSchema>;

export function loadGitopsConfig(workspaceRoot: string): GitopsConfig {
  return parseGitopsConfig(readYamlFile(join(workspaceRoot, GITOPS_CONFIG_FILE), GITOPS_CONFIG_FILE));
}

export function parseGitopsConfigText(text: string): GitopsConfig {
  return parseGitopsConfig(parseYamlFile(GITOPS_CONFIG_FILE, text));
}

export function parseGitopsConfig(source: YamlFile): GitopsConfig {
  const parsed = gitopsConfigSchema.safeParse(source.data);
  if (!parsed.success) {
    throw new MaydayError(
      zodDiagnostics(
        source,
        parsed.error.issues,
        'gitops-config',
        `fix ${source.file}; see the comments at its top`,
        gitopsConfigSchema,
      ),
    );
  }
  return parsed.data;
}
