import { describe, expect, it } from '@jest/globals';
import { isPort, parseImage } from './naming.ts';

describe('parseImage', () => {
  it('splits a tagged image with a registry port', () => {
    expect(parseImage('ghcr.io/acme/shop:1.4.2')).toEqual({ repository: 'ghcr.io/acme/shop', tag: '1.4.2' });
    expect(parseImage('registry.local:5000/shop:v2')).toEqual({ repository: 'registry.local:5000/shop', tag: 'v2' });
  });

  it('accepts a digest instead of a tag', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseImage(`ghcr.io/acme/shop@${digest}`)).toEqual({ repository: 'ghcr.io/acme/shop', digest });
  });

  it.each([
    ['ghcr.io/acme/shop', /has no tag/],
    ['registry.local:5000/shop', /has no tag/],
    ['ghcr.io/acme/shop:latest', /"latest"/],
    ['Ghcr.io/Acme/Shop:1.0', /an image repository must be lowercase \("ghcr\.io\/acme\/shop"\)/],
    ['ghcr.io/acme/shop!:1.0', /not a valid image repository/],
    ['ghcr.io/acme/shop@sha256:abc', /invalid digest/],
    ['ghcr.io/acme/shop:bad/tag', /not a valid image repository|invalid tag/],
  ])('refuses %s', (image, message) => {
    const result = parseImage(image);
    expect('error' in result && result.error).toMatch(message);
  });
});

describe('isPort', () => {
  it('accepts 1 to 65535 only', () => {
    expect([1, 80, 65535].every(isPort)).toBe(true);
    expect([0, -1, 65536, 80.5, Number.NaN].some(isPort)).toBe(false);
  });
});
