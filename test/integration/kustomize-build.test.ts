// Building with the real kustomize binary: what Flux users write in spec (patches,
// images, prefixes, components, targetNamespace, commonMetadata) shapes the manifests,
// a path without kustomization.yaml still builds, and no path may leave the artifact.
import { describe, expect, it } from '@jest/globals';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { build, BuildError } from '../../kustomize/build.js';
import { requireBinary } from '../../tools/paths.js';
import { fileTree, objectsOf } from '../harness/files.js';

const kustomize = requireBinary('kustomize');

const artifact = (files: Record<string, string | Buffer>) => fileTree(files);

const objects = objectsOf;

const deployment = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector: { matchLabels: { app: web } }\n  template:\n    metadata: { labels: { app: web } }\n    spec:\n      containers: [{ name: web, image: nginx:1.0 }]\n';

describe('kustomize build', () => {
  it('generates a kustomization.yaml for a plain folder of manifests', async () => {
    const root = artifact({ 'apps/deployment.yaml': deployment, 'apps/nested/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n' });
    const built = objects(await build({ root, spec: { path: './apps' }, kustomize }));
    expect(built.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['ConfigMap/settings', 'Deployment/web']);
  });

  it('builds the artifact\'s root when the path is left out or ./', async () => {
    const root = artifact({ 'deployment.yaml': deployment, 'config/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n' });
    for (const path of [undefined, './']) {
      const built = objects(await build({ root, spec: { path }, kustomize }));
      expect(built.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['ConfigMap/settings', 'Deployment/web']);
    }
  });

  it('applies the spec\'s patches, images, prefix, namespace, components and common metadata', async () => {
    const root = artifact({
      'apps/kustomization.yaml': 'resources: [deployment.yaml]\n',
      'apps/deployment.yaml': deployment,
      'components/debug/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [cm.yaml]\n',
      'components/debug/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: debug\n',
    });
    const built = objects(
      await build({
        root,
        kustomize,
        spec: {
          path: 'apps',
          targetNamespace: 'production',
          namePrefix: 'eu-',
          images: [{ name: 'nginx', newTag: '1.27' }],
          patches: [{ patch: '- op: replace\n  path: /spec/replicas\n  value: 3\n', target: { kind: 'Deployment' } }],
          components: ['../components/debug'],
          commonMetadata: { labels: { team: 'web' }, annotations: { owner: 'platform' } },
        },
      }),
    );
    const web = built.find((o) => o.kind === 'Deployment')!;
    expect(web.metadata).toMatchObject({ name: 'eu-web', namespace: 'production', labels: { team: 'web' }, annotations: { owner: 'platform' } });
    expect((web.spec as { replicas: number }).replicas).toBe(3);
    expect(JSON.stringify(web.spec)).toContain('nginx:1.27');
    expect(built.find((o) => o.kind === 'ConfigMap')?.metadata.name).toBe('eu-debug');
    // commonMetadata does not touch selectors, as in Flux.
    expect((web.spec as { selector: unknown }).selector).toEqual({ matchLabels: { app: 'web' } });
  });

  it('refuses a path that leaves the artifact', async () => {
    const root = artifact({ 'apps/deployment.yaml': deployment });
    await expect(build({ root, spec: { path: '../../etc' }, kustomize })).rejects.toThrow(BuildError);
    symlinkSync('/etc', join(root, 'escape'));
    await expect(build({ root, spec: { path: './escape' }, kustomize })).rejects.toThrow("path './escape' leaves the artifact");
  });

  it('refuses a resource that points outside the artifact', async () => {
    const root = artifact({ 'apps/kustomization.yaml': 'resources: [../../../../../../etc/hostname]\n' });
    await expect(build({ root, spec: { path: './apps' }, kustomize })).rejects.toThrow(/kustomize build failed/);
  });

  it('names a missing path', async () => {
    const root = artifact({ 'apps/deployment.yaml': deployment });
    await expect(build({ root, spec: { path: './clusters/dev' }, kustomize })).rejects.toThrow("path './clusters/dev' not found in the artifact");
  });

  it('stops kustomize when the reconcile is cancelled', async () => {
    const root = artifact({ 'apps/deployment.yaml': deployment });
    const cancelled = AbortSignal.abort();
    await expect(build({ root, spec: { path: './apps' }, kustomize, signal: cancelled })).rejects.toThrow('kustomize build stopped: the reconcile was cancelled or exceeded spec.timeout');
  });
});
