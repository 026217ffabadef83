import { isMap, parseDocument, stringify } from 'yaml';
import { editValuesText, valueAt, type ValuesEdit } from './values-edit.ts';

/**
 * An env that takes its image by promotion pins it in its own values file: without the pin, a new
 * tag in values.yaml would reach it unpromoted. The edits that pin what the env runs now (the tag and
 * digest its merged values give), or none when its file pins either already.
 */
export function imagePinEdits(appValues: unknown, envValues: unknown): ValuesEdit[] {
  if (pinsImage(envValues)) return [];
  const edits: ValuesEdit[] = [];
  for (const key of ['tag', 'digest']) {
    const value = valueAt(envValues, ['image', key]) ?? valueAt(appValues, ['image', key]);
    if (typeof value === 'string' && value !== '') edits.push({ path: ['image', key], value });
  }
  return edits;
}

export const pinsImage = (envValues: unknown): boolean =>
  valueAt(envValues, ['image', 'tag']) !== undefined || valueAt(envValues, ['image', 'digest']) !== undefined;

/** The block a values-<env>.yaml gets when it pins its image: what the app generator writes. */
export function imagePinBlock(app: string, from: string, pin: { tag?: string; digest?: string }): string {
  const image = { ...(pin.tag && { tag: pin.tag }), ...(pin.digest && { digest: pin.digest }) };
  return `# the image ${from} ran first: \`nx run ${app}:promote\` moves this pin\n${stringify({ image }, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' })}`;
}

/**
 * The env file's text with its image pinned to what the env runs now (see imagePinEdits), or undefined
 * when it pins it already. A file without an image key gets the generator's block at its end; one
 * with an image key (say pullPolicy) gets the fields in place. Comments and order stay.
 */
export function pinImageInText(
  file: string,
  text: string,
  app: string,
  from: string,
  appValues: unknown,
): string | undefined {
  const doc = parseDocument(text);
  const envValues = doc.toJS() ?? {};
  const edits = imagePinEdits(appValues, envValues);
  if (edits.length === 0) return undefined;
  // in its image map, or in a flow-style file's one map: in place
  const flow = isMap(doc.contents) && doc.contents.flow && doc.contents.items.length > 0;
  if (valueAt(envValues, ['image']) !== undefined || flow) return editValuesText(file, text, edits);
  const pin = Object.fromEntries(edits.map((e) => [e.path[1], e.value as string]));
  const body =
    Object.keys(envValues as object).length === 0
      ? text.replace(/^\{\}[ \t]*(#.*)?$/m, '').replace(/\n*$/, '\n')
      : text.replace(/\n*$/, '\n');
  return `${body === '\n' ? '' : body}${imagePinBlock(app, from, pin)}`;
}
