// Post-rendering a HelmRelease as helm-controller v1.4 does: spec.postRenderers' kustomize
// builds in order, then spec.commonMetadata, then the origin labels, which win; and the
// status digests of both fields, byte for byte Flux's.
//
// The expected digests were computed by Flux's algorithm run in Go (internal/postrender
// Digest and CommonMetadataDigest: sha256 of json.NewEncoder().Encode of the field) over
// the same JSON decoded into helm-controller's own API types
// (github.com/fluxcd/helm-controller/api/v2, fluxcd/pkg/apis/kustomize v1.19.2), go1.26.
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { commonMetadataDigest, metadataFiles, postRendererFiles, postRenderersDigest, postRenderPlan, type PostRenderPlan } from '../../domain/helmrelease-post-render.js';
import { postRendererFlags, writePostRenderPlan } from '../../helm/post-renderer.js';
import type { CommonMetadata, PostRenderer } from '../../schemas/types.js';

const release = { name: 'web', namespace: 'apps' };

const postRenderers: PostRenderer[] = [
  {
    kustomize: {
      patches: [
        { patch: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    note: "<a & b>"\n' },
        {
          patch: '- op: replace\n  path: /spec/replicas\n  value: 3\n',
          target: { group: 'apps', version: 'v1', kind: 'Deployment', name: 'web.*', namespace: '', labelSelector: 'app=web' },
        },
        { patch: '- op: add\n  path: /metadata/labels/everything\n  value: "yes"\n', target: {} },
      ],
      images: [
        { name: 'nginx', newName: '', newTag: '1.27', digest: 'sha256:0123' },
        { name: 'busybox', newName: 'registry.example/busybox' },
      ],
    },
  },
  {},
  { kustomize: { patches: [], images: [] } },
];

const commonMetadata: CommonMetadata = { labels: { team: 'web', Team: 'upper', é: 'accent', a: '1' }, annotations: { owner: 'platform & co\u2028' } };

describe('the observed digests', () => {
  it('is Flux’s digest of spec.postRenderers: struct fields in order, empty ones left out, HTML escaped', () => {
    expect(postRenderersDigest(postRenderers)).toBe('sha256:d9e3c79a5a7cc8b23c365847ac90015e5dcbe3747fd76acbb67a8074268438b8');
    expect(postRenderersDigest([{ kustomize: { patches: [{ patch: 'tab\tbs\b ff\f ctl\u0001' }] } }])).toBe(
      'sha256:d2ba110f25fd0c31c2db388dcc6dd2c579de3cc8f6707e0ec5c5dc0f4aa5c6c5',
    );
  });

  it('is Flux’s digest of spec.commonMetadata: keys sorted by bytes', () => {
    expect(commonMetadataDigest(commonMetadata)).toBe('sha256:e469bb229aaa10aa1da35634b1561f4e0914e3dde03ed96f5944c87f821aed3f');
    expect(commonMetadataDigest({})).toBe('sha256:ca3d163bab055381827226140568f3bef7eaac187cebd76878e0b63e9e442356');
    expect(commonMetadataDigest({ labels: {} })).toBe('sha256:ca3d163bab055381827226140568f3bef7eaac187cebd76878e0b63e9e442356');
  });

  it('is recorded for a field that is set, even empty, and not for one that is not', () => {
    expect(postRenderersDigest([])).toBe('sha256:37517e5f3dc66819f61f5a7bb8ace1921282415f10551d2defa5c3eb0985b570');
    expect(postRenderersDigest(undefined)).toBeUndefined();
    expect(commonMetadataDigest(undefined)).toBeUndefined();
  });
});

describe('the post-render plan', () => {
  it('runs one kustomize build per entry with kustomize, naming the entry', () => {
    const plan = postRenderPlan(release, { postRenderers, commonMetadata });
    expect(plan.kustomize.map((step) => step.index)).toEqual([0, 2]);
    expect(plan.kustomize[1]!.renderer).toEqual({ patches: [], images: [] });
    expect(plan).toMatchObject({ commonMetadata, release });
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });

  it('writes the kustomization Flux builds for a post-renderer', () => {
    const [step] = postRenderPlan(release, { postRenderers }).kustomize;
    expect(JSON.parse(postRendererFiles(step!.renderer)['kustomization.yaml']!)).toEqual({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: ['helm-output.yaml'],
      patches: [
        { patch: postRenderers[0]!.kustomize!.patches![0]!.patch },
        { patch: postRenderers[0]!.kustomize!.patches![1]!.patch, target: { group: 'apps', version: 'v1', kind: 'Deployment', name: 'web.*', labelSelector: 'app=web' } },
        // An empty target selects every object; no target would match the patch by its own id.
        { patch: postRenderers[0]!.kustomize!.patches![2]!.patch, target: {} },
      ],
      images: [
        { name: 'nginx', newTag: '1.27', digest: 'sha256:0123' },
        { name: 'busybox', newName: 'registry.example/busybox' },
      ],
    });
    expect(JSON.parse(postRendererFiles({ patches: [], images: [] })['kustomization.yaml']!)).toEqual({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: ['helm-output.yaml'],
    });
  });

  it('sets commonMetadata before the origin labels, on metadata alone, keeping the order', () => {
    const files = metadataFiles(postRenderPlan(release, { commonMetadata: { labels: { team: 'web' }, annotations: { owner: 'platform' } } }));
    expect(JSON.parse(files['kustomization.yaml']!)).toMatchObject({
      resources: ['helm-output.yaml'],
      sortOptions: { order: 'fifo' },
      transformers: ['common-labels.yaml', 'common-annotations.yaml', 'origin-labels.yaml'],
    });
    expect(JSON.parse(files['origin-labels.yaml']!)).toMatchObject({
      kind: 'LabelTransformer',
      labels: { 'helm.toolkit.fluxcd.io/name': 'web', 'helm.toolkit.fluxcd.io/namespace': 'apps' },
      fieldSpecs: [{ path: 'metadata/labels', create: true }],
    });
    expect(JSON.parse(files['common-annotations.yaml']!)).toMatchObject({ kind: 'AnnotationsTransformer', fieldSpecs: [{ path: 'metadata/annotations', create: true }] });
    expect(Object.keys(metadataFiles(postRenderPlan(release, { commonMetadata: { labels: {} } })))).toEqual(['origin-labels.yaml', 'kustomization.yaml']);
  });
});

const rendered = `---
# Source: web/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: web
  labels:
    app: web
    helm.toolkit.fluxcd.io/name: someone-else
spec:
  selector:
    app: web
---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      volumes:
        - name: config
          configMap:
            name: web
            defaultMode: 0644
      containers:
        - name: web
          image: nginx:1.25
---
# Source: web/templates/namespace.yaml
apiVersion: v1
kind: Namespace
metadata:
  name: web-data
`;

/** The program as helm starts it from postRendererFlags, `input` on its stdin. */
async function runPostRenderer(plan: PostRenderPlan, input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'post-render-test-'));
  try {
    const flags = postRendererFlags(await writePostRenderPlan(dir, plan));
    expect(flags.filter((_, i) => i % 2 === 0)).toEqual(['--post-renderer', '--post-renderer-args', '--post-renderer-args']);
    const [program, ...args] = flags.filter((_, i) => i % 2 === 1);
    return await new Promise((resolve) => {
      const child = execFile(program!, args, { encoding: 'utf8' }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }));
      child.stdin!.end(input);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

type Manifest = { kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, never> };

describe('the post-renderer program, with the real kustomize', () => {
  it('patches, sets images, then commonMetadata and the origin labels', async () => {
    const plan = postRenderPlan(release, {
      postRenderers: [
        {
          kustomize: {
            patches: [
              { patch: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    patched: strategic-merge\n' },
              { patch: '- op: replace\n  path: /spec/replicas\n  value: 3\n', target: { kind: 'Deployment', labelSelector: 'app=web' } },
            ],
            images: [{ name: 'nginx', newTag: '1.27' }],
          },
        },
      ],
      commonMetadata: { labels: { team: 'web', 'helm.toolkit.fluxcd.io/namespace': 'not-this', flag: 'on' }, annotations: { owner: 'platform' } },
    });
    const { code, stdout, stderr } = await runPostRenderer(plan, rendered);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const objects = parseAllDocuments(stdout).map((document) => document.toJS() as Manifest);
    // The kustomize post-renderer orders as Flux's build does: Namespaces first.
    expect(objects.map((object) => object.kind)).toEqual(['Namespace', 'Service', 'Deployment']);
    const labels = { team: 'web', flag: 'on', 'helm.toolkit.fluxcd.io/name': 'web', 'helm.toolkit.fluxcd.io/namespace': 'apps' };
    for (const object of objects) {
      expect(object.metadata.labels).toMatchObject(labels);
      expect(object.metadata.annotations).toMatchObject({ owner: 'platform' });
    }
    const deployment = objects[2]! as unknown as {
      metadata: { annotations: Record<string, string> };
      spec: { replicas: number; template: { metadata: { labels: Record<string, string> }; spec: { containers: { image: string }[]; volumes: { configMap: { defaultMode: number } }[] } } };
    };
    expect(deployment.metadata.annotations).toEqual({ owner: 'platform', patched: 'strategic-merge' });
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.template.spec.containers[0]!.image).toBe('nginx:1.27');
    // Pod templates are left alone, and the manifests are read as Go reads them.
    expect(deployment.spec.template.metadata.labels).toEqual({ app: 'web' });
    expect(deployment.spec.template.spec.volumes[0]!.configMap.defaultMode).toBe(420);
    // A label value Go's YAML would read as a boolean stays a string.
    expect(stdout).toContain('flag: "on"');
  });

  it('keeps the order Helm rendered in when there is no post-renderer', async () => {
    const { code, stdout } = await runPostRenderer(postRenderPlan(release, {}), rendered);
    expect(code).toBe(0);
    const objects = parseAllDocuments(stdout).map((document) => document.toJS() as Manifest);
    expect(objects.map((object) => object.kind)).toEqual(['Service', 'Deployment', 'Namespace']);
    expect(objects[0]!.metadata.labels).toEqual({ app: 'web', 'helm.toolkit.fluxcd.io/name': 'web', 'helm.toolkit.fluxcd.io/namespace': 'apps' });
    expect(objects[2]!.metadata.annotations).toBeUndefined();
  });

  it('fails with kustomize’s message, naming the post-renderer', async () => {
    const plan = postRenderPlan(release, {
      postRenderers: [{}, { kustomize: { patches: [{ patch: '- op: replace\n  path: /spec/nothing/here\n  value: 3\n', target: { kind: 'Deployment' } }] } }],
    });
    const { code, stdout, stderr } = await runPostRenderer(plan, rendered);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^spec\.postRenderers\[1\]\.kustomize: .*\/spec\/nothing\/here/);
    expect(stderr).not.toContain('kimbernetes-post-render-');
  });

  it('fails on manifests kustomize cannot read, as Flux’s origin labels do', async () => {
    const { code, stderr } = await runPostRenderer(postRenderPlan(release, {}), `${rendered}---\n${rendered}`);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^setting the origin labels: .*already registered id/);
  });
});
