import semver from 'semver';
import type { ImageRef } from '@mayday/model';

/** `repo:tag@digest`, as a pod spec names it. */
export const imageText = (image: ImageRef): string =>
  `${image.repository}${image.tag ? `:${image.tag}` : ''}${image.digest ? `@${image.digest}` : ''}`;

export const sameImage = (a: ImageRef, b: ImageRef): boolean =>
  a.repository === b.repository && (a.tag ?? '') === (b.tag ?? '') && (a.digest ?? '') === (b.digest ?? '');

/**
 * How a promoted image relates to the one it replaces: by semantic version when both tags are one
 * (a leading v allowed), else it cannot be told. Another repository is another image.
 */
export function imageOrder(
  current: ImageRef,
  next: ImageRef,
): 'forward' | 'same' | 'backward' | 'unordered' | 'other-repository' {
  if (sameImage(current, next)) return 'same';
  if (current.repository !== next.repository) return 'other-repository';
  const a = current.tag ? semver.valid(current.tag) : null;
  const b = next.tag ? semver.valid(next.tag) : null;
  if (!a || !b) return 'unordered';
  const order = semver.compare(b, a);
  // the same version with another digest is a rebuild: neither forward nor back
  return order > 0 ? 'forward' : order < 0 ? 'backward' : 'unordered';
}
