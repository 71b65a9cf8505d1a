// The CRDs of a chart and how a HelmRelease's CRD policy applies them, as Flux's
// helm-controller does before it runs Helm: which files count (crds/ of the chart and of
// every subchart, .yaml/.yml/.json only), read from archives the real `helm package` made
// and checked against `helm show crds`; then Skip, Create and CreateReplace against an
// in-memory API server, with Flux's messages.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { create as createTar } from 'tar';
import { parse } from 'yaml';
import { applyChartCrds } from '../../activities/helmrelease/crds.js';
import { readChartCrds } from '../../helm/chart-crds.js';
import type { KubeClient } from '../../kube/client.js';
import { KubeError } from '../../kube/errors.js';
import { describeReference, type KubernetesObject, type ObjectReference } from '../../kube/objects.js';
import { requireBinary } from '../../tools/paths.js';
import { fileTree } from '../harness/files.js';

const crd = (plural: string, group = 'shop.example.com') => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${plural}.${group}
spec:
  group: ${group}
  names: { kind: ${plural[0]!.toUpperCase()}${plural.slice(1, -1)}, plural: ${plural} }
  scope: Namespaced
  versions: [{ name: v1, served: true, storage: true, schema: { openAPIV3Schema: { type: object } } }]
`;

const chartYaml = (name: string, version: string) => `apiVersion: v2\nname: ${name}\nversion: ${version}\n`;

function helm(...args: string[]): string {
  const home = tmpdir();
  return execFileSync(requireBinary('helm'), args, { encoding: 'utf8', env: { ...process.env, HELM_CACHE_HOME: home, HELM_CONFIG_HOME: home, HELM_DATA_HOME: home } });
}

/** `helm package` of the chart made of `files`: the package's path. */
function packaged(files: Record<string, string | Buffer>): string {
  const dir = fileTree(files, 'chart-');
  const destination = mkdtempSync(join(tmpdir(), 'chart-package-'));
  helm('package', dir, '--destination', destination);
  return join(destination, readdirSync(destination).find((name) => name.endsWith('.tgz'))!);
}

const namesOf = (objects: KubernetesObject[]) => objects.map((object) => object.metadata.name);

/**
 * What Helm itself installs from crds/: `helm template --include-crds` prints each crds/ file
 * after a `# Source: <chart path>/crds/<file>` line; documents later in one file follow
 * without one.
 */
function helmCrdNames(archive: string): string[] {
  let source = '';
  return helm('template', 'release', archive, '--include-crds')
    .split(/^---$/m)
    .filter((document) => {
      source = /^# Source: (\S+)$/m.exec(document)?.[1] ?? source;
      return /\/crds\//.test(source) && parse(document) !== null;
    })
    .map((document) => (parse(document) as KubernetesObject).metadata.name);
}

describe('the CRDs of a chart package', () => {
  const shop = {
    'Chart.yaml': chartYaml('shop', '1.0.0'),
    // Documents in order; an empty one and a comment-only one are no objects.
    'crds/widgets.yaml': `${crd('widgets')}---\n---\n# nothing here\n---\n${crd('wheels')}`,
    'crds/nested/gadgets.yml': crd('gadgets'),
    'crds/sprockets.JSON': JSON.stringify({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'sprockets.shop.example.com' }, spec: {} }),
    // Not manifests: read by nobody.
    'crds/README.md': crd('readmes'),
    'crds/notes.txt': crd('notes'),
    // Outside crds/: a template is rendered by Helm, another file is just a file.
    'templates/orders.yaml': crd('orders'),
    'files/extra.yaml': crd('extras'),
    'charts/db/Chart.yaml': chartYaml('db', '0.1.0'),
    'charts/db/crds/tables.yaml': crd('tables', 'db.example.com'),
    'charts/db/templates/rows.yaml': crd('rows', 'db.example.com'),
  };

  it("reads the chart's crds/ files, then its subcharts', as Helm does", async () => {
    const archive = packaged(shop);
    const names = namesOf(await readChartCrds(archive));
    expect(names).toEqual(['gadgets.shop.example.com', 'sprockets.shop.example.com', 'widgets.shop.example.com', 'wheels.shop.example.com', 'tables.db.example.com']);
    expect(names).toEqual(helmCrdNames(archive));
  });

  it('reads the objects as written, JSON files too', async () => {
    const objects = await readChartCrds(packaged(shop));
    const sprockets = objects.find((object) => object.metadata.name === 'sprockets.shop.example.com')!;
    expect(sprockets).toEqual({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'sprockets.shop.example.com' }, spec: {} });
    const widgets = objects.find((object) => object.metadata.name === 'widgets.shop.example.com')!;
    expect(widgets.spec).toMatchObject({ group: 'shop.example.com', names: { kind: 'Widget', plural: 'widgets' }, scope: 'Namespaced' });
  });

  it('reads subcharts packaged inside the archive, and subcharts of subcharts', async () => {
    const cache = packaged({ 'Chart.yaml': chartYaml('cache', '0.2.0'), 'crds/keys.json': JSON.stringify({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'keys.cache.example.com' } }) });
    const queue = fileTree({
      'queue/Chart.yaml': chartYaml('queue', '0.3.0'),
      'queue/crds/jobs.yaml': crd('jobs', 'queue.example.com'),
      'queue/charts/worker/Chart.yaml': chartYaml('worker', '0.4.0'),
      'queue/charts/worker/crds/tasks.yaml': crd('tasks', 'worker.example.com'),
    });
    await createTar({ gzip: true, file: join(queue, 'queue-0.3.0.tgz'), cwd: queue }, ['queue']);
    // A package as other tools write them: its subcharts stay packages inside it.
    const root = fileTree({
      'app/Chart.yaml': chartYaml('app', '1.0.0'),
      'app/crds/apps.yaml': crd('apps', 'app.example.com'),
      'app/charts/cache-0.2.0.tgz': readFileSync(cache),
      'app/charts/queue-0.3.0.tgz': readFileSync(join(queue, 'queue-0.3.0.tgz')),
    });
    const archive = join(root, 'app-1.0.0.tgz');
    await createTar({ gzip: true, file: archive, cwd: root }, ['app']);
    const names = namesOf(await readChartCrds(archive));
    // The chart's own first, a subchart's before its subcharts'; Helm visits sibling subcharts in no set order.
    expect(names[0]).toBe('apps.app.example.com');
    expect(names.indexOf('jobs.queue.example.com')).toBeLessThan(names.indexOf('tasks.worker.example.com'));
    expect([...names].sort()).toEqual(['apps.app.example.com', 'jobs.queue.example.com', 'keys.cache.example.com', 'tasks.worker.example.com']);
    expect([...names].sort()).toEqual(helmCrdNames(archive).sort());
  });

  it('has none when the chart carries no crds/', async () => {
    expect(await readChartCrds(packaged({ 'Chart.yaml': chartYaml('plain', '1.0.0'), 'templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n' }))).toEqual([]);
  });

  it('flattens a List into its items', async () => {
    const list = { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'a.example.com' } }, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'b.example.com' } }] };
    expect(namesOf(await readChartCrds(packaged({ 'Chart.yaml': chartYaml('listed', '1.0.0'), 'crds/all.json': JSON.stringify(list) })))).toEqual(['a.example.com', 'b.example.com']);
  });

  it("fails in Flux's words on a document that is not an object", async () => {
    const archive = packaged({ 'Chart.yaml': chartYaml('broken', '1.0.0'), 'crds/ok.yaml': crd('fine'), 'crds/bad.yaml': 'metadata:\n  name: nameless\n' });
    await expect(readChartCrds(archive)).rejects.toThrow(`failed to parse CustomResourceDefinitions from crds/bad.yaml: Object 'Kind' is missing in '{"metadata":{"name":"nameless"}}'`);
  });
});

/** An API server for CRDs: creates, replaces (checking resourceVersion) and reads; a CRD is Established once `establishAfter` reads have seen it. */
function apiServer(live: KubernetesObject[] = [], { establishAfter = 0, refuse }: { establishAfter?: number; refuse?: (verb: string, object: KubernetesObject) => KubeError | undefined } = {}) {
  const objects = new Map<string, KubernetesObject>(live.map((object) => [object.metadata.name, { ...object, metadata: { resourceVersion: '1', ...object.metadata } }]));
  const reads = new Map<string, number>();
  const writes: { verb: string; object: KubernetesObject }[] = [];
  const established = (object: KubernetesObject) => ({ ...object, status: { conditions: [{ type: 'NamesAccepted', status: 'True' }, { type: 'Established', status: 'True' }] } });
  const client: KubeClient = {
    async apply() {
      throw new Error('Flux does not apply CRDs server-side');
    },
    async get(ref: ObjectReference) {
      const object = objects.get(ref.name);
      if (!object) return undefined;
      const count = (reads.get(ref.name) ?? 0) + 1;
      reads.set(ref.name, count);
      return count > establishAfter ? established(object) : object;
    },
    async delete() {
      throw new Error('Flux never deletes CRDs');
    },
    async setManagedFields() {},
    async create(object) {
      const refused = refuse?.('create', object);
      if (refused) throw refused;
      const name = object.metadata.name;
      if (objects.has(name)) throw new KubeError(`create ${describeReference({ ...object, name })}: customresourcedefinitions.apiextensions.k8s.io "${name}" already exists`, 409, undefined, true, 'AlreadyExists');
      writes.push({ verb: 'create', object });
      objects.set(name, { ...object, metadata: { ...object.metadata, resourceVersion: '1' } });
      return object;
    },
    async replace(object) {
      const refused = refuse?.('replace', object);
      if (refused) throw refused;
      const name = object.metadata.name;
      const current = objects.get(name)!;
      if (object.metadata.resourceVersion !== current.metadata.resourceVersion) throw new KubeError(`replace CustomResourceDefinition/${name}: the object has been modified`, 409, undefined, true, 'Conflict');
      writes.push({ verb: 'replace', object });
      objects.set(name, { ...object, metadata: { ...object.metadata, resourceVersion: String(Number(current.metadata.resourceVersion) + 1) } });
      return object;
    },
  };
  return { client, objects, writes };
}

const definition = (name: string, spec: Record<string, unknown> = { scope: 'Namespaced' }): KubernetesObject => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name }, spec });
const origin = { namespace: 'apps', name: 'shop' };
const options = { origin, timeoutMs: 10_000 };

describe('the CRD policies of a HelmRelease', () => {
  it('Skip writes nothing', async () => {
    const { client, writes } = apiServer();
    expect(await applyChartCrds(client, [definition('widgets.shop.example.com')], 'Skip', options)).toEqual({ created: [], replaced: [] });
    expect(writes).toEqual([]);
  });

  it('Create creates the missing CRDs with the origin labels and leaves the existing ones', async () => {
    const { client, objects, writes } = apiServer([definition('gadgets.shop.example.com', { scope: 'Cluster' })]);
    const applied = await applyChartCrds(client, [definition('widgets.shop.example.com'), definition('gadgets.shop.example.com')], 'Create', options);
    expect(applied).toEqual({ created: ['widgets.shop.example.com'], replaced: [] });
    expect(writes.map(({ verb, object }) => `${verb} ${object.metadata.name}`)).toEqual(['create widgets.shop.example.com']);
    expect(objects.get('widgets.shop.example.com')!.metadata.labels).toEqual({ 'helm.toolkit.fluxcd.io/name': 'shop', 'helm.toolkit.fluxcd.io/namespace': 'apps' });
    expect(objects.get('gadgets.shop.example.com')!.spec).toEqual({ scope: 'Cluster' });
  });

  it('CreateReplace replaces the existing CRDs whole, over their resourceVersion, and creates the missing ones', async () => {
    const live = { ...definition('gadgets.shop.example.com', { scope: 'Cluster', conversion: { strategy: 'Webhook' } }), metadata: { name: 'gadgets.shop.example.com', resourceVersion: '7', labels: { team: 'a' } } };
    const { client, objects } = apiServer([live, definition('retired.shop.example.com')]);
    const applied = await applyChartCrds(client, [definition('widgets.shop.example.com'), definition('gadgets.shop.example.com')], 'CreateReplace', options);
    expect(applied).toEqual({ created: ['widgets.shop.example.com'], replaced: ['gadgets.shop.example.com'] });
    const gadgets = objects.get('gadgets.shop.example.com')!;
    expect(gadgets.spec).toEqual({ scope: 'Namespaced' });
    expect(gadgets.metadata).toEqual({ name: 'gadgets.shop.example.com', resourceVersion: '8', labels: { 'helm.toolkit.fluxcd.io/name': 'shop', 'helm.toolkit.fluxcd.io/namespace': 'apps' } });
    // A CRD the chart no longer carries is never deleted.
    expect(objects.has('retired.shop.example.com')).toBe(true);
  });

  it('waits for the CRDs it wrote to be Established', async () => {
    const { client } = apiServer([], { establishAfter: 1 });
    const started = Date.now();
    await applyChartCrds(client, [definition('widgets.shop.example.com')], 'Create', options);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
  });

  it("fails in Flux's words", async () => {
    const forbidden = (verb: string, object: KubernetesObject) =>
      new KubeError(`${verb} CustomResourceDefinition/${object.metadata.name}: customresourcedefinitions.apiextensions.k8s.io "${object.metadata.name}" is forbidden: User "system:serviceaccount:apps:shop" cannot ${verb} resource "customresourcedefinitions"`, 403, undefined, false, 'Forbidden');
    const refusing = apiServer([definition('gadgets.shop.example.com'), definition('wheels.shop.example.com')], { refuse: forbidden });
    await expect(applyChartCrds(refusing.client, [definition('widgets.shop.example.com')], 'Create', options)).rejects.toThrow(
      'failed to apply CustomResourceDefinitions: failed to create CustomResourceDefinition widgets.shop.example.com: customresourcedefinitions.apiextensions.k8s.io "widgets.shop.example.com" is forbidden: User "system:serviceaccount:apps:shop" cannot create resource "customresourcedefinitions"',
    );
    await expect(applyChartCrds(refusing.client, [definition('gadgets.shop.example.com'), definition('wheels.shop.example.com')], 'CreateReplace', options)).rejects.toThrow(
      'failed to apply CustomResourceDefinitions: failed to update CustomResourceDefinition(s): failed to replace object: customresourcedefinitions.apiextensions.k8s.io "gadgets.shop.example.com" is forbidden: User "system:serviceaccount:apps:shop" cannot replace resource "customresourcedefinitions" && failed to replace object: customresourcedefinitions.apiextensions.k8s.io "wheels.shop.example.com" is forbidden: User "system:serviceaccount:apps:shop" cannot replace resource "customresourcedefinitions"',
    );
    const never = apiServer([], { establishAfter: Infinity });
    await expect(applyChartCrds(never.client, [definition('widgets.shop.example.com')], 'Create', { origin, timeoutMs: 50 })).rejects.toThrow(
      'failed to apply CustomResourceDefinitions: failed to wait for CustomResourceDefinition(s): context deadline exceeded',
    );
  });
});
