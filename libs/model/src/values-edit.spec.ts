import { describe, expect, it } from '@jest/globals';
import { imagePinBlock, pinImageInText } from './image-pin.ts';
import { editValuesText } from './values-edit.ts';

describe('editValuesText', () => {
  it('changes a value in place, keeping comments, blank lines, order and the quoting of what it changes', () => {
    const text = '# prd\nreplicas: 3 # three\n\nimage:\n  # pinned\n  tag: "1.0.0" # old\npdb:\n  enabled: true\n';
    expect(
      editValuesText('v.yaml', text, [
        { path: ['image', 'tag'], value: '1.10' },
        { path: ['command'], value: ['serve'] },
      ]),
    ).toBe(
      '# prd\nreplicas: 3 # three\n\nimage:\n  # pinned\n  tag: "1.10" # old\npdb:\n  enabled: true\ncommand:\n  - serve\n',
    );
  });

  it('turns an empty {} into a block map and keeps the header above it; removes a key given undefined', () => {
    expect(editValuesText('v.yaml', '# header\n{}\n', [{ path: ['image', 'tag'], value: '2.0.0' }])).toBe(
      '# header\nimage:\n  tag: "2.0.0"\n',
    );
    expect(editValuesText('v.yaml', 'a: 1\nb: 2\n', [{ path: ['a'], value: undefined }])).toBe('b: 2\n');
  });

  it('refuses a file that does not parse, naming it', () => {
    expect(() => editValuesText('apps/x/values-prd.yaml', 'a: [1\n', [{ path: ['a'], value: 2 }])).toThrow(
      /apps\/x\/values-prd\.yaml:.*yaml-syntax/,
    );
  });
});

describe('pinImageInText', () => {
  const appValues = { image: { repository: 'ghcr.io/acme/shop', tag: '1.4.2' } };
  it("appends the generator's block, or fills an image map in place, or a flow map; leaves a pinned file alone", () => {
    expect(pinImageInText('f', 'replicas: 3\n', 'shop', 'stg', appValues)).toBe(
      `replicas: 3\n${imagePinBlock('shop', 'stg', { tag: '1.4.2' })}`,
    );
    expect(pinImageInText('f', 'image:\n  pullPolicy: Always\n', 'shop', 'stg', appValues)).toBe(
      'image:\n  pullPolicy: Always\n  tag: "1.4.2"\n',
    );
    expect(pinImageInText('f', '{ replicas: 3 }\n', 'shop', 'stg', appValues)).toBe(
      '{ replicas: 3, image: { tag: "1.4.2" } }\n',
    );
    expect(pinImageInText('f', 'image:\n  tag: "1.0.0"\n', 'shop', 'stg', appValues)).toBeUndefined();
    expect(pinImageInText('f', 'image:\n  digest: "sha256:00"\n', 'shop', 'stg', appValues)).toBeUndefined();
  });
});
