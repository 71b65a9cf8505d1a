// Building with the real kustomize binary, as Flux builds: what Flux users write in spec
// (patches, images, prefixes, components, targetNamespace) is written into the path's
// own kustomization file, a path without one still builds from its .yaml and .yml files,
// any file of the artifact may be referenced, and nothing outside it may.
import { describe, expect, it } from '@jest/globals';
import { linkSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { build, BuildError } from '../../kustomize/build.js';
import { renderKustomization } from '../../kustomize/render.js';
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

  it('applies the spec\'s patches, images, prefix, namespace and components', async () => {
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
        },
      }),
    );
    const web = built.find((o) => o.kind === 'Deployment')!;
    expect(web.metadata).toMatchObject({ name: 'eu-web', namespace: 'production' });
    expect((web.spec as { replicas: number }).replicas).toBe(3);
    expect(JSON.stringify(web.spec)).toContain('nginx:1.27');
    expect(built.find((o) => o.kind === 'ConfigMap')?.metadata).toMatchObject({ name: 'eu-debug', namespace: 'production' });
  });

  it('writes the spec into the path\'s own kustomization: its prefix and images are replaced, not layered', async () => {
    const root = artifact({
      'apps/kustomization.yml': 'namespace: apps\nnamePrefix: app-\nresources: [deployment.yaml]\nimages:\n  - name: nginx\n    newTag: "2.0"\n',
      'apps/deployment.yaml': deployment,
    });
    const built = objects(await build({ root, kustomize, spec: { path: 'apps', namePrefix: 'eu-', targetNamespace: 'production', images: [{ name: 'nginx', newName: 'registry.example.com/nginx' }] } }));
    const web = built.find((o) => o.kind === 'Deployment')!;
    // Flux sets the file's namePrefix and namespace to the spec's, and replaces its nginx
    // entry whole: the file's newTag is gone, so the image keeps the tag it had.
    expect(web.metadata).toMatchObject({ name: 'eu-web', namespace: 'production' });
    expect(JSON.stringify(web.spec)).toContain('"image":"registry.example.com/nginx:1.0"');
    // The file that ran is the path's own, under the name the user gave it.
    expect(readFileSync(join(root, 'apps/kustomization.yml'), 'utf8')).toContain('namePrefix: eu-');
  });

  it('leaves the artifact its checkout hard-links as it was: one Kustomization\'s spec never reaches another\'s build', async () => {
    const shared = artifact({ 'apps/kustomization.yaml': 'resources: [deployment.yaml]\n', 'apps/deployment.yaml': deployment });
    // A checkout as the artifact cache makes it: the same files, hard-linked.
    const checkout = (): string => {
      const root = artifact({});
      for (const file of ['apps/kustomization.yaml', 'apps/deployment.yaml']) {
        mkdirSync(join(root, 'apps'), { recursive: true });
        linkSync(join(shared, file), join(root, file));
      }
      return root;
    };
    await build({ root: checkout(), kustomize, spec: { path: 'apps', namePrefix: 'a-', patches: [{ patch: '- op: replace\n  path: /spec/replicas\n  value: 3\n', target: { kind: 'Deployment' } }] } });
    expect(readFileSync(join(shared, 'apps/kustomization.yaml'), 'utf8')).toBe('resources: [deployment.yaml]\n');
    const second = objects(await build({ root: checkout(), kustomize, spec: { path: 'apps' } }));
    expect(second[0]).toMatchObject({ metadata: { name: 'web' }, spec: { replicas: 1 } });
  });

  it('skips missing components only with ignoreMissingComponents, and refuses remote ones', async () => {
    const root = artifact({ 'apps/deployment.yaml': deployment });
    const spec = { path: 'apps', components: ['../components/missing'] };
    await expect(build({ root: artifact({ 'apps/deployment.yaml': deployment }), kustomize, spec })).rejects.toThrow(/kustomize build failed: .*components\/missing/);
    expect(objects(await build({ root, kustomize, spec: { ...spec, ignoreMissingComponents: true } })).map((o) => o.kind)).toEqual(['Deployment']);
    const remote = build({ root: artifact({ 'apps/deployment.yaml': deployment }), kustomize, spec: { path: 'apps', components: ['https://github.com/example/components//debug'] } });
    await expect(remote).rejects.toThrow("kustomize build failed: component path 'https://github.com/example/components//debug' must be local and relative");
  });

  it('reads files from anywhere in the artifact, as Flux turns load restrictions off', async () => {
    const root = artifact({
      'base/app/helm-repository.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: repository\n',
      'base/patches/label.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: repository\n  labels: { patched: "yes" }\n',
      'base/settings.env': 'mode=production\n',
      'overlays/dev/app/kustomization.yaml': [
        'resources: [../../../base/app/helm-repository.yaml]',
        'patches: [{ path: ../../../base/patches/label.yaml }]',
        'configMapGenerator: [{ name: settings, envs: [../../../base/settings.env] }]',
        '',
      ].join('\n'),
    });
    const built = objects(await build({ root, kustomize, spec: { path: './overlays/dev/app' } }));
    expect(built.find((o) => o.metadata.name === 'repository')?.metadata.labels).toEqual({ patched: 'yes' });
    expect(built.find((o) => o.metadata.name.startsWith('settings-'))?.data).toEqual({ mode: 'production' });
  });

  it('takes only .yaml and .yml files of a path without a kustomization file', async () => {
    const root = artifact({
      'apps/deployment.yaml': deployment,
      'apps/config/cm.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n',
      'apps/renovate.json': '{ "extends": ["config:base"] }\n',
      'apps/README.md': '# apps\n',
    });
    const built = objects(await build({ root, spec: { path: './apps' }, kustomize }));
    expect(built.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['ConfigMap/settings', 'Deployment/web']);
  });

  it('sets commonMetadata on each object after the build, leaving pod templates alone', async () => {
    const root = artifact({ 'apps/deployment.yaml': deployment });
    const rendering = await renderKustomization({
      root,
      ref: { kind: 'Kustomization', namespace: 'flux-system', name: 'apps' },
      spec: { path: './apps', commonMetadata: { labels: { team: 'web' }, annotations: { owner: 'platform' } } } as never,
      inputs: { readSecret: async () => undefined, readConfigMap: async () => undefined },
    });
    expect(rendering.ok).toBe(true);
    const web = rendering.ok ? rendering.objects[0]! : undefined;
    expect(web?.metadata).toMatchObject({ labels: { team: 'web' }, annotations: { owner: 'platform' } });
    const template = (web?.spec as { template: { metadata: Record<string, unknown> }; selector: unknown }).template;
    // A label or annotation in the template would roll every workload Flux hands over.
    expect(template.metadata).toEqual({ labels: { app: 'web' } });
    expect((web?.spec as { selector: unknown }).selector).toEqual({ matchLabels: { app: 'web' } });
  });

  it('refuses a path that leaves the artifact', async () => {
    const root = artifact({ 'apps/deployment.yaml': deployment });
    await expect(build({ root, spec: { path: '../../etc' }, kustomize })).rejects.toThrow(BuildError);
    symlinkSync('/etc', join(root, 'escape'));
    await expect(build({ root, spec: { path: './escape' }, kustomize })).rejects.toThrow("path './escape' leaves the artifact");
  });

  it('refuses any file outside the artifact: resources, patches, generator files, absolute paths', async () => {
    const outside = {
      resource: 'resources: [../../../../../../etc/hostname]\n',
      patch: 'resources: [cm.yaml]\npatches: [{ path: ../../../../../../etc/hostname }]\n',
      generator: 'configMapGenerator: [{ name: leak, files: [hosts=../../../../../../etc/hosts] }]\n',
      absolute: 'resources: [/etc/hostname]\n',
      nested: 'resources: [../base]\n',
    };
    for (const [what, kustomization] of Object.entries(outside)) {
      const root = artifact({
        'apps/kustomization.yaml': kustomization,
        'apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n',
        'base/kustomization.yaml': 'resources: [../../../../../../etc/hostname]\n',
      });
      const failure = await build({ root, spec: { path: './apps' }, kustomize }).then(() => 'built', (error: Error) => error.message);
      expect({ what, failure }).toEqual({ what, failure: expect.stringMatching(/^kustomize build failed: (apps|base)\/kustomization\.yaml: '.*' is outside the artifact/) });
    }
  });

  it('refuses remote bases and components with --no-remote-bases, before kustomize fetches anything', async () => {
    for (const [field, remote] of [['resources', 'https://github.com/example/fleet//base?ref=v1.0.0'], ['components', 'github.com/example/fleet//components/debug?ref=main']]) {
      const root = artifact({ 'apps/kustomization.yaml': `${field}: [${remote}]\n`, 'apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n' });
      const failure = await build({ root, spec: { path: './apps' }, kustomize, noRemoteBases: true }).then(() => 'built', (error: Error) => error.message);
      expect(failure).toBe(`kustomize build failed: apps/kustomization.yaml: '${remote}' is a remote base, and remote bases are not allowed (--no-remote-bases)`);
    }
  });

  it('names the user\'s files in kustomize\'s errors, not where the worker unpacked them', async () => {
    const root = artifact({ 'apps/kustomization.yaml': 'resources: [deployment.yaml, missing.yaml]\n', 'apps/deployment.yaml': deployment });
    const failure = await build({ root, spec: { path: './apps' }, kustomize }).then(() => 'built', (error: Error) => error.message);
    expect(failure).toMatch(/^kustomize build failed: .*missing\.yaml/);
    expect(failure).not.toContain(root);
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
