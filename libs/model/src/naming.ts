import { z } from 'zod';

/** RFC 1123 label: what Kubernetes accepts for namespaces and most names. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_LABEL_MAX = 63;
/** Helm refuses release names longer than this; the release name is the app name. */
export const HELM_RELEASE_NAME_MAX = 53;

export const dnsLabel = (what: string) =>
  z
    .string()
    .max(DNS1123_LABEL_MAX, `${what} must be at most ${DNS1123_LABEL_MAX} characters`)
    .regex(
      DNS1123_LABEL,
      `${what} must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit (e.g. "payments")`,
    );

/** Container image reference with an explicit tag or digest; `latest` is refused. */
export interface ImageRef {
  repository: string;
  tag?: string;
  digest?: string;
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*$/;

/** Parses `<repo>:<tag>` or `<repo>@sha256:…`; returns an error message instead of throwing. */
export function parseImage(image: string): ImageRef | { error: string } {
  const example = 'e.g. ghcr.io/acme/shop:1.4.2';
  const [nameAndTag, digest] = image.split('@', 2) as [string, string | undefined];
  const slash = nameAndTag.lastIndexOf('/');
  const colon = nameAndTag.lastIndexOf(':');
  const hasTag = colon > slash;
  const repository = hasTag ? nameAndTag.slice(0, colon) : nameAndTag;
  const tag = hasTag ? nameAndTag.slice(colon + 1) : undefined;
  if (!REPOSITORY.test(repository) && REPOSITORY.test(repository.toLowerCase()))
    return { error: `"${image}": an image repository must be lowercase ("${repository.toLowerCase()}")` };
  if (!REPOSITORY.test(repository)) return { error: `"${image}" is not a valid image repository (${example})` };
  if (digest !== undefined && !DIGEST.test(digest))
    return { error: `"${image}" has an invalid digest: expected sha256:<64 hex characters>` };
  if (tag === undefined && digest === undefined)
    return { error: `image "${image}" has no tag: pin a version (${example})` };
  if (tag !== undefined && !TAG.test(tag)) return { error: `image "${image}" has an invalid tag "${tag}"` };
  if (tag === 'latest')
    return { error: `image "${image}" uses the tag "latest", which is not reproducible: pin a version (${example})` };
  return { repository, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

export function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}
