// A HelmRelease's spec, read from the live object: checked against its CRD schema (so a
// mistake is named by its field), then given helm-controller v1.4's defaults (api/v2
// helmrelease_types.go and the internal/action code that reads them): timeout 5m0s, each
// action's timeout falling back to it, maxHistory 5, a persistent client, drift detection
// disabled, the release named `[targetNamespace-]name` and shortened past 53 characters
// (internal/release/name.go), and the HelmChart a `chart` template becomes
// (internal/reconcile/helmchart_template.go).
import { createHash } from 'node:crypto';
import { parseDuration } from './duration.js';
import { kubeConfigRefusal } from './remote-cluster.js';
import type { SpecReading } from './gitrepository-spec.js';
import { specFailure, validateSchema, type SchemaNode } from './schema-validation.js';
import type {
  CommonMetadata,
  CustomHealthCheck,
  DependencyReference,
  HelmChartSpec,
  HelmChartTemplate,
  HelmReleaseSpec as HelmReleaseObjectSpec,
  IgnoreRule,
  KubeConfigReference,
  PostRenderer,
  ValuesReference,
} from '../schemas/types.js';

/** Skip: none; Create: missing CRDs only; CreateReplace: create and replace, never delete. */
export type CrdPolicy = 'Skip' | 'Create' | 'CreateReplace';

/** RemediateOnFailure: retries with remediation between them; RetryOnFailure: the release is retried as it is, every retryInterval. */
export interface ActionStrategy {
  name: 'RemediateOnFailure' | 'RetryOnFailure';
  retryIntervalMs: number;
}

export interface Remediation {
  /** negative: without end */
  retries: number;
  ignoreTestFailures: boolean;
  remediateLastFailure: boolean;
  strategy: 'rollback' | 'uninstall';
}

export interface InstallSettings {
  timeoutMs: number;
  crds: CrdPolicy;
  replace: boolean;
  /** only ever true with a targetNamespace, as Flux passes it to Helm */
  createNamespace: boolean;
  disableHooks: boolean;
  disableOpenAPIValidation: boolean;
  disableSchemaValidation: boolean;
  disableTakeOwnership: boolean;
  disableWait: boolean;
  disableWaitForJobs: boolean;
  strategy: ActionStrategy;
  /** always an uninstall */
  remediation: Remediation;
}

export interface UpgradeSettings {
  timeoutMs: number;
  crds: CrdPolicy;
  cleanupOnFail: boolean;
  disableHooks: boolean;
  disableOpenAPIValidation: boolean;
  disableSchemaValidation: boolean;
  disableTakeOwnership: boolean;
  disableWait: boolean;
  disableWaitForJobs: boolean;
  force: boolean;
  /** Helm's ReuseValues; otherwise ResetValues */
  preserveValues: boolean;
  strategy: ActionStrategy;
  remediation: Remediation;
}

export interface TestSettings {
  enable: boolean;
  timeoutMs: number;
  ignoreFailures: boolean;
  /** `name` runs only the tests named; `exclude` skips them */
  filters: { name: string; exclude: boolean }[];
}

export interface RollbackSettings {
  timeoutMs: number;
  cleanupOnFail: boolean;
  disableHooks: boolean;
  disableWait: boolean;
  disableWaitForJobs: boolean;
  force: boolean;
  recreate: boolean;
}

export interface UninstallSettings {
  timeoutMs: number;
  deletionPropagation: 'background' | 'foreground' | 'orphan';
  disableHooks: boolean;
  disableWait: boolean;
  keepHistory: boolean;
}

export interface HelmReleaseSpec {
  /** the HelmChart template; exactly one of chart and chartRef is set */
  chart?: HelmChartTemplate;
  chartRef?: { kind: 'OCIRepository' | 'HelmChart' | 'ExternalArtifact'; name: string; namespace: string };
  intervalMs: number;
  timeoutMs: number;
  /** Helm's MaxHistory; 0 keeps every revision */
  maxHistory: number;
  /** the name Helm stores the release under, at most 53 characters */
  releaseName: string;
  /** GetReleaseName before shortening, as Flux's failure messages print it */
  releaseNameUnshortened: string;
  /** where the chart's objects go */
  releaseNamespace: string;
  /**
   * where Helm's release Secrets go: by default where the release is installed, as the helm
   * CLI keeps them (Flux's default is the HelmRelease's namespace; see docs/migrating-from-flux.md)
   */
  storageNamespace: string;
  targetNamespace?: string;
  suspend: boolean;
  serviceAccountName?: string;
  persistentClient: boolean;
  kubeConfig?: KubeConfigReference;
  /** HelmReleases, each namespace defaulted to the release's */
  dependsOn: (DependencyReference & { namespace: string })[];
  driftDetection: { mode: 'enabled' | 'warn' | 'disabled'; ignore: IgnoreRule[] };
  /**
   * How install and upgrade wait for the release's objects: `legacy` is Helm v3's own
   * wait (helm-controller v1.4, and so the default here); `poller` judges every object
   * of the release by kstatus and healthCheckExprs (helm-controller v1.5).
   */
  waitStrategy: 'poller' | 'legacy';
  healthCheckExprs: CustomHealthCheck[];
  install: InstallSettings;
  upgrade: UpgradeSettings;
  test: TestSettings;
  rollback: RollbackSettings;
  uninstall: UninstallSettings;
  valuesFrom: ValuesReference[];
  values?: Record<string, unknown>;
  postRenderers: PostRenderer[];
  commonMetadata?: CommonMetadata;
}

const defaultTimeoutMs = 300_000;
const defaultMaxHistory = 5;
const defaultRetryIntervalMs = 300_000;

// The CRD in schemas/ keeps the action settings free-form; these are helm-controller's own
// definitions of them, checked the same way.
const duration: SchemaNode = { type: 'string', pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$' };
const flag: SchemaNode = { type: 'boolean' };
const crds: SchemaNode = { type: 'string', enum: ['Skip', 'Create', 'CreateReplace'] };
const strategy: SchemaNode = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', enum: ['RemediateOnFailure', 'RetryOnFailure'] }, retryInterval: duration },
};
const installRemediation = { retries: { type: 'integer' }, ignoreTestFailures: flag, remediateLastFailure: flag } satisfies Record<string, SchemaNode>;
const waitAndHooks = { timeout: duration, disableHooks: flag, disableWait: flag, disableWaitForJobs: flag } satisfies Record<string, SchemaNode>;
const validation = { disableOpenAPIValidation: flag, disableSchemaValidation: flag, disableTakeOwnership: flag } satisfies Record<string, SchemaNode>;

const actionSchemas: Record<'install' | 'upgrade' | 'test' | 'rollback' | 'uninstall', SchemaNode> = {
  install: {
    type: 'object',
    properties: {
      ...waitAndHooks,
      ...validation,
      remediation: { type: 'object', properties: installRemediation },
      strategy,
      replace: flag,
      skipCRDs: flag,
      crds,
      createNamespace: flag,
    },
  },
  upgrade: {
    type: 'object',
    properties: {
      ...waitAndHooks,
      ...validation,
      remediation: { type: 'object', properties: { ...installRemediation, strategy: { type: 'string', enum: ['rollback', 'uninstall'] } } },
      strategy,
      force: flag,
      preserveValues: flag,
      cleanupOnFail: flag,
      crds,
    },
  },
  test: {
    type: 'object',
    properties: {
      enable: flag,
      timeout: duration,
      ignoreFailures: flag,
      filters: {
        type: 'array',
        items: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 253 }, exclude: flag } },
      },
    },
  },
  rollback: { type: 'object', properties: { ...waitAndHooks, recreate: flag, force: flag, cleanupOnFail: flag } },
  uninstall: {
    type: 'object',
    properties: { timeout: duration, disableHooks: flag, keepHistory: flag, disableWait: flag, deletionPropagation: { type: 'string', enum: ['background', 'foreground', 'orphan'] } },
  },
};

interface Settings {
  timeout?: string;
  remediation?: { retries?: number; ignoreTestFailures?: boolean; remediateLastFailure?: boolean; strategy?: 'rollback' | 'uninstall' };
  strategy?: { name: ActionStrategy['name']; retryInterval?: string };
  crds?: CrdPolicy;
  [flag: string]: unknown;
}

/** `metadata`: the HelmRelease's name and namespace, which the names and defaults derive from. */
export function readHelmReleaseSpec(raw: unknown, schema: SchemaNode, metadata: { name: string; namespace: string }): SpecReading<HelmReleaseSpec> {
  const spec = (raw ?? {}) as HelmReleaseObjectSpec;
  const errors = validateSchema(spec, schema, 'spec');
  for (const action of ['install', 'upgrade', 'test', 'rollback', 'uninstall'] as const) {
    if (spec[action] !== undefined) errors.push(...validateSchema(spec[action], actionSchemas[action], `spec.${action}`));
  }
  const invalid = specFailure(errors);
  if (invalid) return invalid;
  const fail = (field: string, message: string): SpecReading<HelmReleaseSpec> => ({ ok: false, field, message: `spec.${field}: ${message}` });
  // The CRD's CEL rule, which validateSchema leaves to the API server.
  if ((spec.chart === undefined) === (spec.chartRef === undefined)) return fail('chart', 'either chart or chartRef must be set');
  const remote = kubeConfigRefusal(spec.kubeConfig);
  if (remote) return { ok: false, ...remote };
  const intervalMs = parseDuration(spec.interval);
  if (!intervalMs) return fail('interval', `must be longer than 0s, got "${spec.interval}"`);
  const timeoutMs = spec.timeout === undefined ? defaultTimeoutMs : parseDuration(spec.timeout)!;

  const install = (spec.install ?? {}) as Settings;
  const upgrade = (spec.upgrade ?? {}) as Settings;
  const test = (spec.test ?? {}) as Settings & { filters?: { name: string; exclude?: boolean }[] };
  const rollback = (spec.rollback ?? {}) as Settings;
  const uninstall = (spec.uninstall ?? {}) as Settings & { deletionPropagation?: UninstallSettings['deletionPropagation'] };
  const actionTimeout = (settings: Settings) => (settings.timeout === undefined ? timeoutMs : parseDuration(settings.timeout)!);
  const is = (settings: Settings, name: string) => settings[name] === true;
  const testIgnoresFailures = is(test, 'ignoreFailures');
  const releaseNameUnshortened = spec.releaseName || (spec.targetNamespace ? `${spec.targetNamespace}-${metadata.name}` : metadata.name);

  return {
    ok: true,
    spec: {
      chart: spec.chart,
      chartRef: spec.chartRef && { kind: spec.chartRef.kind, name: spec.chartRef.name, namespace: spec.chartRef.namespace || metadata.namespace },
      intervalMs,
      timeoutMs,
      maxHistory: spec.maxHistory ?? defaultMaxHistory,
      releaseName: shortenReleaseName(releaseNameUnshortened),
      releaseNameUnshortened,
      releaseNamespace: spec.targetNamespace || metadata.namespace,
      storageNamespace: spec.storageNamespace || spec.targetNamespace || metadata.namespace,
      targetNamespace: spec.targetNamespace || undefined,
      suspend: spec.suspend === true,
      serviceAccountName: spec.serviceAccountName || undefined,
      persistentClient: spec.persistentClient ?? true,
      kubeConfig: spec.kubeConfig,
      dependsOn: (spec.dependsOn ?? []).map((dependency) => ({ ...dependency, namespace: dependency.namespace || metadata.namespace })),
      driftDetection: { mode: spec.driftDetection?.mode || 'disabled', ignore: spec.driftDetection?.ignore ?? [] },
      waitStrategy: spec.waitStrategy?.name ?? 'legacy',
      healthCheckExprs: spec.healthCheckExprs ?? [],
      install: {
        timeoutMs: actionTimeout(install),
        // crdPolicyOrDefault; the deprecated skipCRDs is no longer read.
        crds: install.crds ?? 'Create',
        replace: is(install, 'replace'),
        createNamespace: Boolean(spec.targetNamespace) && is(install, 'createNamespace'),
        disableHooks: is(install, 'disableHooks'),
        disableOpenAPIValidation: is(install, 'disableOpenAPIValidation'),
        disableSchemaValidation: is(install, 'disableSchemaValidation'),
        disableTakeOwnership: is(install, 'disableTakeOwnership'),
        disableWait: is(install, 'disableWait'),
        disableWaitForJobs: is(install, 'disableWaitForJobs'),
        strategy: strategyOf(install),
        remediation: {
          retries: install.remediation?.retries ?? 0,
          ignoreTestFailures: install.remediation?.ignoreTestFailures ?? testIgnoresFailures,
          remediateLastFailure: install.remediation?.remediateLastFailure ?? false,
          strategy: 'uninstall',
        },
      },
      upgrade: {
        timeoutMs: actionTimeout(upgrade),
        // The API documents Skip, but upgrade.go reads an unset policy with the same
        // crdPolicyOrDefault as install: missing CRDs are created (helm-controller#1588).
        crds: upgrade.crds ?? 'Create',
        cleanupOnFail: is(upgrade, 'cleanupOnFail'),
        disableHooks: is(upgrade, 'disableHooks'),
        disableOpenAPIValidation: is(upgrade, 'disableOpenAPIValidation'),
        disableSchemaValidation: is(upgrade, 'disableSchemaValidation'),
        disableTakeOwnership: is(upgrade, 'disableTakeOwnership'),
        disableWait: is(upgrade, 'disableWait'),
        disableWaitForJobs: is(upgrade, 'disableWaitForJobs'),
        force: is(upgrade, 'force'),
        preserveValues: is(upgrade, 'preserveValues'),
        strategy: strategyOf(upgrade),
        remediation: {
          retries: upgrade.remediation?.retries ?? 0,
          ignoreTestFailures: upgrade.remediation?.ignoreTestFailures ?? testIgnoresFailures,
          // Remediating the last failure is the default once retries are asked for.
          remediateLastFailure: upgrade.remediation?.remediateLastFailure ?? (upgrade.remediation?.retries ?? 0) > 0,
          strategy: upgrade.remediation?.strategy ?? 'rollback',
        },
      },
      test: {
        enable: is(test, 'enable'),
        timeoutMs: actionTimeout(test),
        ignoreFailures: testIgnoresFailures,
        filters: (test.filters ?? []).map((filter) => ({ name: filter.name, exclude: filter.exclude === true })),
      },
      rollback: {
        timeoutMs: actionTimeout(rollback),
        cleanupOnFail: is(rollback, 'cleanupOnFail'),
        disableHooks: is(rollback, 'disableHooks'),
        disableWait: is(rollback, 'disableWait'),
        disableWaitForJobs: is(rollback, 'disableWaitForJobs'),
        force: is(rollback, 'force'),
        recreate: is(rollback, 'recreate'),
      },
      uninstall: {
        timeoutMs: actionTimeout(uninstall),
        deletionPropagation: uninstall.deletionPropagation ?? 'background',
        disableHooks: is(uninstall, 'disableHooks'),
        disableWait: is(uninstall, 'disableWait'),
        keepHistory: is(uninstall, 'keepHistory'),
      },
      valuesFrom: spec.valuesFrom ?? [],
      values: spec.values,
      postRenderers: spec.postRenderers ?? [],
      commonMetadata: spec.commonMetadata,
    },
  };
}

function strategyOf(settings: Settings): ActionStrategy {
  const retryInterval = settings.strategy?.retryInterval;
  return {
    name: settings.strategy?.name ?? 'RemediateOnFailure',
    retryIntervalMs: retryInterval === undefined ? defaultRetryIntervalMs : parseDuration(retryInterval)!,
  };
}

/** RetriesExhausted: `failures` is status.installFailures or status.upgradeFailures. */
export function retriesExhausted(remediation: Remediation, failures: number): boolean {
  return remediation.retries >= 0 && failures > remediation.retries;
}

const maxReleaseNameLength = 53;
const shortHashLength = 12;

/** release.ShortenName: past 53 characters, the first 40, `-`, and 12 hex of the name's sha256. */
export function shortenReleaseName(name: string): string {
  if (name.length <= maxReleaseNameLength) return name;
  const sum = createHash('sha256').update(name).digest('hex');
  return `${name.slice(0, maxReleaseNameLength - (shortHashLength + 1))}-${sum.slice(0, shortHashLength)}`;
}

/** GetHelmChartName: `<namespace>-<name>` of the HelmRelease. */
export function helmChartNameOf(release: { name: string; namespace: string }): string {
  return `${release.namespace}-${release.name}`;
}

/** The HelmChart a `chart` template becomes, as helm-controller applies it (buildHelmChartFromTemplate). */
export interface TemplatedHelmChart {
  apiVersion: 'source.toolkit.fluxcd.io/v1';
  kind: 'HelmChart';
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string> };
  spec: HelmChartSpec;
}

/**
 * The HelmChart for `template` of the HelmRelease `release` whose interval is `interval`: in
 * the source's namespace (the release's when the template names none), owned through
 * helm-controller's labels, fields Go leaves out when empty left out too.
 */
export function helmChartFromTemplate(release: { name: string; namespace: string }, template: HelmChartTemplate, interval: string): TemplatedHelmChart {
  const source = template.spec.sourceRef;
  const spec: HelmChartSpec = {
    chart: template.spec.chart,
    // The CRD's defaults, which an object not yet written through the API server lacks.
    version: template.spec.version || '*',
    sourceRef: { kind: source.kind, name: source.name },
    interval: template.spec.interval ?? interval,
    reconcileStrategy: template.spec.reconcileStrategy || 'ChartVersion',
  };
  if (template.spec.valuesFiles?.length) spec.valuesFiles = template.spec.valuesFiles;
  if (template.spec.ignoreMissingValuesFiles) spec.ignoreMissingValuesFiles = true;
  const verify = template.spec.verify;
  if (verify) spec.verify = { provider: verify.provider || 'cosign', ...(verify.secretRef ? { secretRef: verify.secretRef } : {}) };
  const annotations = template.metadata?.annotations;
  return {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'HelmChart',
    metadata: {
      name: helmChartNameOf(release),
      namespace: source.namespace || release.namespace,
      // ssa SetOwnerLabels, over the template's own labels.
      labels: { ...template.metadata?.labels, 'helm.toolkit.fluxcd.io/name': release.name, 'helm.toolkit.fluxcd.io/namespace': release.namespace },
      ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec,
  };
}

/**
 * Whether status.helmChart names the HelmChart this release's template made (`<namespace>-<name>`):
 * only that one is the release's to delete, never a chart a chartRef names.
 */
export function isTemplatedChart(release: { name: string; namespace: string }, reference: string): boolean {
  return reference.slice(reference.indexOf('/') + 1) === helmChartNameOf(release);
}

/** status.helmChart: `<namespace>/<name>` of the templated HelmChart. */
export function helmChartReferenceOf(release: { name: string; namespace: string }, template: HelmChartTemplate): string {
  return `${template.spec.sourceRef.namespace || release.namespace}/${helmChartNameOf(release)}`;
}
