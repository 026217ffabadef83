import { parseYamlFile, readUserFile, type YamlFile } from '@mayday/model';

const parsed = new Map<string, YamlFile>();
const MAX_ENTRIES = 1024;

/**
 * readYamlFile, parsed once per content: a batch renders every app in every env, and each render
 * reads the chart's values.yaml (and the app's values.yaml once per env). Keyed by the text, so an
 * edited file is parsed again; the parsed data is shared, so callers must not mutate it.
 */
export function readValuesFile(absolutePath: string, displayPath: string): YamlFile {
  const text = readUserFile(absolutePath, displayPath);
  const key = `${displayPath}\0${text}`;
  let file = parsed.get(key);
  if (!file) {
    file = parseYamlFile(displayPath, text);
    if (parsed.size >= MAX_ENTRIES) parsed.clear();
    parsed.set(key, file);
  }
  return file;
}
