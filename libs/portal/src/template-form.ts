import { maxAppNameLength, type Environment, type Team } from '@mayday/model';

/** The part of a generator's schema.json the form is made from (Nx's schema: JSON Schema plus x-prompt and $default). */
export interface GeneratorSchema {
  title?: string;
  description?: string;
  properties: Record<string, GeneratorProperty>;
  required?: string[];
}
export type GeneratorProperty = Record<string, unknown> & { type?: string; description?: string };

/** JSON Schema keywords that mean the same to Nx's validation and to the scaffolder's form (ajv with ajv-errors). */
const SHARED_KEYWORDS = [
  'type',
  'description',
  'default',
  'enum',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'format',
  'errorMessage',
] as const;

/** The field that names the owning team: the form offers the teams of platform/teams.yaml. */
export const TEAM_FIELD = 'team';

/**
 * The mayday-app template's `spec.parameters`: one page with every field of the generator's schema, in its
 * order, with its own patterns, limits and messages; the team field lists platform/teams.yaml.
 */
export function templateParameters(
  schema: GeneratorSchema,
  teams: readonly Team[],
  envs: readonly Environment[],
): Record<string, unknown>[] {
  const rules = fieldRules(teams, envs);
  const properties: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(schema.properties)) {
    const field: Record<string, unknown> = { title: titleOf(name) };
    for (const keyword of SHARED_KEYWORDS) if (property[keyword] !== undefined) field[keyword] = property[keyword];
    if (typeof field.description === 'string') field.description = markdownText(field.description);
    Object.assign(field, rules[name]);
    const example = typeof property['x-prompt'] === 'string' ? examplePlaceholder(property['x-prompt']) : undefined;
    if (example && !field.enum) field['ui:placeholder'] = example;
    properties[name] = field;
  }
  const first = Object.keys(properties)[0];
  if (first) (properties[first] as Record<string, unknown>)['ui:autofocus'] = true;
  return [
    {
      title: schema.title ?? 'Create an app',
      description: schema.description && markdownText(schema.description),
      required: schema.required ?? [],
      properties,
    },
  ];
}

/**
 * What the generator checks in code, as JSON Schema for the form: the app name rule (a DNS-1123 label that starts
 * with a letter, short enough for its namespaces), the teams of platform/teams.yaml, the port range.
 */
export function fieldRules(
  teams: readonly Team[],
  envs: readonly Environment[],
): Record<string, Record<string, unknown>> {
  const maxLength = maxAppNameLength(envs);
  return {
    name: {
      pattern: APP_NAME_PATTERN,
      maxLength,
      errorMessage: {
        pattern: `must be a DNS-1123 label that starts with a letter: lowercase letters, digits and '-', ending with a letter or digit (e.g. shop or order-api)`,
        maxLength: `must be at most ${maxLength} characters, so that its namespaces stay within 63 characters and the Helm release name within 53`,
      },
    },
    [TEAM_FIELD]: {
      enum: teams.map((team) => team.name),
      'ui:enumNames': teams.map((team) => team.displayName),
    },
    port: {
      type: 'integer',
      minimum: 1,
      maximum: 65535,
      errorMessage: 'must be a whole number from 1 to 65535',
    },
  };
}

/** DNS1123_LABEL (libs/model) with the generator's extra rule that an app name starts with a letter. */
export const APP_NAME_PATTERN = '^[a-z]([-a-z0-9]*[a-z0-9])?$';

/** The form shows descriptions as Markdown: `<name>` would be taken for an HTML tag and vanish. */
function markdownText(text: string): string {
  return text.replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** "port" → "Port", "imageTag" → "Image tag". */
function titleOf(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The example in an Nx prompt ("What is the app's name (e.g. shop)?" → "e.g. shop"). */
function examplePlaceholder(prompt: string): string | undefined {
  return /\((e\.g\. [^)]+)\)/.exec(prompt)?.[1];
}
