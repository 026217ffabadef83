import { describe, expect, it } from '@jest/globals';
import { MaydayError } from '@mayday/model';
import { parseGitopsConfigText } from './gitops-config.ts';
import { diffGitops } from './gitops-diff.ts';

const diagnosticsOf = (text: string) => {
  try {
    parseGitopsConfigText(text);
  } catch (error) {
    if (error instanceof MaydayError) return error.diagnostics;
    throw error;
  }
  throw new Error('expected a MaydayError');
};

describe('platform/gitops.yaml', () => {
  it('names a misspelt field with a did-you-mean, at any depth', () => {
    expect(
      diagnosticsOf('repository: https://git.acme.test/m.git\nbrnach: gitops\nargocd:\n  namspace: argocd\n'),
    ).toEqual([
      expect.objectContaining({
        file: 'platform/gitops.yaml',
        line: 4,
        field: 'argocd.namspace',
        message: 'unknown field "namspace"',
        hint: 'did you mean "namespace"?',
      }),
      expect.objectContaining({
        file: 'platform/gitops.yaml',
        line: 2,
        field: 'brnach',
        message: 'unknown field "brnach"',
        hint: 'did you mean "branch"?',
      }),
    ]);
  });

  it('refuses a repository that is not a git URL, saying what one looks like', () => {
    expect(diagnosticsOf('repository: "not a url:"\n')).toEqual([
      expect.objectContaining({
        field: 'repository',
        message: expect.stringMatching(/^repository must be a git URL: https:\/\/…, ssh:\/\/…, git@host:path/),
      }),
    ]);
  });

  it('says that the shipped placeholder repository must be pointed at a real one, instead of a DNS error', async () => {
    const config = parseGitopsConfigText('repository: https://git.mayday.example/platform/mayday.git\n');
    const error = await diffGitops({ workspaceRoot: '.', config, apps: [] }).then(
      () => undefined,
      (e: unknown) => e as MaydayError,
    );
    expect(error?.diagnostics).toEqual([
      expect.objectContaining({
        file: 'platform/gitops.yaml',
        field: 'repository',
        message:
          'repository is still the placeholder https://git.mayday.example/platform/mayday.git (a reserved .example host, which never resolves)',
      }),
    ]);
    expect(error?.diagnostics[0].hint).toMatch(
      /set repository in platform\/gitops.yaml to the URL of your Git repository/,
    );
  });
});
