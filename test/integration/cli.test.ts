// The `kimbernetes` CLI against the real stack: every command on a repository
// bootstrapped by the CLI itself, this file's own workers reached by --task-queue-prefix,
// wrong command lines and missing objects. Most commands run in-process through `main`
// with captured output; a few run the real executable.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { TaskQueue } from '../../common/task-queues.js';
import { findCondition, type Condition } from '../../domain/conditions.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { loadKubeConfig } from '../../kube/client.js';
import { main } from '../../cli/main.js';
import type { ObjectSummary } from '../../cli/summaries.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { newGitRoot, startSshGitServer, TestRepository, type SshGitServer } from '../harness/git-servers.js';
import { eventually } from '../harness/eventually.js';
import { requireBinary } from '../../tools/paths.js';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('kimbernetes CLI', () => {
  let workers: TestWorkers;
  let repository: TestRepository;
  let ssh: SshGitServer | undefined;
  let connection: string[];
  const suffix = uniqueSuffix();
  const flux = `flux-${suffix}`;
  const apps = `apps-${suffix}`;
  const ks = (name: string) => ({ kind: 'Kustomization' as const, namespace: flux, name });
  const conditionsOf = (object: KubernetesObject | undefined) => (object?.status as { conditions?: Condition[] } | undefined)?.conditions;

  /** The CLI in this process, against this file's workers and namespace. */
  async function cli(...args: string[]): Promise<Run> {
    let stdout = '';
    let stderr = '';
    const io = { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) }, env: { PATH: process.env.PATH, HOME: process.env.HOME } };
    // Flags given later win, so a test may override the connection.
    const code = await main([...connection, ...args], io);
    return { code, stdout, stderr };
  }

  /** The real executable, as a user runs it. */
  async function executable(command: string, args: string[]): Promise<Run> {
    try {
      const { stdout, stderr } = await promisify(execFile)(command, args, { cwd: repositoryRoot, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failure = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failure.code ?? -1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
    }
  }

  const appsKustomization = `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: ${flux}
spec:
  interval: 1h
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: fleet
  postBuild:
    substitute:
      region: eu
`;
  const configMap = (name: string, data: Record<string, string>) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${apps}\ndata: ${JSON.stringify(data)}\n`;
  const secret = (password: string) =>
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: credentials\n  namespace: ${apps}\ndata:\n  password: ${Buffer.from(password).toString('base64')}\n`;

  beforeAll(async () => {
    workers = await startTestWorkers('cli', [TaskQueue.Source, TaskQueue.Kustomize, TaskQueue.Helm, TaskQueue.Notification], { namespace: flux });
    const taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    const shared = sharedEnvironment();
    connection = ['--kubeconfig', shared.kubeconfigPath, '--temporal-address', shared.temporalAddress, '--temporal-namespace', shared.temporalNamespace, '--task-queue-prefix', taskQueuePrefix, '-n', flux, '--timeout', '90s'];
    repository = new TestRepository(newGitRoot(), 'fleet');
    repository.commit({
      'clusters/test/apps.yaml': appsKustomization,
      'apps/namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${apps}\n`,
      'apps/settings.yaml': configMap('settings', { mode: 'a', region: '${region}' }),
      'apps/extra.yaml': configMap('extra', { kept: 'no' }),
      'apps/credentials.yaml': secret('hunter2'),
    });
  });

  afterAll(async () => {
    await ssh?.stop();
    for (const namespace of [apps, flux]) await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.stop();
  });

  it('rejects wrong command lines with exit code 2 and the usage', async () => {
    const cases = [
      ['get', 'kustomizations', '-o', 'xml'],
      ['reconcile', 'kustomization'],
      ['diff', 'kustomization', 'apps'],
      ['bootstrap', 'git'],
      ['frobnicate'],
      ['get', 'ks', '--no-such-flag'],
      ['events', '--for', 'apps'],
      ['get', 'all', '--timeout', 'soon'],
    ];
    for (const args of cases) {
      const run = await cli(...args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(/^✗ .+\n(Usage: kimbernetes|Commands:)/);
    }
    expect((await cli('reconcile', 'kustomization')).stderr).toContain('✗ NAME is required\nUsage: kimbernetes reconcile kustomization NAME [flags]');
  });

  it('prints help for every level, on stdout, with exit code 0', async () => {
    const overview = await cli('--help');
    expect(overview.code).toBe(0);
    expect(overview.stdout).toContain('reconcile kustomization NAME');
    const group = await cli('get', '--help');
    expect(group.stdout).toContain('get sources git');
    const command = await cli('help', 'diff', 'ks');
    expect(command.stdout).toContain('Usage: kimbernetes diff kustomization NAME [flags]');
    expect(command.stdout).toContain('--path DIR');
  });

  it('installs the CRDs', async () => {
    const run = await cli('install');
    expect(run).toMatchObject({ code: 0 });
    expect(run.stderr).toMatch(/✔ installed 13 CustomResourceDefinitions/);
  });

  it('bootstraps a repository and waits until its root Kustomization is Ready', async () => {
    const exported = await cli('bootstrap', 'git', '--url', repository.fileUrl, '--branch', 'main', '--path', 'clusters/test', '--name', 'fleet', '--interval', '1h', '--export');
    expect(exported.code).toBe(0);
    const documents = parseAllDocuments(exported.stdout).map((d) => d.toJS() as KubernetesObject);
    expect(documents.map((d) => d.kind)).toEqual(['Namespace', 'GitRepository', 'Kustomization']);
    expect(documents[2]!.spec).toEqual({ interval: '10m0s', path: './clusters/test', prune: true, sourceRef: { kind: 'GitRepository', name: 'fleet' } });
    expect(await workers.objects.get({ kind: 'GitRepository', namespace: flux, name: 'fleet' })).toBeUndefined();

    const run = await cli('bootstrap', 'git', '--url', repository.fileUrl, '--branch', 'main', '--path', 'clusters/test', '--name', 'fleet', '--interval', '1h');
    expect(run.stderr).toContain('✔ reconciled sync configuration');
    expect(run.stderr).toMatch(/✔ fetched revision main@sha1:[0-9a-f]{40}/);
    expect(run).toMatchObject({ code: 0 });
    expect(run.stderr).toMatch(/✔ applied revision main@sha1:[0-9a-f]{40}\n✔ bootstrap finished/);
    const root = await workers.objects.get(ks('fleet'));
    expect(findCondition(conditionsOf(root), 'Ready')?.status).toBe('True');
    expect(root?.spec).toMatchObject({ path: './clusters/test', prune: true, interval: '10m0s' });
    // The root applied the apps Kustomization, whose loop starts with its first reconcile.
    expect(await workers.objects.get(ks('apps'))).toBeDefined();
  });

  it('bootstraps over SSH with a private key file, reading known_hosts with ssh-keyscan', async () => {
    ssh = await startSshGitServer();
    const keyFile = join(mkdtempSync(join(tmpdir(), 'kimbernetes-cli-key-')), 'identity');
    writeFileSync(keyFile, ssh.identity, { mode: 0o600 });
    const run = await cli('bootstrap', 'git', '--url', ssh.url(repository), '--path', 'clusters/none', '--name', 'fleet-ssh', '--private-key-file', keyFile);
    // The path does not exist: the source is Ready, the Kustomization fails and says why.
    expect(run.stderr).toMatch(/✔ fetched revision main@sha1:/);
    expect(run.stderr).toMatch(/✗ Kustomization reconciliation failed: .*clusters\/none/);
    expect(run.code).toBe(1);
    const secret = await workers.objects.getSecretData(flux, 'fleet-ssh');
    expect(secret?.identity).toBe(ssh.identity);
    expect(secret?.known_hosts).toMatch(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${ssh.port} ssh-`, 'm'));
    const noKey = await cli('bootstrap', 'git', '--url', ssh.url(repository), '--name', 'fleet-ssh');
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('--private-key-file is required for an ssh:// URL');
  });

  it('reconciles a Kustomization, its source with it, and says how it went', async () => {
    const first = await cli('reconcile', 'kustomization', 'apps');
    expect(first.stderr).toContain('► annotating Kustomization apps in ' + flux + ' namespace');
    expect(first.stderr).toContain('◎ waiting for Kustomization reconciliation');
    expect(first).toMatchObject({ code: 0 });
    expect(first.stderr).toMatch(/✔ applied revision main@sha1:[0-9a-f]{40}/);
    const settings = await workers.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: apps, name: 'settings' });
    expect(settings?.data).toEqual({ mode: 'a', region: 'eu' });

    const commit = repository.commit({ 'apps/settings.yaml': configMap('settings', { mode: 'b', region: '${region}' }) }, 'mode b');
    const withSource = await cli('reconcile', 'ks', 'apps', '--with-source');
    expect(withSource.stderr).toContain(`✔ fetched revision main@sha1:${commit}`);
    expect(withSource.stderr).toContain(`✔ applied revision main@sha1:${commit}`);
    expect(withSource.code).toBe(0);
    expect((await workers.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: apps, name: 'settings' }))?.data).toEqual({ mode: 'b', region: 'eu' });
  });

  it('exits non-zero when the reconcile fails, with the failure', async () => {
    // An unclosed ${...} fails the build whether substitution is strict or not.
    const broken = repository.commit({ 'apps/broken.yaml': configMap('broken', { region: '${region' }) }, 'broken');
    const run = await cli('reconcile', 'kustomization', 'apps', '--with-source');
    expect(run.stderr).toContain(`✔ fetched revision main@sha1:${broken}`);
    expect(run.stderr).toMatch(/✗ Kustomization reconciliation failed: .*post build failed for 'ConfigMap\/.*\/broken': envsubst error: variable substitution failed: missing closing brace/);
    expect(run.code).toBe(1);
    repository.commit({ 'apps/broken.yaml': null }, 'fixed');
    expect((await cli('reconcile', 'kustomization', 'apps', '--with-source')).code).toBe(0);
  });

  it('gets sources, Kustomizations and all, as tables and as JSON, with the loops’ next reconcile', async () => {
    // The previous case's reconcile may still have a follow-up under way: read the loop once it waits.
    const table = await eventually(() => cli('get', 'kustomizations'), (t) => /^apps\s.*\sin \d+m/m.test(t.stdout), { what: 'the apps loop waiting for its next reconcile', timeoutMs: 60_000 });
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^NAME\s+REVISION\s+SUSPENDED\s+READY\s+AGE\s+NEXT RECONCILE\s+MESSAGE$/);
    expect(rows.find((row) => row.startsWith('apps '))).toMatch(/^apps\s+main@sha1:[0-9a-f]{40}\s+False\s+True\s+\d+s\s+in \d+m\d*s?\s+Applied revision: main@sha1:/);

    const all = await cli('get', 'all', '-A');
    expect(all.stdout).toMatch(new RegExp(`^NAMESPACE\\s+NAME\\s+REVISION`, 'm'));
    expect(all.stdout).toMatch(new RegExp(`^${flux}\\s+gitrepository/fleet\\s+main@sha1:`, 'm'));
    expect(all.stdout).toMatch(new RegExp(`^${flux}\\s+kustomization/apps\\s+main@sha1:`, 'm'));

    const json = await cli('get', 'sources', 'git', '-o', 'json');
    const sources = JSON.parse(json.stdout) as ObjectSummary[];
    const fleet = sources.find((s) => s.name === 'fleet');
    expect(fleet).toMatchObject({ kind: 'GitRepository', namespace: flux, ready: 'True', suspended: false, loop: { phase: 'Waiting', failures: 0 } });
    expect(fleet?.revision).toMatch(/^main@sha1:/);

    const yaml = await cli('get', 'ks', '-o', 'yaml');
    expect(yaml.stdout).toContain('name: apps');

    const none = await cli('get', 'helmreleases');
    expect(none).toMatchObject({ code: 0, stdout: '' });
    expect(none.stderr).toContain(`✗ no HelmRelease objects found in ${flux} namespace`);
  });

  it('still shows the status when Temporal is unreachable, and says so', async () => {
    const run = await cli('get', 'kustomizations', '--temporal-address', '127.0.0.1:1');
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/⚠ Temporal at 127\.0\.0\.1:1 is unreachable: .*showing the objects' status without their reconcile loops/);
    expect(run.stdout).toMatch(/^apps\s+main@sha1:\S+\s+False\s+True\s+\S+\s+-\s+Applied revision/m);
  });

  it('suspends and resumes, in the spec and in the loop', async () => {
    const suspended = await cli('suspend', 'kustomization', 'apps');
    expect(suspended.code).toBe(0);
    expect(suspended.stderr).toContain(`► suspending kustomization apps in ${flux} namespace\n✔ kustomization suspended`);
    expect((await workers.objects.get(ks('apps')))?.spec).toMatchObject({ suspend: true });
    await eventually(
      async () => (JSON.parse((await cli('get', 'ks', '-o', 'json')).stdout) as ObjectSummary[]).find((s) => s.name === 'apps'),
      (s) => s?.suspended === true && s.loop?.phase === 'Suspended',
      { what: 'the apps loop suspended' },
    );
    const refused = await cli('reconcile', 'kustomization', 'apps');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`✗ Kustomization '${flux}/apps' is suspended`);

    const resumed = await cli('resume', 'kustomization', 'apps');
    expect(resumed.stderr).toContain('✔ kustomization resumed');
    expect(resumed.stderr).toMatch(/✔ applied revision main@sha1:/);
    expect(resumed.code).toBe(0);
    expect((await workers.objects.get(ks('apps')))?.spec).toMatchObject({ suspend: false });

    expect((await cli('suspend', 'source', 'git', 'fleet')).code).toBe(0);
    const source = await cli('resume', 'source', 'git', 'fleet');
    expect(source.stderr).toMatch(/✔ fetched revision main@sha1:/);
    expect(source.code).toBe(0);
  });

  it('draws the inventory as a tree, nested through the Kustomizations it applied', async () => {
    const run = await cli('tree', 'kustomization', 'fleet');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        `Kustomization/${flux}/fleet`,
        `└── Kustomization/${flux}/apps`,
        `    ├── Namespace/${apps}`,
        `    ├── ConfigMap/${apps}/extra`,
        `    ├── ConfigMap/${apps}/settings`,
        `    └── Secret/${apps}/credentials`,
        '',
      ].join('\n'),
    );
    const json = JSON.parse((await cli('tree', 'ks', 'fleet', '-o', 'json')).stdout) as { resources: { resource: { name: string }; resources: unknown[] }[] };
    expect(json.resources[0]!.resource.name).toBe('apps');
    expect(json.resources[0]!.resources).toHaveLength(4);
  });

  it('builds a local folder with the cluster’s spec, Secret values masked', async () => {
    const run = await cli('build', 'kustomization', 'apps', '--path', join(repository.work, 'apps'));
    expect(run.code).toBe(0);
    const objects = parseAllDocuments(run.stdout).map((d) => d.toJS() as KubernetesObject & { data?: Record<string, string> });
    const settings = objects.find((o) => o.metadata.name === 'settings');
    expect(settings?.data).toEqual({ mode: 'b', region: 'eu' });
    expect(settings?.metadata.labels).toMatchObject({ 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': flux });
    expect(objects.find((o) => o.kind === 'Secret')?.data).toEqual({ password: '*****' });
    expect(run.stdout).not.toContain(Buffer.from('hunter2').toString('base64'));
  });

  it('previews a kubectl edit reverted, as the apply takes kubectl\'s fields over, without writing anything', async () => {
    const kubectl = (...args: string[]) => promisify(execFile)(requireBinary('kubectl'), ['--kubeconfig', sharedEnvironment().kubeconfigPath, '-n', apps, ...args]);
    await kubectl('label', 'configmap', 'settings', 'edited-by=hand');
    try {
      const run = await cli('diff', 'kustomization', 'apps', '--path', join(repository.work, 'apps'));
      expect(run.stdout).toContain(`► ConfigMap/${apps}/settings drifted\n    metadata.labels.edited-by: "hand" → <none>`);
      expect(run.code).toBe(1);
      const live = await workers.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: apps, name: 'settings' });
      expect(live?.metadata.labels?.['edited-by']).toBe('hand');
      expect((live?.metadata.managedFields as { manager?: string }[]).map((entry) => entry.manager)).toContain('kubectl-label');
    } finally {
      await kubectl('label', 'configmap', 'settings', 'edited-by-');
    }
  });

  it('diffs a local folder against the cluster: created, drifted field by field, pruned; exit code 1', async () => {
    const path = join(repository.work, 'apps');
    const same = await cli('diff', 'kustomization', 'apps', '--path', path);
    expect(same.stdout).toBe('');
    expect(same.stderr).toContain('✔ no differences');
    expect(same.code).toBe(0);

    writeFileSync(join(path, 'settings.yaml'), configMap('settings', { mode: 'c', region: '${region}', added: 'yes' }));
    writeFileSync(join(path, 'new.yaml'), configMap('new', { fresh: 'true' }));
    writeFileSync(join(path, 'credentials.yaml'), secret('correct horse'));
    writeFileSync(join(path, 'extra.yaml'), '');
    const changed = await cli('diff', 'kustomization', 'apps', '--path', path);
    expect(changed.stdout).toContain(
      [`► ConfigMap/${apps}/settings drifted`, '    data.added: <none> → "yes"', '    data.mode: "b" → "c"'].join('\n'),
    );
    expect(changed.stdout).toContain(`► Secret/${apps}/credentials drifted\n    data.password: <sensitive value changed>`);
    expect(changed.stdout).toContain(`► ConfigMap/${apps}/new created`);
    expect(changed.stdout).toContain(`► ConfigMap/${apps}/extra deleted`);
    expect(changed.stdout).not.toContain('correct horse');
    expect(changed.code).toBe(1);

    const json = JSON.parse((await cli('diff', 'ks', 'apps', '--path', path, '-o', 'json')).stdout) as { created: string[]; pruned: string[]; changed: { object: string }[] };
    expect(json.created).toEqual([`ConfigMap/${apps}/new`]);
    expect(json.pruned).toEqual([`ConfigMap/${apps}/extra`]);
    // Nothing was applied.
    expect(await workers.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: apps, name: 'new' })).toBeUndefined();
    expect((await workers.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: apps, name: 'settings' }))?.data).toEqual({ mode: 'b', region: 'eu' });
  });

  it('lists the events of Flux objects, for one object too', async () => {
    const run = await cli('events', '--for', 'Kustomization/apps');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/m);
    expect(run.stdout).toMatch(/Normal\s+ReconciliationSucceeded\s+Kustomization\/apps\s+/);
    expect(run.stdout).not.toContain('GitRepository/fleet');
    const all = JSON.parse((await cli('events', '-o', 'json')).stdout) as { object: string; reason: string }[];
    expect(all.some((e) => e.object === 'GitRepository/fleet' && e.reason === 'NewArtifact')).toBe(true);
  });

  it('exports objects as YAML without status or server fields', async () => {
    const one = await cli('export', 'source', 'git', 'fleet');
    expect(one.code).toBe(0);
    const [source] = parseAllDocuments(one.stdout).map((d) => d.toJS() as KubernetesObject);
    expect(source).toEqual({
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      metadata: { name: 'fleet', namespace: flux, annotations: expect.any(Object) },
      spec: { interval: '1h', ref: { branch: 'main' }, url: repository.fileUrl, suspend: false, timeout: '60s' },
    });
    const all = await cli('export', 'kustomization', '--all');
    const names = parseAllDocuments(all.stdout).map((d) => (d.toJS() as KubernetesObject).metadata.name);
    expect(names).toEqual(['apps', 'fleet', 'fleet-ssh']);
    expect(all.stdout).not.toMatch(/status:|managedFields|resourceVersion|uid:/);
  });

  it('checks Temporal, the workers of each controller, the CRDs and the cluster', async () => {
    // By default, the controllers this release reconciles with.
    const run = await cli('check');
    expect(run.stderr).toMatch(/► checking prerequisites\n✔ Kubernetes v\d+\.\d+\.\d+/);
    expect(run.stderr).toMatch(/✔ source-controller: 1 worker polling task queue '.*source-controller'/);
    expect(run.stderr).toMatch(/✔ helm-controller: 1 worker polling task queue '.*helm-controller'/);
    expect(run.stderr).toContain('✔ kustomizations.kustomize.toolkit.fluxcd.io/v1');
    expect(run.stderr).toContain('✔ all checks passed');
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/✔ notification-controller: 1 worker polling task queue '.*notification-controller'/);
    // Nothing polls image-reflector-controller's queue: it has no loops yet.
    const missing = await cli('check', '--components-extra', 'image-reflector-controller', '-o', 'json');
    const report = JSON.parse(missing.stdout) as { ok: boolean; checks: { ok: boolean; message: string }[] };
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => !c.ok)?.message).toMatch(/^image-reflector-controller: no worker polls task queue/);
    expect(missing.code).toBe(1);
  });

  it('says which object is missing, with exit code 1', async () => {
    for (const args of [['reconcile', 'kustomization', 'missing'], ['suspend', 'ks', 'missing'], ['tree', 'kustomization', 'missing'], ['export', 'kustomization', 'missing'], ['diff', 'ks', 'missing', '--path', repository.work]]) {
      const run = await cli(...args);
      expect({ args, code: run.code, failure: run.stderr.split('\n').at(-2) }).toEqual({ args, code: 1, failure: `✗ Kustomization '${flux}/missing' not found` });
    }
    const source = await cli('reconcile', 'source', 'git', 'missing');
    expect(source.stderr).toBe(`✗ GitRepository '${flux}/missing' not found\n`);
  });

  it('uses the kubeconfig context named by --context', async () => {
    const current = loadKubeConfig(sharedEnvironment().kubeconfigPath).getCurrentContext();
    expect((await cli('get', 'sources', 'git', '--context', current)).stdout).toMatch(/^fleet\s+main@sha1:/m);
    const unknown = await cli('get', 'sources', 'git', '--context', 'elsewhere');
    expect(unknown).toMatchObject({ code: 1, stderr: "✗ context 'elsewhere' not found in the kubeconfig\n" });
  });

  it('reads the cluster with a ServiceAccount token, and with an exec plugin the client library runs', async () => {
    const shared = loadKubeConfig(sharedEnvironment().kubeconfigPath);
    const cluster = shared.getCurrentCluster()!;
    const user = shared.getCurrentUser()!;
    const read = (data: string | undefined, file: string | undefined) => data ?? readFileSync(file!).toString('base64');
    const folder = mkdtempSync(join(tmpdir(), 'cli-kubeconfig-'));
    const kubeconfig = (name: string, credentials: Record<string, unknown>) => {
      const path = join(folder, name);
      const config = {
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': name,
        contexts: [{ name, context: { cluster: 'test', user: name } }],
        clusters: [{ name: 'test', cluster: { server: cluster.server, 'certificate-authority-data': read(cluster.caData, cluster.caFile) } }],
        users: [{ name, user: credentials }],
      };
      writeFileSync(path, JSON.stringify(config));
      return path;
    };

    const kubectl = (...args: string[]) => promisify(execFile)(requireBinary('kubectl'), ['--kubeconfig', sharedEnvironment().kubeconfigPath, ...args]);
    await kubectl('-n', flux, 'create', 'serviceaccount', 'reader');
    await kubectl('create', 'clusterrolebinding', `reader-${suffix}`, '--clusterrole', 'cluster-admin', '--serviceaccount', `${flux}:reader`);
    try {
      const token = (await kubectl('-n', flux, 'create', 'token', 'reader')).stdout.trim();
      const withToken = await cli('get', 'sources', 'git', '--kubeconfig', kubeconfig('token', { token }));
      expect(withToken).toMatchObject({ code: 0, stdout: expect.stringMatching(/^fleet\s+main@sha1:/m) });
      const wrongToken = await cli('get', 'sources', 'git', '--kubeconfig', kubeconfig('wrong-token', { token: 'not-a-token' }));
      expect(wrongToken).toMatchObject({ code: 1, stderr: expect.stringContaining('✗ list gitrepositories in namespace') });
      expect(wrongToken.stderr).toContain('Unauthorized');
      expect(wrongToken.stderr).not.toContain('not-a-token');
    } finally {
      await kubectl('delete', 'clusterrolebinding', `reader-${suffix}`);
    }

    // An exec plugin that hands out the shared client certificate, as a cloud's login helper hands out credentials.
    const credential = { apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { clientCertificateData: Buffer.from(read(user.certData, user.certFile), 'base64').toString(), clientKeyData: Buffer.from(read(user.keyData, user.keyFile), 'base64').toString() } };
    writeFileSync(join(folder, 'credential.json'), JSON.stringify(credential));
    const exec = { apiVersion: 'client.authentication.k8s.io/v1', command: 'cat', args: [join(folder, 'credential.json')], interactiveMode: 'Never' };
    const withExec = await cli('get', 'sources', 'git', '--kubeconfig', kubeconfig('exec', { exec }));
    expect(withExec).toMatchObject({ code: 0, stdout: expect.stringMatching(/^fleet\s+main@sha1:/m) });
  });

  it('runs as the package executable and through npm run', async () => {
    const shared = sharedEnvironment();
    const flags = ['--kubeconfig', shared.kubeconfigPath, '--temporal-address', shared.temporalAddress, '-n', flux];
    const get = await executable(process.execPath, ['cli/kimbernetes.js', 'get', 'sources', 'git', ...flags]);
    expect(get.stdout).toMatch(/^fleet\s+main@sha1:/m);
    expect(get.code).toBe(0);
    const wrong = await executable(process.execPath, ['cli/kimbernetes.js', 'get', 'nothing']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("✗ unknown command 'get nothing'");
    const npm = await executable('npm', ['run', '--silent', 'kimbernetes', '--', 'get', 'all', ...flags]);
    expect(npm.stdout).toMatch(/^kustomization\/apps\s+main@sha1:/m);
    expect(npm.code).toBe(0);
  });
});
