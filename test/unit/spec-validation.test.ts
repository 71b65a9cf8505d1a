// A mistake in any Flux object's spec is named by its field, the same way for every kind.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { schemaKeywords, type SchemaNode } from '../../domain/schema-validation.js';
import { specSchemaFor, validateSpec } from '../../kube/crd-schemas.js';
import type {
  AlertSpec,
  BucketSpec,
  GitRepositorySpec,
  HelmChartSpec,
  HelmReleaseSpec,
  HelmRepositorySpec,
  ImagePolicySpec,
  ImageRepositorySpec,
  ImageUpdateAutomationSpec,
  KustomizationSpec,
  OCIRepositorySpec,
  ProviderSpec,
  ReceiverSpec,
} from '../../schemas/types.js';

const fixturesDir = fileURLToPath(new URL('../fixtures/flux-objects/', import.meta.url));
const schemasDir = fileURLToPath(new URL('../../schemas/', import.meta.url));
const yamlFiles = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.yaml')).sort();

const kustomization = { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization' };
const gitRepository = { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository' };
const helmRelease = { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease' };
const validKustomization = { interval: '10m', prune: true, sourceRef: { kind: 'GitRepository', name: 'flux-system' } };
const messagesOf = (object: { apiVersion: string; kind: string; spec?: unknown }) => validateSpec(object).map((error) => error.message);

describe('spec validation', () => {
  it.each(yamlFiles(fixturesDir))('accepts the Flux sample %s', (file) => {
    const object = parse(readFileSync(join(fixturesDir, file), 'utf8')) as { apiVersion: string; kind: string; spec: unknown };
    expect(validateSpec(object)).toEqual([]);
  });

  it.each([
    ['an interval in words', { ...gitRepository, spec: { url: 'https://github.com/org/fleet', interval: '1 minute' } }, ['spec.interval: must match ^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$, got "1 minute"']],
    ['a Git URL in scp form', { ...gitRepository, spec: { url: 'git@github.com:org/repo', interval: '1m' } }, ['spec.url: must match ^(http|https|ssh|file)://.*$, got "git@github.com:org/repo"']],
    ['a Kustomization without prune', { ...kustomization, spec: { interval: '10m', sourceRef: { kind: 'GitRepository', name: 'flux-system' } } }, ['spec.prune: required']],
    [
      'a Kustomization from a HelmRepository',
      { ...kustomization, spec: { ...validKustomization, sourceRef: { kind: 'HelmRepository', name: 'podinfo' } } },
      ['spec.sourceRef.kind: must be one of OCIRepository, GitRepository, Bucket, ExternalArtifact, got "HelmRepository"'],
    ],
    ['a misspelt field', { ...kustomization, spec: { interval: '10m', prunee: true, sourceRef: { kind: 'GitRepository', name: 'flux-system' } } }, ['spec.prune: required', 'spec.prunee: unknown field']],
    ['a boolean written as a word', { ...kustomization, spec: { ...validKustomization, suspend: 'yes' } }, ['spec.suspend: must be a boolean, got "yes"']],
    ['a dependency without a name', { ...kustomization, spec: { ...validKustomization, dependsOn: [{ namespace: 'infra' }] } }, ['spec.dependsOn[0].name: required']],
    [
      'health checks with their own mistakes',
      { ...kustomization, spec: { ...validKustomization, healthChecks: [{ kind: 'Deployment', name: 'podinfo' }, { name: 'redis', namespce: 'cache' }] } },
      ['spec.healthChecks[1].kind: required', 'spec.healthChecks[1].namespce: unknown field'],
    ],
    ['a number substituted unquoted', { ...kustomization, spec: { ...validKustomization, postBuild: { substitute: { replicas: 3 } } } }, ['spec.postBuild.substitute.replicas: must be a string, got 3']],
    [
      'a label value that is not a string',
      { ...kustomization, spec: { ...validKustomization, commonMetadata: { labels: { 'app.kubernetes.io/part-of': true } } } },
      ['spec.commonMetadata.labels["app.kubernetes.io/part-of"]: must be a string, got true'],
    ],
    ['a list where an object belongs', { ...kustomization, spec: { ...validKustomization, sourceRef: [{ kind: 'GitRepository', name: 'flux-system' }] } }, ['spec.sourceRef: must be an object, got an array']],
    ['a null field', { ...kustomization, spec: { ...validKustomization, path: null } }, ['spec.path: must be a string, got null']],
    [
      'a release name longer than Helm allows',
      { ...helmRelease, spec: { interval: '10m', releaseName: 'a'.repeat(54), chartRef: { kind: 'OCIRepository', name: 'podinfo' } } },
      ['spec.releaseName: must be at most 53 characters long, got 54'],
    ],
    [
      'an empty namespace in an alert source',
      { apiVersion: 'notification.toolkit.fluxcd.io/v1beta3', kind: 'Alert', spec: { providerRef: { name: 'slack' }, eventSources: [{ kind: 'Kustomization', name: '*', namespace: '' }] } },
      ['spec.eventSources[0].namespace: must be at least 1 character long, got ""'],
    ],
    [
      'too many exclusions',
      { apiVersion: 'image.toolkit.fluxcd.io/v1', kind: 'ImageRepository', spec: { image: 'ghcr.io/org/app', interval: '5m', exclusionList: Array.from({ length: 26 }, (_, i) => `^${i}$`) } },
      ['spec.exclusionList: must have at most 25 items, got 26'],
    ],
    [
      'several mistakes at once, in path order',
      { ...kustomization, spec: { sourceRef: { kind: 'GitRepository' }, interval: 10, prune: 'true' } },
      ['spec.interval: must be a string, got 10', 'spec.prune: must be a boolean, got "true"', 'spec.sourceRef.name: required'],
    ],
    ['no spec at all', { ...kustomization }, ['spec.interval: required', 'spec.prune: required', 'spec.sourceRef: required']],
    [
      'a field of the storage version sent to v1beta2',
      { ...kustomization, apiVersion: 'kustomize.toolkit.fluxcd.io/v1beta2', spec: { ...validKustomization, dependsOn: [{ name: 'infra', readyExpr: 'true' }] } },
      ['spec.dependsOn[0].readyExpr: unknown field'],
    ],
    ['a removed API version', { ...kustomization, apiVersion: 'kustomize.toolkit.fluxcd.io/v1beta1', spec: validKustomization }, ['apiVersion: Kustomization is not served as kustomize.toolkit.fluxcd.io/v1beta1; served versions are v1, v1beta2']],
    ['a kind Flux does not have', { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'SvnRepository', spec: {} }, ['kind: no CustomResourceDefinition defines SvnRepository in source.toolkit.fluxcd.io/v1']],
  ])('names the field for %s', (_mistake, object, messages) => {
    expect(messagesOf(object)).toEqual(messages);
  });

  it('reports the path of each problem beside its message', () => {
    expect(validateSpec({ ...kustomization, spec: { ...validKustomization, dependsOn: [{}] } })).toEqual([{ path: 'spec.dependsOn[0].name', message: 'spec.dependsOn[0].name: required' }]);
  });

  it('accepts any Helm values and Helm action settings, which the CRD leaves free-form', () => {
    const spec = {
      interval: '10m',
      chartRef: { kind: 'OCIRepository', name: 'podinfo' },
      install: { crds: 'CreateReplace', anything: { at: ['any', 'depth'] } },
      values: { replicaCount: 2, 'weird key': null, nested: [{ list: [1, 'two', { three: true }] }] },
    };
    expect(validateSpec({ ...helmRelease, spec })).toEqual([]);
  });

  it('checks the declared fields of a spec that keeps unknown ones (HelmRelease v2beta2)', () => {
    expect(messagesOf({ apiVersion: 'helm.toolkit.fluxcd.io/v2beta2', kind: 'HelmRelease', spec: { interval: 'often', anything: 1 } })).toEqual([
      'spec.interval: must match ^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$, got "often"',
    ]);
  });

  it('understands every rule the CRDs use', () => {
    const unknown = new Set<string>();
    const patterns: string[] = [];
    const visit = (node: SchemaNode) => {
      for (const keyword of Object.keys(node)) if (!schemaKeywords.has(keyword)) unknown.add(keyword);
      if (node.pattern !== undefined) patterns.push(node.pattern);
      for (const child of Object.values(node.properties ?? {})) visit(child);
      if (node.items) visit(node.items);
      if (typeof node.additionalProperties === 'object') visit(node.additionalProperties);
    };
    for (const file of yamlFiles(schemasDir)) {
      const crd = parse(readFileSync(join(schemasDir, file), 'utf8')) as { spec: { versions: { schema: { openAPIV3Schema: SchemaNode } }[] } };
      for (const version of crd.spec.versions) visit(version.schema.openAPIV3Schema);
    }
    expect([...unknown]).toEqual([]);
    for (const pattern of patterns) expect(() => new RegExp(pattern, 'u')).not.toThrow();
  });

  it('has no spec schema for an unknown kind or version', () => {
    expect(specSchemaFor('source.toolkit.fluxcd.io/v1', 'GitRepository')?.required).toEqual(['interval', 'url']);
    expect(specSchemaFor('source.toolkit.fluxcd.io/v1beta1', 'GitRepository')).toBeUndefined();
    expect(specSchemaFor('source.toolkit.fluxcd.io/v1', 'SvnRepository')).toBeUndefined();
  });
});

// One spec per kind, typed: `tsc` checks the types of schemas/types.ts against realistic
// objects (taken from the fixtures), and the test checks the CRDs accept the same objects.
const typedSpecs = {
  'source.toolkit.fluxcd.io/v1 GitRepository': {
    interval: '1m0s',
    ref: { branch: 'main' },
    secretRef: { name: 'flux-system' },
    url: 'ssh://git@github.com/example-org/fleet-infra',
  } satisfies GitRepositorySpec,
  'source.toolkit.fluxcd.io/v1 HelmRepository': { interval: '1h', url: 'https://stefanprodan.github.io/podinfo' } satisfies HelmRepositorySpec,
  'source.toolkit.fluxcd.io/v1 HelmChart': {
    chart: 'podinfo',
    version: '6.x',
    sourceRef: { kind: 'HelmRepository', name: 'podinfo' },
    interval: '10m',
    valuesFiles: ['values.yaml', 'values-production.yaml'],
  } satisfies HelmChartSpec,
  'source.toolkit.fluxcd.io/v1 OCIRepository': {
    interval: '5m',
    url: 'oci://ghcr.io/stefanprodan/manifests/podinfo',
    ref: { semver: '>=6.0.0' },
    layerSelector: { mediaType: 'application/vnd.cncf.flux.content.v1.tar+gzip', operation: 'extract' },
  } satisfies OCIRepositorySpec,
  'source.toolkit.fluxcd.io/v1 Bucket': {
    interval: '5m0s',
    provider: 'generic',
    bucketName: 'cluster-manifests',
    endpoint: 'minio.minio.svc.cluster.local:9000',
    secretRef: { name: 'minio-credentials' },
  } satisfies BucketSpec,
  'kustomize.toolkit.fluxcd.io/v1 Kustomization': {
    interval: '10m0s',
    dependsOn: [{ name: 'infra-controllers' }],
    sourceRef: { kind: 'GitRepository', name: 'flux-system' },
    path: './apps/production',
    prune: true,
    postBuild: { substitute: { cluster_name: 'production' }, substituteFrom: [{ kind: 'Secret', name: 'cluster-secrets', optional: true }] },
  } satisfies KustomizationSpec,
  'helm.toolkit.fluxcd.io/v2 HelmRelease': {
    interval: '10m',
    chart: { spec: { chart: 'podinfo', version: '6.x', sourceRef: { kind: 'HelmRepository', name: 'podinfo' } } },
    install: { remediation: { retries: 3 } },
    driftDetection: { mode: 'enabled', ignore: [{ paths: ['/spec/replicas'], target: { kind: 'Deployment' } }] },
    values: { replicaCount: 2 },
    valuesFrom: [{ kind: 'ConfigMap', name: 'podinfo-values', valuesKey: 'values.yaml' }],
  } satisfies HelmReleaseSpec,
  'notification.toolkit.fluxcd.io/v1 Receiver': {
    type: 'github',
    events: ['ping', 'push'],
    secretRef: { name: 'receiver-token' },
    resources: [{ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', name: 'flux-system' }],
  } satisfies ReceiverSpec,
  'notification.toolkit.fluxcd.io/v1beta3 Alert': {
    providerRef: { name: 'slack-bot' },
    eventSeverity: 'error',
    eventSources: [{ kind: 'HelmRelease', name: '*', namespace: '*' }],
    eventMetadata: { env: 'production' },
  } satisfies AlertSpec,
  'notification.toolkit.fluxcd.io/v1beta3 Provider': { type: 'slack', channel: 'flux-alerts', secretRef: { name: 'slack-bot-token' } } satisfies ProviderSpec,
  'image.toolkit.fluxcd.io/v1 ImageRepository': { image: 'ghcr.io/stefanprodan/podinfo', interval: '5m' } satisfies ImageRepositorySpec,
  'image.toolkit.fluxcd.io/v1 ImagePolicy': {
    imageRepositoryRef: { name: 'podinfo' },
    filterTags: { pattern: '^(?P<version>[0-9]+\\.[0-9]+\\.[0-9]+)$', extract: '$version' },
    policy: { semver: { range: '6.x' } },
  } satisfies ImagePolicySpec,
  'image.toolkit.fluxcd.io/v1 ImageUpdateAutomation': {
    interval: '30m',
    sourceRef: { kind: 'GitRepository', name: 'flux-system' },
    git: { checkout: { ref: { branch: 'main' } }, commit: { author: { email: 'fluxcdbot@users.noreply.github.com', name: 'fluxcdbot' } }, push: { branch: 'main' } },
    update: { path: './clusters/production', strategy: 'Setters' },
  } satisfies ImageUpdateAutomationSpec,
};

describe('spec types', () => {
  it.each(Object.entries(typedSpecs))('a typed %s spec is valid', (gvk, spec) => {
    const [apiVersion, kind] = gvk.split(' ') as [string, string];
    expect(validateSpec({ apiVersion, kind, spec })).toEqual([]);
  });
});
