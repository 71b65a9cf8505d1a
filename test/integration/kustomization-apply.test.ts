// How a Kustomization applies, against the real API server and the real kubectl: manual
// edits reverted unless `ssa: Merge`; `IfNotPresent`, `Ignore` and `reconcile: disabled`
// honoured (the last keeps an object from prune too); immutable changes recreated only
// when forced; an object the API server refuses fails its whole stage before anything of
// it is written; an unset variable is empty, as in Flux, and a malformed one fails the
// build; SOPS-encrypted Secrets need decryption, with the Kustomization's Secret or the
// worker's --sops-age-secret; healthCheckExprs judge health.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TaskQueue } from '../../common/task-queues.js';
import type { KubernetesObject } from '../../kube/objects.js';
import type { KustomizationStatus } from '../../domain/kustomization-status.js';
import { findCondition } from '../../domain/conditions.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import { parseSettings } from '../../workers/settings.js';
import { requireBinary } from '../../tools/paths.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { newGitRoot, TestRepository } from '../harness/git-servers.js';
import { eventually } from '../harness/eventually.js';
import { ageKey, encrypt } from '../harness/sops.js';

const run = promisify(execFile);

describe('Kustomization apply', () => {
  let workers: TestWorkers;
  let repository: TestRepository;
  let taskQueuePrefix: string;
  const suffix = uniqueSuffix();
  const flux = `flux-${suffix}`;
  const apps = `apps-${suffix}`;
  /** the namespace the workers run in, as a Deployment's RUNTIME_NAMESPACE says: where --sops-age-secret is */
  const runtime = `runtime-${suffix}`;
  const ks = { kind: 'Kustomization' as const, namespace: flux, name: 'apps' };
  const other = (name: string) => ({ kind: 'Kustomization' as const, namespace: flux, name });
  const statusOf = async (name: string) => ((await workers.objects.get(other(name)))?.status ?? {}) as KustomizationStatus;
  const kustomization = (name: string, spec: Record<string, unknown>): KubernetesObject => ({
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace: flux },
    spec: { interval: '1h', retryInterval: '1h', prune: true, sourceRef: { kind: 'GitRepository', name: 'fleet' }, ...spec },
  });
  const source = { kind: 'GitRepository' as const, namespace: flux, name: 'fleet' };
  const status = async () => ((await workers.objects.get(ks))?.status ?? {}) as KustomizationStatus;
  const ready = (s: KustomizationStatus) => findCondition(s.conditions, 'Ready');
  /** Ready is Unknown only while a reconcile is under way. */
  const settled = (s: KustomizationStatus) => ready(s) !== undefined && ready(s)?.status !== 'Unknown';
  const configMap = async (name: string) => (await workers.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: apps, name })) as (KubernetesObject & { data?: Record<string, string> }) | undefined;
  const kubectl = (...args: string[]) => run(requireBinary('kubectl'), ['--kubeconfig', sharedEnvironment().kubeconfigPath, ...args]);

  const manifest = (name: string, data: Record<string, string>, annotations: Record<string, string> = {}, extra = '') =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${apps}\n  annotations: ${JSON.stringify(annotations)}\ndata: ${JSON.stringify(data)}\n${extra}`;

  /** Commits `files` and waits until the source stored that commit; returns its revision. */
  async function publish(files: Record<string, string | null>, message: string): Promise<string> {
    const commit = repository.commit(files, message);
    await reconcileObject(workers.client, source, { taskQueuePrefix });
    const revision = await eventually(
      async () => ((await workers.objects.get(source))?.status as { artifact?: { revision: string } } | undefined)?.artifact?.revision,
      (r) => r?.endsWith(commit) === true,
      { what: `'${message}' stored` },
    );
    return revision!;
  }

  /** Publishes `files`, then waits until the Kustomization handled that revision. */
  async function sync(files: Record<string, string | null>, message: string): Promise<KustomizationStatus> {
    const revision = await publish(files, message);
    await reconcileObject(workers.client, ks, { taskQueuePrefix });
    return eventually(status, (s) => s.lastAttemptedRevision === revision && settled(s), { what: `${message} handled`, timeoutMs: 90_000 });
  }

  /** Forces a reconcile of the same revision (the periodic drift correction). */
  async function reconcileAgain(): Promise<KustomizationStatus> {
    const before = (await status()).lastHandledReconcileAt;
    const requestedAt = new Date().toISOString();
    await workers.kube.apply(
      { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps', namespace: flux, annotations: { 'reconcile.fluxcd.io/requestedAt': requestedAt } } },
      { fieldManager: 'flux-cli' },
    );
    await reconcileObject(workers.client, ks, { taskQueuePrefix });
    return eventually(status, (s) => s.lastHandledReconcileAt === requestedAt && s.lastHandledReconcileAt !== before && settled(s), { what: 'reconciled again' });
  }

  beforeAll(async () => {
    const { access } = parseSettings(['--sops-age-secret=sops-age-global'], { RUNTIME_NAMESPACE: runtime });
    workers = await startTestWorkers('kustomization-apply', [TaskQueue.Source, TaskQueue.Kustomize], { namespace: flux, access });
    taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    repository = new TestRepository(newGitRoot(), 'fleet');
    repository.commit({
      'apps/namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${apps}\n`,
      'apps/override.yaml': manifest('override', { mode: 'git' }),
      'apps/merge.yaml': manifest('merge', { mode: 'git' }, { 'kustomize.toolkit.fluxcd.io/ssa': 'Merge' }),
      'apps/if-not-present.yaml': manifest('if-not-present', { mode: 'git' }, { 'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent' }),
      'apps/disabled.yaml': manifest('disabled', { mode: 'git' }, { 'kustomize.toolkit.fluxcd.io/reconcile': 'disabled' }),
      'apps/frozen.yaml': manifest('frozen', { mode: 'v1' }, {}, 'immutable: true\n'),
      'apps/ignored.yaml': manifest('ignored', { mode: 'git' }),
      'apps/kept.yaml': manifest('kept', { mode: 'git' }),
    });
    await workers.kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: flux } }, { fieldManager: 'test' });
    await workers.kube.apply(
      { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'fleet', namespace: flux }, spec: { url: repository.fileUrl, interval: '1h', ref: { branch: 'main' } } },
      { fieldManager: 'test' },
    );
    await workers.kube.apply(kustomization('apps', { path: './apps', postBuild: { substitute: { region: 'eu' } } }), { fieldManager: 'test' });
    await reconcileObject(workers.client, source, { taskQueuePrefix });
    await reconcileObject(workers.client, ks, { taskQueuePrefix });
    await eventually(status, (s) => ready(s)?.status === 'True', { what: 'first apply', timeoutMs: 90_000 });
  });

  afterAll(async () => {
    for (const namespace of [apps, flux, runtime]) await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.stop();
  });

  it('reverts kubectl edits, but keeps them on objects marked ssa: Merge', async () => {
    await kubectl('-n', apps, 'label', 'configmap', 'override', 'merge', 'edited-by=hand');
    await kubectl('-n', apps, 'patch', 'configmap', 'override', '--type=merge', '-p', '{"data":{"mode":"hand","extra":"hand"}}');
    await kubectl('-n', apps, 'patch', 'configmap', 'merge', '--type=merge', '-p', '{"data":{"mode":"hand","extra":"hand"}}');
    const after = await reconcileAgain();
    expect(ready(after)?.status).toBe('True');

    const override = await configMap('override');
    expect(override?.data).toEqual({ mode: 'git' });
    expect(override?.metadata.labels?.['edited-by']).toBeUndefined();
    // Merge: a field in Git is still Git's, but what kubectl added stays.
    const merge = await configMap('merge');
    expect(merge?.data).toEqual({ mode: 'git', extra: 'hand' });
    expect(merge?.metadata.labels?.['edited-by']).toBe('hand');
  });

  it('leaves IfNotPresent objects and objects excluded in the cluster as they are', async () => {
    // Excluded by hand in the cluster: not updated from now on; and, marked reconcile: disabled, not pruned either.
    await kubectl('-n', apps, 'annotate', 'configmap', 'ignored', 'kustomize.toolkit.fluxcd.io/ssa=Ignore');
    await kubectl('-n', apps, 'label', 'configmap', 'kept', 'kustomize.toolkit.fluxcd.io/reconcile=disabled');
    await sync(
      {
        'apps/if-not-present.yaml': manifest('if-not-present', { mode: 'changed in git' }, { 'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent' }),
        'apps/disabled.yaml': manifest('disabled', { mode: 'changed in git' }, { 'kustomize.toolkit.fluxcd.io/reconcile': 'disabled' }),
        'apps/ignored.yaml': manifest('ignored', { mode: 'changed in git' }),
        'apps/kept.yaml': null,
      },
      'change objects that must not be touched',
    );
    expect((await configMap('if-not-present'))?.data).toEqual({ mode: 'git' });
    // Marked reconcile: disabled in Git from the start: never created, as in Flux.
    expect(await configMap('disabled')).toBeUndefined();
    expect((await configMap('ignored'))?.data).toEqual({ mode: 'git' });
    expect((await configMap('kept'))?.data).toEqual({ mode: 'git' });
  });

  it('fails a stage the API server refuses without writing any of it, naming the object', async () => {
    const before = await status();
    const failed = await sync(
      {
        'apps/override.yaml': manifest('override', { mode: 'next' }),
        'apps/invalid.yaml': `apiVersion: v1\nkind: Service\nmetadata:\n  name: invalid\n  namespace: ${apps}\nspec:\n  ports: [{ port: 99999 }]\n`,
      },
      'add an invalid Service',
    );
    expect(ready(failed)?.reason).toBe('ReconciliationFailed');
    expect(ready(failed)?.message).toContain(`Service/${apps}/invalid dry-run failed`);
    expect(ready(failed)?.message).toContain('99999');
    expect(failed.lastAppliedRevision).toBe(before.lastAppliedRevision);
    expect(failed.inventory).toEqual(before.inventory);
    expect((await configMap('override'))?.data).toEqual({ mode: 'git' });
  });

  it('recreates an object whose immutable field changed only when forced', async () => {
    const frozen = await configMap('frozen');
    const refused = await sync({ 'apps/invalid.yaml': null, 'apps/frozen.yaml': manifest('frozen', { mode: 'v2' }, {}, 'immutable: true\n') }, 'change an immutable ConfigMap');
    expect(ready(refused)?.reason).toBe('ReconciliationFailed');
    expect(ready(refused)?.message).toMatch(new RegExp(`ConfigMap/${apps}/frozen dry-run failed: .*immutable`));
    expect((await configMap('frozen'))?.metadata.uid).toBe(frozen?.metadata.uid);

    const forced = await sync({ 'apps/frozen.yaml': manifest('frozen', { mode: 'v2' }, { 'kustomize.toolkit.fluxcd.io/force': 'Enabled' }, 'immutable: true\n') }, 'force it');
    expect(ready(forced)?.status).toBe('True');
    const recreated = await configMap('frozen');
    expect(recreated?.data).toEqual({ mode: 'v2' });
    expect(recreated?.metadata.uid).not.toBe(frozen?.metadata.uid);
  });

  it('substitutes an unset variable with an empty string, as Flux does by default, and reports a malformed one as BuildFailed, deleting nothing', async () => {
    const substituted = await sync({ 'apps/override.yaml': manifest('override', { region: '${region}', zone: '${region}-${zone}' }) }, 'use an undefined variable');
    expect(ready(substituted)?.status).toBe('True');
    expect((await configMap('override'))?.data).toMatchObject({ region: 'eu', zone: 'eu-' });

    const before = await status();
    const failed = await sync({ 'apps/override.yaml': manifest('override', { region: '${region}', zone: '${zone' }) }, 'leave a variable unclosed');
    expect(ready(failed)?.reason).toBe('BuildFailed');
    expect(ready(failed)?.message).toContain(`post build failed for 'ConfigMap/${apps}/override': envsubst error: variable substitution failed: missing closing brace`);
    expect(failed.inventory).toEqual(before.inventory);
    expect(await configMap('override')).toBeDefined();
  });

  it('refuses an encrypted Secret without decryption, and applies it decrypted with the age key', async () => {
    const key = ageKey();
    const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: ${apps}\nstringData:\n  password: hunter2\n`;
    await publish({ 'secrets/db.yaml': encrypt(secret, key, 'yaml', '^(data|stringData)$') }, 'an encrypted Secret');
    await workers.kube.apply(kustomization('secrets', { path: './secrets' }), { fieldManager: 'test' });
    await reconcileObject(workers.client, other('secrets'), { taskQueuePrefix });
    const refused = await eventually(() => statusOf('secrets'), (s) => ready(s)?.status === 'False', { what: 'refused', timeoutMs: 90_000 });
    expect(ready(refused)?.message).toBe(`Secret/${apps}/db is SOPS encrypted, configuring decryption is required for this secret to be reconciled`);
    const secretRef = { apiVersion: 'v1', kind: 'Secret', namespace: apps, name: 'db' };
    expect(await workers.kube.get(secretRef)).toBeUndefined();

    await workers.kube.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sops-age', namespace: flux }, stringData: { 'identity.agekey': key.identity } }, { fieldManager: 'test' });
    await workers.kube.apply(kustomization('secrets', { path: './secrets', decryption: { provider: 'sops', secretRef: { name: 'sops-age' } } }), { fieldManager: 'test' });
    await reconcileObject(workers.client, other('secrets'), { taskQueuePrefix });
    await eventually(() => statusOf('secrets'), (s) => ready(s)?.status === 'True', { what: 'decrypted and applied', timeoutMs: 90_000 });
    const applied = (await workers.kube.get(secretRef)) as KubernetesObject & { data: Record<string, string> };
    expect(Buffer.from(applied.data.password!, 'base64').toString()).toBe('hunter2');
    expect(applied.sops).toBeUndefined();
    // The key never reaches the status or the events.
    expect(JSON.stringify(await statusOf('secrets'))).not.toContain('AGE-SECRET-KEY');
  });

  it("decrypts with the worker's --sops-age-secret when decryption names no Secret, and says when that Secret is missing", async () => {
    const key = ageKey();
    const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\n  namespace: ${apps}\nstringData:\n  token: s3cr3t\n`;
    await publish({ 'global-secrets/api.yaml': encrypt(secret, key, 'yaml', '^(data|stringData)$') }, "a Secret encrypted for the worker's key");
    await workers.kube.apply(kustomization('global-secrets', { path: './global-secrets', decryption: { provider: 'sops' } }), { fieldManager: 'test' });
    await reconcileObject(workers.client, other('global-secrets'), { taskQueuePrefix });
    const missing = await eventually(() => statusOf('global-secrets'), (s) => ready(s)?.status === 'False', { what: 'the missing Secret reported', timeoutMs: 90_000 });
    expect(ready(missing)?.reason).toBe('BuildFailed');
    expect(ready(missing)?.message).toBe(`decryption Secret '${runtime}/sops-age-global' not found`);

    await workers.kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: runtime } }, { fieldManager: 'test' });
    await workers.kube.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sops-age-global', namespace: runtime }, stringData: { 'identity.agekey': key.identity } }, { fieldManager: 'test' });
    await reconcileObject(workers.client, other('global-secrets'), { taskQueuePrefix });
    await eventually(() => statusOf('global-secrets'), (s) => ready(s)?.status === 'True', { what: 'decrypted and applied', timeoutMs: 90_000 });
    const applied = (await workers.kube.get({ apiVersion: 'v1', kind: 'Secret', namespace: apps, name: 'api' })) as KubernetesObject & { data: Record<string, string> };
    expect(Buffer.from(applied.data.token!, 'base64').toString()).toBe('s3cr3t');
  });

  it('judges health with healthCheckExprs, and stalls on an invalid expression', async () => {
    const state = (value: string) => manifest('gate', { state: value });
    await publish({ 'gated/gate.yaml': state('ready') }, 'a gated ConfigMap');
    const expressions = [{ apiVersion: 'v1', kind: 'ConfigMap', current: "data.state == 'ready'", failed: "data.state == 'broken'" }];
    await workers.kube.apply(kustomization('gated', { path: './gated', wait: true, timeout: '30s', healthCheckExprs: expressions }), { fieldManager: 'test' });
    await reconcileObject(workers.client, other('gated'), { taskQueuePrefix });
    const healthy = await eventually(() => statusOf('gated'), (s) => ready(s)?.status === 'True', { what: 'healthy by expression', timeoutMs: 90_000 });
    expect(findCondition(healthy.conditions, 'Healthy')?.status).toBe('True');

    // Failed by expression: reported at once, not after the 30 s timeout.
    await publish({ 'gated/gate.yaml': state('broken') }, 'break the gate');
    await reconcileObject(workers.client, other('gated'), { taskQueuePrefix });
    const failed = await eventually(() => statusOf('gated'), (s) => ready(s)?.reason === 'HealthCheckFailed', { what: 'HealthCheckFailed', timeoutMs: 20_000 });
    expect(ready(failed)?.message).toContain(`ConfigMap/${apps}/gate`);
    expect(ready(failed)?.message).toContain("failed expression 'data.state == 'broken'' is true");

    await workers.kube.apply(kustomization('gated', { path: './gated', wait: true, healthCheckExprs: [{ ...expressions[0], current: "data.state ==" }] }), { fieldManager: 'test' });
    await reconcileObject(workers.client, other('gated'), { taskQueuePrefix });
    const stalled = await eventually(() => statusOf('gated'), (s) => ready(s)?.reason === 'InvalidCELExpression', { what: 'InvalidCELExpression' });
    expect(findCondition(stalled.conditions, 'Stalled')?.status).toBe('True');
    expect(ready(stalled)?.message).toContain('spec.healthCheckExprs[0].current');
  });
});
