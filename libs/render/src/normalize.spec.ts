import { describe, expect, it } from '@jest/globals';
import { MaydayError } from '@mayday/model';
import { manifestFileName, normalizeManifests } from './normalize.ts';

const helmOutput = `---
# Source: app/templates/service.yaml
kind: Service
metadata:
  namespace: shop-stg
  name: shop
spec:
  type: ClusterIP
  ports: [{ port: 80, name: http }]
apiVersion: v1
---
# Source: app/templates/hpa.yaml
---
# Source: app/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata: { name: shop, namespace: shop-stg }
spec: { replicas: 2 }
`;
const options = { header: ['Rendered by a test.'], context: 'shop in stg' };

describe('normalizeManifests', () => {
  it('drops empty documents and writes one sorted file per resource', () => {
    const files = normalizeManifests(helmOutput, options);
    expect(files.map((f) => [f.fileName, f.template])).toEqual([
      ['deployment-shop.yaml', 'app/templates/deployment.yaml'],
      ['service-shop.yaml', 'app/templates/service.yaml'],
    ]);
  });

  it('orders keys apiVersion, kind, metadata, then alphabetically, under a header', () => {
    const service = normalizeManifests(helmOutput, options)[1];
    expect(service.content).toBe(`# Rendered by a test.
# Source: app/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: shop
  namespace: shop-stg
spec:
  ports:
    - name: http
      port: 80
  type: ClusterIP
`);
  });

  it('gives the same bytes whatever the input key order', () => {
    const reordered = helmOutput.replace(
      '  namespace: shop-stg\n  name: shop\n',
      '  name: shop\n  namespace: shop-stg\n',
    );
    expect(normalizeManifests(reordered, options).map((f) => f.content)).toEqual(
      normalizeManifests(helmOutput, options).map((f) => f.content),
    );
  });

  it('refuses two resources that would share a file', () => {
    const twice = `${helmOutput}---\n# Source: app/templates/extra-manifests.yaml\napiVersion: v1\nkind: Service\nmetadata: { name: shop }\n`;
    expect(() => normalizeManifests(twice, options)).toThrow(
      /two resources would be written to service-shop.yaml \(also from app\/templates\/service.yaml\)/,
    );
  });

  it('names the template of an object without a name', () => {
    const nameless = `---\n# Source: app/templates/extra-manifests.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n`;
    try {
      normalizeManifests(nameless, options);
      throw new Error('expected an error');
    } catch (error) {
      expect(error).toBeInstanceOf(MaydayError);
      expect((error as MaydayError).diagnostics[0]).toMatchObject({
        file: 'app/templates/extra-manifests.yaml',
        field: 'metadata.name',
      });
    }
  });
});

describe('manifestFileName', () => {
  it('lowercases the kind and replaces unsafe characters', () => {
    expect(manifestFileName({ kind: 'HorizontalPodAutoscaler', metadata: { name: 'shop' } })).toBe(
      'horizontalpodautoscaler-shop.yaml',
    );
    expect(manifestFileName({ kind: 'Role', metadata: { name: 'system:reader' } })).toBe('role-system_reader.yaml');
  });
});
