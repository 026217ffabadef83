import { describe, expect, it } from '@jest/globals';
import { imageOrder, imageText } from './image-order.ts';

const repo = 'ghcr.io/acme/shop';
describe('imageOrder', () => {
  it.each([
    [{ tag: '1.4.2' }, { tag: '1.5.0' }, 'forward'],
    [{ tag: 'v1.10.0' }, { tag: 'v1.9.9' }, 'backward'],
    [{ tag: '1.4.2' }, { tag: '1.4.2' }, 'same'],
    [{ tag: '1.4.2', digest: 'sha256:aa' }, { tag: '1.4.2', digest: 'sha256:bb' }, 'unordered'],
    [{ tag: 'main-4f2c1ab' }, { tag: 'main-9e1d0cc' }, 'unordered'],
  ])('%j → %j is %s', (a, b, order) => {
    expect(imageOrder({ repository: repo, ...a }, { repository: repo, ...b })).toBe(order);
  });
  it('another repository is another image', () => {
    expect(imageOrder({ repository: repo, tag: '2.0.0' }, { repository: 'ghcr.io/acme/shop-v2', tag: '1.0.0' })).toBe(
      'other-repository',
    );
    expect(imageText({ repository: repo, tag: '1.0.0', digest: 'sha256:aa' })).toBe(`${repo}:1.0.0@sha256:aa`);
  });
});
