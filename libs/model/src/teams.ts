import { join } from 'node:path';
import { z } from 'zod';
import { MaydayError } from './diagnostics.ts';
import { dnsLabel } from './naming.ts';
import { closest } from './schema-issues.ts';
import { TEAMS_FILE } from './workspace.ts';
import { readYamlFile, type YamlFile } from './yaml-file.ts';
import { zodDiagnostics } from './zod-diagnostics.ts';

export const teamSchema = z.strictObject({
  name: dnsLabel('a team name'),
  displayName: z.string().min(1, 'displayName must not be empty'),
  description: z.string().optional(),
  /** Backstage User names (the GitHub login when users sign in with GitHub). */
  members: z.array(dnsLabel('a member name')).default([]),
  contact: z.strictObject({
    email: z.email({ message: 'contact.email must be an email address, e.g. payments@example.com' }),
    chat: z.url({ message: 'contact.chat must be a URL, e.g. https://chat.example.com/payments' }).optional(),
  }),
});

export const teamsFileSchema = z.strictObject({
  teams: z
    .array(teamSchema)
    .min(1, 'declare at least one team')
    .superRefine((teams, ctx) => {
      const seen = new Set<string>();
      teams.forEach((team, i) => {
        if (seen.has(team.name))
          ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `team "${team.name}" is declared twice` });
        seen.add(team.name);
      });
    }),
});

export type Team = z.infer<typeof teamSchema>;

/** Reads and validates platform/teams.yaml; errors name the file, line and field. */
export function loadTeams(workspaceRoot: string): Team[] {
  return parseTeams(readYamlFile(join(workspaceRoot, TEAMS_FILE), TEAMS_FILE));
}

export function parseTeams(source: YamlFile): Team[] {
  const parsed = teamsFileSchema.safeParse(source.data);
  if (!parsed.success)
    throw new MaydayError(zodDiagnostics(source, parsed.error.issues, 'teams', `fix ${source.file}; see its header`));
  return parsed.data.teams;
}

/** The team named `name`, or an error naming the known teams and the nearest one. */
export function findTeam(teams: readonly Team[], name: string): Team | { error: string } {
  const team = teams.find((t) => t.name === name);
  if (team) return team;
  const names = teams.map((t) => t.name);
  const guess = closest(name, names);
  return {
    error: `team "${name}" is not in ${TEAMS_FILE}: ${guess ? `did you mean "${guess}"? ` : ''}known teams: ${names.join(', ')} (a new team is one entry in ${TEAMS_FILE})`,
  };
}
