// What a user sees of a HelmRelease whose cluster state drifted: which objects count as
// drifted, what the ignore rules leave out, and the events, in helm-controller v1.4's
// words. Cases follow fluxcd/helm-controller internal/action/diff_test.go and
// internal/diff/summarize_test.go; messages follow the Go format strings quoted beside them.
import { describe, expect, it } from '@jest/globals';
import {
  briefDriftSummary,
  clusterStateErrorMessage,
  compileIgnoreRules,
  driftCorrectionEvent,
  driftDetectedEvent,
  driftErrorMessage,
  driftOf,
  excludedFromDrift,
  hasDriftChanges,
  IgnoreRuleError,
  ignorePathsOf,
  jsonPatch,
  PointerError,
  ReleaseManifestError,
  releaseObjects,
  summarizeDrift,
  withIgnoredFieldsOf,
  withoutPointers,
  type DriftEntry,
} from '../../domain/helmrelease-drift.js';
import type { KubernetesObject } from '../../kube/objects.js';

const latest = { namespace: 'apps', name: 'podinfo', version: 3, chartVersion: '6.0.3', configDigest: 'sha256:abc' };

const configMap = (name: string, data: Record<string, string>, metadata: Partial<KubernetesObject['metadata']> = {}): KubernetesObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'apps', ...metadata },
  data,
});

/** As the API server returns an object: bookkeeping added. */
const served = (object: KubernetesObject, resourceVersion = '7'): KubernetesObject => ({
  ...object,
  metadata: { ...object.metadata, resourceVersion, uid: 'uid-1', managedFields: [{ manager: 'helm-controller', operation: 'Apply' }] },
});

const helmMetadata = {
  labels: { 'app.kubernetes.io/managed-by': 'Helm' },
  annotations: { 'meta.helm.sh/release-name': 'podinfo', 'meta.helm.sh/release-namespace': 'apps' },
};

// summarize_test.go's set: one of each type.
const entries: DriftEntry[] = [
  { type: 'none', subject: 'ConfigMap/namespace-1/config' },
  { type: 'create', subject: 'Secret/namespace-x/naughty' },
  { type: 'exclude', subject: 'StatefulSet/default/hello-world' },
  {
    type: 'update',
    subject: 'Deployment/tenant-y/touched-me',
    patch: [
      { op: 'add', path: '/a' },
      { op: 'replace', path: '/b' },
      { op: 'replace', path: '/c' },
      { op: 'replace', path: '/d' },
      { op: 'remove', path: '/e' },
      { op: 'remove', path: '/f' },
    ],
  },
];

describe('drift events', () => {
  it('warns of drift with a line per missing, excluded or changed object (internal/diff/summarize.go)', () => {
    // fluxcd/helm-controller internal/reconcile/atomic_release.go:
    //   "Cluster state of release %s has drifted from the desired state:\n%s"
    // fluxcd/helm-controller internal/diff/summarize.go SummarizeDiffSet:
    //   " removed\n", " excluded\n", " changed (%d additions, %d changes, %d removals)\n"
    expect(driftDetectedEvent(latest, entries)).toEqual({
      type: 'Warning',
      reason: 'DriftDetected',
      message:
        'Cluster state of release apps/podinfo.v3 has drifted from the desired state:\n' +
        'Secret/namespace-x/naughty removed\n' +
        'StatefulSet/default/hello-world excluded\n' +
        'Deployment/tenant-y/touched-me changed (1 additions, 3 changes, 2 removals)',
    });
    expect(summarizeDrift([entries[0]!])).toBe('');
  });

  it('counts drift only where something is missing or changed', () => {
    expect(hasDriftChanges(entries)).toBe(true);
    expect(hasDriftChanges([entries[0]!, entries[2]!])).toBe(false);
    // fluxcd/helm-controller internal/diff/summarize.go SummarizeDiffSetBrief: "removed: %d, ", "changed: %d, ", "excluded: %d, "
    expect(briefDriftSummary(entries)).toBe('removed: 1, changed: 1, excluded: 1');
  });

  it('tells what a correction created and configured, annotated with the release', () => {
    // fluxcd/helm-controller internal/reconcile/correct_cluster_drift.go:
    //   "Cluster state of release %s has been corrected:\n%s"
    // fluxcd/pkg ssa/changeset.go ChangeSetEntry.String: "%s %s"
    const event = driftCorrectionEvent(latest, {
      corrections: [
        { subject: 'Secret/apps/test-secret', action: 'created' },
        { subject: 'ConfigMap/apps/test-cm', action: 'configured' },
      ],
      errors: [],
    });
    expect(event).toEqual({
      type: 'Normal',
      reason: 'DriftCorrected',
      message: 'Cluster state of release apps/podinfo.v3 has been corrected:\nSecret/apps/test-secret created\nConfigMap/apps/test-cm configured',
      annotations: { 'helm.toolkit.fluxcd.io/revision': '6.0.3', 'helm.toolkit.fluxcd.io/token': 'sha256:abc' },
    });
    expect(driftCorrectionEvent(latest, { corrections: [], errors: [] })).toBeUndefined();
  });

  it('tells what a correction could not do, and what it did all the same', () => {
    // fluxcd/helm-controller internal/reconcile/correct_cluster_drift.go report():
    //   "Failed to " ["partially "] "correct cluster state of release " <name> ":\n"
    // <one error a line> ["\n\n" "Successful corrections:\n" <change set>]
    const failed = (corrections: { subject: string; action: 'created' | 'configured' }[]) =>
      driftCorrectionEvent(latest, {
        corrections,
        errors: ['Secret/apps/invalid creation failure: illegal base64 data at input byte 6', 'Secret/apps/update patch failure: illegal base64 data at input byte 5'],
      });
    expect(failed([])).toMatchObject({
      type: 'Warning',
      reason: 'DriftCorrectionFailed',
      message:
        'Failed to correct cluster state of release apps/podinfo.v3:\n' +
        'Secret/apps/invalid creation failure: illegal base64 data at input byte 6\n' +
        'Secret/apps/update patch failure: illegal base64 data at input byte 5',
    });
    expect(failed([{ subject: 'ConfigMap/apps/test-cm', action: 'created' }])?.message).toBe(
      'Failed to partially correct cluster state of release apps/podinfo.v3:\n' +
        'Secret/apps/invalid creation failure: illegal base64 data at input byte 6\n' +
        'Secret/apps/update patch failure: illegal base64 data at input byte 5\n\n' +
        'Successful corrections:\n' +
        'ConfigMap/apps/test-cm created',
    );
  });

  it('joins the errors of a diff as Kubernetes aggregates them', () => {
    expect(driftErrorMessage(['a failed'])).toBe('a failed');
    expect(driftErrorMessage(['a failed', 'b failed', 'a failed'])).toBe('[a failed, b failed]');
    // fluxcd/helm-controller internal/reconcile/state.go: "unable to determine cluster state: %w"
    expect(clusterStateErrorMessage(['a failed'])).toBe('unable to determine cluster state: a failed');
  });
});

describe('ignore rules', () => {
  const deployment: KubernetesObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'podinfo', namespace: 'apps', labels: { app: 'podinfo', tier: 'web' }, annotations: { team: 'blue' } },
  };
  const matches = (target: Parameters<typeof compileIgnoreRules>[0][number]['target'], object = deployment) => compileIgnoreRules([{ paths: ['/spec/replicas'], target }])[0]!.matches(object);

  it('applies a rule without target to every object', () => {
    expect(matches(undefined)).toBe(true);
    expect(matches(undefined, configMap('other', {}))).toBe(true);
  });

  it('matches group, version, kind, name and namespace as whole regular expressions', () => {
    expect(matches({ group: 'apps', version: 'v1', kind: 'Deployment', name: 'podinfo', namespace: 'apps' })).toBe(true);
    expect(matches({ name: 'pod' })).toBe(false);
    expect(matches({ name: 'pod.*' })).toBe(true);
    expect(matches({ kind: 'Deployment|StatefulSet' })).toBe(true);
    expect(matches({ group: 'apps' }, configMap('podinfo', {}))).toBe(false);
    expect(matches({ group: '' }, configMap('podinfo', {}))).toBe(true);
    expect(matches({ namespace: 'other' })).toBe(false);
    expect(matches({ name: '(?i)PODINFO' })).toBe(true);
  });

  it('matches label and annotation selectors', () => {
    expect(matches({ labelSelector: 'app=podinfo' })).toBe(true);
    expect(matches({ labelSelector: 'app==podinfo,tier=web' })).toBe(true);
    expect(matches({ labelSelector: 'app=podinfo,tier=db' })).toBe(false);
    expect(matches({ labelSelector: 'app!=podinfo' })).toBe(false);
    expect(matches({ labelSelector: 'tier in (web, db)' })).toBe(true);
    expect(matches({ labelSelector: 'tier notin (web)' })).toBe(false);
    expect(matches({ labelSelector: 'missing notin (web)' })).toBe(true);
    expect(matches({ labelSelector: 'app' })).toBe(true);
    expect(matches({ labelSelector: '!app' })).toBe(false);
    expect(matches({ annotationSelector: 'team=blue' })).toBe(true);
    expect(matches({ annotationSelector: 'team=red' })).toBe(false);
  });

  it('refuses a rule it cannot read, as Flux fails the whole diff', () => {
    expect(() => compileIgnoreRules([{ paths: [], target: { name: '(' } }])).toThrow(IgnoreRuleError);
    expect(() => compileIgnoreRules([{ paths: [], target: { name: '(' } }])).toThrow(/^failed to create ignore rule selector: /);
    expect(() => compileIgnoreRules([{ paths: [], target: { labelSelector: 'app=' + 'x'.repeat(64) } }])).toThrow(IgnoreRuleError);
    expect(() => compileIgnoreRules([{ paths: [], target: { labelSelector: 'app in web' } }])).toThrow(IgnoreRuleError);
  });

  it('collects the paths of every rule that selects the object, in rule order', () => {
    const rules = compileIgnoreRules([
      { paths: ['/spec/replicas'], target: { kind: 'Deployment' } },
      { paths: ['/data/globalKey'] },
      { paths: ['/spec/template'], target: { kind: 'StatefulSet' } },
    ]);
    expect(ignorePathsOf(rules, deployment)).toEqual(['/spec/replicas', '/data/globalKey']);
  });
});

describe('excluded objects', () => {
  it('leaves out an object marked driftDetection: disabled, as a label or an annotation', () => {
    expect(excludedFromDrift(configMap('a', {}, { annotations: { 'helm.toolkit.fluxcd.io/driftDetection': 'disabled' } }), [])).toBe(true);
    expect(excludedFromDrift(configMap('a', {}, { labels: { 'helm.toolkit.fluxcd.io/driftDetection': 'Disabled' } }), [])).toBe(true);
    expect(excludedFromDrift(configMap('a', {}, { labels: { 'helm.toolkit.fluxcd.io/driftDetection': 'enabled' } }), [])).toBe(false);
  });

  it('leaves out an object a rule ignores as a whole (the path "")', () => {
    expect(excludedFromDrift(configMap('a', {}), ['/data/key', ''])).toBe(true);
    expect(excludedFromDrift(configMap('a', {}), ['/data/key'])).toBe(false);
  });
});

describe('ignored JSON pointers', () => {
  const object = { spec: { replicas: 2, 'a/b': 1, 'c~d': 1, ports: [{ port: 1 }, { port: 2 }, { port: 3 }] } };

  it('removes what each pointer points at, one after another, from a copy', () => {
    expect(withoutPointers(object, ['/spec/replicas', '/spec/a~1b', '/spec/c~0d'])).toEqual({ spec: { ports: [{ port: 1 }, { port: 2 }, { port: 3 }] } });
    expect(withoutPointers(object, ['/spec/ports/0', '/spec/ports/0']).spec.ports).toEqual([{ port: 3 }]);
    expect(withoutPointers(object, ['/spec/ports/-1']).spec.ports).toEqual([{ port: 1 }, { port: 2 }]);
    expect(withoutPointers(object, ['/spec/ports/1/port']).spec.ports).toEqual([{ port: 1 }, {}, { port: 3 }]);
    expect(object.spec.replicas).toBe(2);
  });

  it('passes over a path that is not there', () => {
    expect(withoutPointers(object, ['/spec/missing', '/status/x', '/spec/ports/9', '/spec/ports/x/port'])).toEqual(object);
  });

  it('fails on an array index that is not a number, as evanphx/json-patch does', () => {
    expect(() => withoutPointers(object, ['/spec/ports/x'])).toThrow(PointerError);
  });

  it('keeps the live values of ignored fields in what a correction applies', () => {
    const desired = { ...configMap('a', { key: 'value', other: 'value' }), spec: { replicas: 1 } };
    const live = { ...configMap('a', { key: 'changed' }), spec: { replicas: 5 } };
    expect(withIgnoredFieldsOf(desired, live, ['/spec/replicas', '/data/other', ''])).toEqual({ ...configMap('a', { key: 'value' }), spec: { replicas: 5 } });
  });
});

describe("an object's drift", () => {
  it('is create when the object is not in the cluster', () => {
    const desired = configMap('deleted', { key: 'value' });
    expect(driftOf(undefined, desired, [])).toEqual({ type: 'create' });
  });

  it('is none when the dry-run changes nothing but bookkeeping and status', () => {
    const live = { ...served(configMap('unchanged', { key: 'value' }, helmMetadata)), status: { observed: true } };
    const dryRun = served(configMap('unchanged', { key: 'value' }, helmMetadata), '8');
    expect(driftOf(live, dryRun, [])).toEqual({ type: 'none' });
  });

  it('is the patch from the live object to the dry-run result', () => {
    const live = served(configMap('changed', { key: 'changed' }, helmMetadata));
    const dryRun = served(configMap('changed', { key: 'value' }, helmMetadata));
    expect(driftOf(live, dryRun, [])).toEqual({ type: 'update', patch: [{ op: 'replace', path: '/data/key', value: 'value' }] });
  });

  it("counts Helm's missing metadata as one addition, and a label another controller added as none", () => {
    const dryRun = served(configMap('without-helm-metadata', { key: 'value' }, helmMetadata));
    const bare = served(configMap('without-helm-metadata', { key: 'value' }));
    expect(driftOf(bare, dryRun, [])).toEqual({ type: 'update', patch: [{ op: 'add', path: '/metadata', value: { annotations: helmMetadata.annotations, labels: helmMetadata.labels } }] });
    const labelled = served(configMap('without-helm-metadata', { key: 'value' }, { ...helmMetadata, labels: { ...helmMetadata.labels, extra: 'yes' } }));
    expect(driftOf(labelled, dryRun, [])).toEqual({ type: 'none' });
  });

  it('leaves ignored pointers out and masks Secret values', () => {
    const secret = (data: Record<string, string>): KubernetesObject => served({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'partially-ignored', namespace: 'apps' }, data });
    const live = secret({ key: 'Y2hhbmdlZA==', otherKey: 'Y2hhbmdlZA==' });
    const dryRun = secret({ key: 'dmFsdWU=', otherKey: 'b3RoZXJWYWx1ZQ==' });
    expect(driftOf(live, dryRun, ['/data/key'])).toEqual({ type: 'update', patch: [{ op: 'replace', path: '/data/otherKey', value: '***' }] });
    expect(driftOf(live, dryRun, ['/data/key', '/data/otherKey'])).toEqual({ type: 'none' });
  });

  it('replaces a value as a whole where that is shorter than its changes, as jsondiff rationalizes', () => {
    const thing = (spec: Record<string, number>): KubernetesObject => served({ apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 'x' }, spec });
    const all = driftOf(thing({ a: 1, b: 2, c: 3 }), thing({ a: 4, b: 5, c: 6 }), []);
    expect(all).toEqual({ type: 'update', patch: [{ op: 'replace', path: '/spec', value: { a: 4, b: 5, c: 6 } }] });
    const one = driftOf(thing({ a: 1, b: 2, c: 3 }), thing({ a: 4, b: 2, c: 3 }), []);
    expect(one).toEqual({ type: 'update', patch: [{ op: 'replace', path: '/spec/a', value: 4 }] });
    expect(summarizeDrift([{ subject: 'Thing/x', ...all }])).toBe('Thing/x changed (0 additions, 1 changes, 0 removals)');
  });
});

describe('JSON patches', () => {
  // Values long enough that one replace of the whole would be longer than the changes.
  const items = (count: number) => Array.from({ length: count }, (_, index) => `item-number-${index}`);

  it('compares lists index by index: extra items removed at the shorter length, new ones appended', () => {
    expect(jsonPatch({ list: items(7) }, { list: items(5) })).toEqual([
      { op: 'remove', path: '/list/5' },
      { op: 'remove', path: '/list/5' },
    ]);
    expect(jsonPatch({ list: items(5) }, { list: items(6) })).toEqual([{ op: 'add', path: '/list/-', value: 'item-number-5' }]);
    // Two short removals are longer than `{"op":"replace","path":"/list","value":[1,2,3,4,5,6]}`.
    expect(jsonPatch({ list: [1, 2, 3, 4, 5, 6, 7, 8] }, { list: [1, 2, 3, 4, 5, 6] })).toEqual([{ op: 'replace', path: '/list', value: [1, 2, 3, 4, 5, 6] }]);
  });

  it('escapes keys and goes through them in Go order', () => {
    const unchanged = 'x'.repeat(80);
    const paths = jsonPatch({ 'a/b': 1, B: 1, 'c~': 1, unchanged }, { 'a/b': 2, B: 2, 'c~': 2, unchanged }).map((operation) => operation.path);
    expect(paths).toEqual(['/B', '/a~1b', '/c~0']);
  });

  it('replaces a value whose type changed', () => {
    expect(jsonPatch({ spec: { port: '80', name: 'http-port-name' } }, { spec: { port: 80, name: 'http-port-name' } })).toEqual([{ op: 'replace', path: '/spec/port', value: 80 }]);
  });
});

describe("a release's objects", () => {
  const manifest = [
    '---',
    '# Source: podinfo/templates/service.yaml',
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    '  name: podinfo',
    'spec:',
    '  ports:',
    '    - port: 9898',
    'status:',
    '  loadBalancer: {}',
    '---',
    '# Source: podinfo/templates/empty.yaml',
    '--- # a comment',
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: podinfo',
    '  namespace: elsewhere',
    '  labels:',
    '    app: podinfo',
    'spec:',
    '  template:',
    '    spec:',
    '      containers:',
    '        - name: podinfo',
    '          ports:',
    '            - containerPort: 9898',
    '            - containerPort: 9999',
    '              protocol: UDP',
    '---',
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    '  name: token',
    'stringData:',
    '  token: héllo',
    '---',
    'apiVersion: v1',
    'kind: List',
    'items:',
    '  - apiVersion: v1',
    '    kind: ConfigMap',
    '    metadata:',
    '      name: listed',
    '---',
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'metadata:',
    '  name: not-an-object',
    '---',
    'just: values',
  ].join('\n');

  it("reads every object, Lists unpacked, with Helm's metadata, normalized as Flux dry-runs them", () => {
    const objects = releaseObjects({ name: 'podinfo', namespace: 'apps', manifest });
    expect(objects.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual(['Service/podinfo', 'Deployment/podinfo', 'Secret/token', 'ConfigMap/listed']);
    const [service, deployment, secret] = objects;
    expect(service).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'podinfo', ...helmMetadata },
      spec: { ports: [{ port: 9898, protocol: 'TCP' }] },
    });
    expect(deployment!.metadata).toEqual({ name: 'podinfo', namespace: 'elsewhere', labels: { app: 'podinfo', ...helmMetadata.labels }, annotations: helmMetadata.annotations });
    expect((deployment!.spec as { template: { spec: { containers: { ports: unknown }[] } } }).template.spec.containers[0]!.ports).toEqual([
      { containerPort: 9898, protocol: 'TCP' },
      { containerPort: 9999, protocol: 'UDP' },
    ]);
    expect(secret).toMatchObject({ data: { token: Buffer.from('héllo').toString('base64') } });
    expect(secret).not.toHaveProperty('stringData');
  });

  it('reads an empty manifest as no objects, and refuses one that is not YAML', () => {
    expect(releaseObjects({ name: 'podinfo', namespace: 'apps', manifest: '' })).toEqual([]);
    expect(() => releaseObjects({ name: 'podinfo', namespace: 'apps', manifest: 'kind: [' })).toThrow(ReleaseManifestError);
  });
});
