import { describe, expect, it } from '@jest/globals';
import { findTeam, parseTeams } from './teams.ts';
import { parseYamlFile } from './yaml-file.ts';

const teams = parseTeams(
  parseYamlFile(
    'platform/teams.yaml',
    'teams:\n  - name: payments\n    displayName: Payments\n    contact: {email: pay@x.io}\n  - name: checkout\n    displayName: Checkout\n    contact: {email: co@x.io}\n',
  ),
);

describe('teams', () => {
  it('finds a team by name, with no members by default', () => {
    expect(findTeam(teams, 'payments')).toMatchObject({ name: 'payments', members: [] });
  });

  it('suggests the nearest team for a typo and lists the known ones', () => {
    expect(findTeam(teams, 'paymnets')).toEqual({
      error:
        'team "paymnets" is not in platform/teams.yaml: did you mean "payments"? known teams: payments, checkout (a new team is one entry in platform/teams.yaml)',
    });
  });

  it.each([
    [
      'a team declared twice',
      '  - name: a\n    displayName: A\n    contact: {email: a@x.io}\n'.repeat(2),
      /declared twice/,
    ],
    ['a contact without an email', '  - name: a\n    displayName: A\n    contact: {}\n', /contact\.email/],
    ['an unknown field', '  - name: a\n    displayName: A\n    contact: {email: a@x.io}\n    slack: x\n', /slack/],
  ])('refuses %s, naming the file', (_, body, message) => {
    expect(() => parseTeams(parseYamlFile('platform/teams.yaml', `teams:\n${body}`))).toThrow(message);
  });
});
