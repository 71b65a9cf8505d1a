// A HelmRelease's spec with helm-controller v1.4's defaults (api/v2 helmrelease_types.go
// Get* methods, internal/action install.go, upgrade.go and crds.go), its release name as
// internal/release/name.go shortens it, and the HelmChart its template becomes
// (internal/reconcile/helmchart_template.go buildHelmChartFromTemplate).
import { describe, expect, it } from '@jest/globals';
import { helmChartFromTemplate, helmChartReferenceOf, readHelmReleaseSpec, retriesExhausted, shortenReleaseName, type HelmReleaseSpec } from '../../domain/helmrelease-spec.js';
import { specSchemaFor } from '../../kube/crd-schemas.js';
import type { HelmChartTemplate } from '../../schemas/types.js';

const schema = specSchemaFor('helm.toolkit.fluxcd.io/v2', 'HelmRelease')!;
const metadata = { name: 'podinfo', namespace: 'apps' };
const chart: HelmChartTemplate = { spec: { chart: 'podinfo', sourceRef: { kind: 'HelmRepository', name: 'podinfo' } } };
const reading = (spec: Record<string, unknown>, meta = metadata) => readHelmReleaseSpec({ interval: '10m', chart, ...spec }, schema, meta);
const read = (spec: Record<string, unknown> = {}, meta = metadata): HelmReleaseSpec => {
  const result = reading(spec, meta);
  if (!result.ok) throw new Error(result.message);
  return result.spec;
};

describe('HelmRelease defaults', () => {
  it('fills in what Flux assumes when a field is left out', () => {
    const spec = read();
    expect(spec).toMatchObject({
      intervalMs: 600_000,
      timeoutMs: 300_000,
      maxHistory: 5,
      releaseName: 'podinfo',
      releaseNamespace: 'apps',
      storageNamespace: 'apps',
      suspend: false,
      persistentClient: true,
      driftDetection: { mode: 'disabled', ignore: [] },
      // helm-controller v1.4 waits as Helm v3 does: the poller is asked for.
      waitStrategy: 'legacy',
      healthCheckExprs: [],
      valuesFrom: [],
      postRenderers: [],
      dependsOn: [],
    });
    expect(spec.install).toEqual({
      timeoutMs: 300_000,
      crds: 'Create',
      replace: false,
      createNamespace: false,
      disableHooks: false,
      disableOpenAPIValidation: false,
      disableSchemaValidation: false,
      disableTakeOwnership: false,
      disableWait: false,
      disableWaitForJobs: false,
      strategy: { name: 'RemediateOnFailure', retryIntervalMs: 300_000 },
      remediation: { retries: 0, ignoreTestFailures: false, remediateLastFailure: false, strategy: 'uninstall' },
    });
    expect(spec.upgrade).toMatchObject({
      // crdPolicyOrDefault serves upgrades too: missing CRDs are created (helm-controller#1588).
      crds: 'Create',
      preserveValues: false,
      force: false,
      remediation: { retries: 0, ignoreTestFailures: false, remediateLastFailure: false, strategy: 'rollback' },
    });
    expect(spec.test).toEqual({ enable: false, timeoutMs: 300_000, ignoreFailures: false, filters: [] });
    expect(spec.rollback).toMatchObject({ timeoutMs: 300_000, recreate: false, force: false });
    expect(spec.uninstall).toEqual({ timeoutMs: 300_000, deletionPropagation: 'background', disableHooks: false, disableWait: false, keepHistory: false });
  });

  it('lets each action’s timeout fall back to spec.timeout', () => {
    const spec = read({ timeout: '10m', upgrade: { timeout: '1m' } });
    expect([spec.install.timeoutMs, spec.upgrade.timeoutMs, spec.test.timeoutMs, spec.rollback.timeoutMs, spec.uninstall.timeoutMs]).toEqual([600_000, 60_000, 600_000, 600_000, 600_000]);
  });

  it('remediates the last upgrade failure by default once retries are asked for', () => {
    expect(read({ upgrade: { remediation: { retries: 3 } } }).upgrade.remediation.remediateLastFailure).toBe(true);
    expect(read({ upgrade: { remediation: { retries: 3, remediateLastFailure: false } } }).upgrade.remediation.remediateLastFailure).toBe(false);
    expect(read({ install: { remediation: { retries: 3 } } }).install.remediation.remediateLastFailure).toBe(false);
  });

  it('ignores test failures in remediation as spec.test does, unless a remediation says otherwise', () => {
    const spec = read({ test: { enable: true, ignoreFailures: true }, upgrade: { remediation: { ignoreTestFailures: false } } });
    expect(spec.install.remediation.ignoreTestFailures).toBe(true);
    expect(spec.upgrade.remediation.ignoreTestFailures).toBe(false);
  });

  it('reads the retry strategy with its 5m default interval', () => {
    expect(read({ install: { strategy: { name: 'RetryOnFailure' } } }).install.strategy).toEqual({ name: 'RetryOnFailure', retryIntervalMs: 300_000 });
    expect(read({ upgrade: { strategy: { name: 'RetryOnFailure', retryInterval: '30s' } } }).upgrade.strategy).toEqual({ name: 'RetryOnFailure', retryIntervalMs: 30_000 });
  });

  it('counts retries as spent once failures outnumber them; negative retries never run out', () => {
    const remediation = read({ upgrade: { remediation: { retries: 2 } } }).upgrade.remediation;
    expect(retriesExhausted(remediation, 2)).toBe(false);
    expect(retriesExhausted(remediation, 3)).toBe(true);
    expect(retriesExhausted(read().install.remediation, 1)).toBe(true);
    expect(retriesExhausted(read({ install: { remediation: { retries: -1 } } }).install.remediation, 100)).toBe(false);
  });

  it('defaults a dependency’s and a chartRef’s namespace to the release’s', () => {
    const spec = read({ chart: undefined, chartRef: { kind: 'OCIRepository', name: 'podinfo' }, dependsOn: [{ name: 'db' }, { name: 'cache', namespace: 'infra' }] });
    expect(spec.chartRef).toEqual({ kind: 'OCIRepository', name: 'podinfo', namespace: 'apps' });
    expect(spec.dependsOn).toEqual([
      { name: 'db', namespace: 'apps' },
      { name: 'cache', namespace: 'infra' },
    ]);
  });
});

describe('release names and namespaces', () => {
  it('prefixes the target namespace and installs there, creating it only then', () => {
    const spec = read({ targetNamespace: 'web', install: { createNamespace: true } });
    // The helm CLI stores a release where it installs it, so the default storage is the
    // target namespace where Flux's is the HelmRelease's (docs/migrating-from-flux.md).
    expect(spec).toMatchObject({ releaseName: 'web-podinfo', releaseNamespace: 'web', storageNamespace: 'web', targetNamespace: 'web' });
    expect(spec.install.createNamespace).toBe(true);
    expect(read({ install: { createNamespace: true } }).install.createNamespace).toBe(false);
    expect(read({ targetNamespace: 'web', releaseName: 'site', storageNamespace: 'helm' })).toMatchObject({ releaseName: 'site', storageNamespace: 'helm' });
  });

  it('shortens a name past 53 characters as Flux does', () => {
    // internal/release/name_test.go
    expect(shortenReleaseName('release-name')).toBe('release-name');
    expect(shortenReleaseName('release-name-with-very-long-name-which-is-longer-than-53-characters')).toBe('release-name-with-very-long-name-which-i-788ca0d0d7b0');
    expect(shortenReleaseName('another-release-name-with-very-long-name-which-is-longer-than-53-characters')).toBe('another-release-name-with-very-long-name-7e72150d5a36');
    expect(shortenReleaseName('')).toBe('');
    // The first 40 characters, `-`, and sha256("a-very-lengthy-target-namespace-with-a-nice-object-name")[:12],
    // by `printf %s … | sha256sum`.
    const spec = read({ targetNamespace: 'a-very-lengthy-target-namespace-with-a-nice' }, { name: 'object-name', namespace: 'apps' });
    expect(spec.releaseName).toBe('a-very-lengthy-target-namespace-with-a-n-97af5d7f41f3');
    expect(spec.releaseNameUnshortened).toBe('a-very-lengthy-target-namespace-with-a-nice-object-name');
  });
});

describe('specs Flux refuses', () => {
  it('requires exactly one of chart and chartRef', () => {
    const both = reading({ chartRef: { kind: 'HelmChart', name: 'x' } });
    expect(both).toEqual({ ok: false, field: 'chart', message: 'spec.chart: either chart or chartRef must be set' });
    expect(reading({ chart: undefined })).toMatchObject({ ok: false, field: 'chart' });
  });

  it('checks the action settings against helm-controller’s definitions', () => {
    expect(reading({ install: { crds: 'Always' } })).toEqual({
      ok: false,
      field: 'install.crds',
      message: 'spec.install.crds: must be one of Skip, Create, CreateReplace, got "Always"',
    });
    expect(reading({ upgrade: { remediation: { strategy: 'retry' } } })).toMatchObject({ ok: false, field: 'upgrade.remediation.strategy' });
    expect(reading({ uninstall: { deletionPropagation: 'now' } })).toMatchObject({ ok: false, field: 'uninstall.deletionPropagation' });
    expect(reading({ test: { filters: [{ exclude: true }] } })).toMatchObject({ ok: false, message: 'spec.test.filters[0].name: required' });
    expect(reading({ rollback: { timeout: '5 minutes' } })).toMatchObject({ ok: false, field: 'rollback.timeout' });
    expect(reading({ install: { retries: 3 } })).toMatchObject({ ok: false, message: 'spec.install.retries: unknown field' });
  });

  it('needs an interval longer than zero', () => {
    expect(reading({ interval: '0s' })).toMatchObject({ ok: false, field: 'interval' });
  });
});

describe('the HelmChart of a chart template', () => {
  it('is named after the release and lives with its source', () => {
    const template: HelmChartTemplate = { spec: { chart: 'podinfo', sourceRef: { kind: 'HelmRepository', name: 'podinfo', namespace: 'flux-system' } } };
    expect(helmChartFromTemplate(metadata, template, '10m')).toEqual({
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'HelmChart',
      metadata: {
        name: 'apps-podinfo',
        namespace: 'flux-system',
        labels: { 'helm.toolkit.fluxcd.io/name': 'podinfo', 'helm.toolkit.fluxcd.io/namespace': 'apps' },
      },
      spec: { chart: 'podinfo', version: '*', sourceRef: { kind: 'HelmRepository', name: 'podinfo' }, interval: '10m', reconcileStrategy: 'ChartVersion' },
    });
    expect(helmChartReferenceOf(metadata, template)).toBe('flux-system/apps-podinfo');
    expect(helmChartReferenceOf(metadata, chart)).toBe('apps/apps-podinfo');
  });

  it('carries over the template’s settings and metadata, the owner labels winning', () => {
    const template: HelmChartTemplate = {
      metadata: { labels: { team: 'web', 'helm.toolkit.fluxcd.io/name': 'other' }, annotations: { note: 'x' } },
      spec: {
        chart: './charts/podinfo',
        version: '6.x',
        sourceRef: { kind: 'GitRepository', name: 'repo' },
        interval: '5m',
        reconcileStrategy: 'Revision',
        valuesFiles: ['values.yaml', 'values-prod.yaml'],
        ignoreMissingValuesFiles: true,
        verify: { provider: 'notation', secretRef: { name: 'keys' } },
      },
    };
    expect(helmChartFromTemplate(metadata, template, '10m')).toEqual({
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'HelmChart',
      metadata: {
        name: 'apps-podinfo',
        namespace: 'apps',
        labels: { team: 'web', 'helm.toolkit.fluxcd.io/name': 'podinfo', 'helm.toolkit.fluxcd.io/namespace': 'apps' },
        annotations: { note: 'x' },
      },
      spec: {
        chart: './charts/podinfo',
        version: '6.x',
        sourceRef: { kind: 'GitRepository', name: 'repo' },
        interval: '5m',
        reconcileStrategy: 'Revision',
        valuesFiles: ['values.yaml', 'values-prod.yaml'],
        ignoreMissingValuesFiles: true,
        verify: { provider: 'notation', secretRef: { name: 'keys' } },
      },
    });
  });
});

describe('HelmRelease remote clusters', () => {
  it('refuses a kubeConfig.configMapRef rather than install on the local cluster', () => {
    const result = reading({ kubeConfig: { configMapRef: { name: 'aks' } } });
    expect(result).toMatchObject({ ok: false, field: 'kubeConfig.configMapRef' });
    expect(!result.ok && result.message).toBe(
      "spec.kubeConfig.configMapRef: secret-less access to a cloud provider's cluster (ConfigMap 'aks') is not supported; give the cluster's kubeconfig in a Secret with spec.kubeConfig.secretRef",
    );
  });
});
