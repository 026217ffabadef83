import type { Team } from '@mayday/model';

/** The System every mayday app's Component is part of (`spec.system` in the catalog-info.yaml the generator writes). */
export const APPS_SYSTEM = 'mayday-apps';
const OWNER_OF_SYSTEM = 'platform';

type Entity = Record<string, unknown>;

/** platform/teams.yaml as Backstage entities: a Group per team, a User per member, and the apps' System. */
export function orgEntities(teams: readonly Team[]): Entity[] {
  const groups = teams.map((team): Entity => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: {
      name: team.name,
      ...(team.description && { description: team.description }),
      ...(team.contact.chat && { links: [{ url: team.contact.chat, title: 'Chat' }] }),
    },
    spec: {
      type: 'team',
      profile: { displayName: team.displayName, email: team.contact.email },
      children: [],
    },
  }));
  const members = [...new Set(teams.flatMap((team) => team.members))].sort();
  const users = members.map((name): Entity => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name },
    spec: { memberOf: teams.filter((team) => team.members.includes(name)).map((team) => team.name) },
  }));
  const owner = teams.some((team) => team.name === OWNER_OF_SYSTEM) ? OWNER_OF_SYSTEM : teams[0]?.name;
  const system: Entity = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'System',
    metadata: { name: APPS_SYSTEM, description: 'The apps mayday deploys: one Component per apps/<app>/.' },
    spec: { owner: `group:${owner}` },
  };
  return [...groups, ...users, system];
}
