/** A token for a repository URL (from the app-config integrations), or undefined. */
export type TokenFor = (url: string) => string | undefined;

/** `-c http.extraHeader=…` for an HTTPS URL with an integration token: the token never appears in a URL or log. */
export function gitAuthArgs(url: string, tokenFor: TokenFor): string[] {
  const token = url.startsWith('https://') ? tokenFor(url) : undefined;
  if (!token) return [];
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  return ['-c', `http.extraHeader=Authorization: Basic ${basic}`];
}
