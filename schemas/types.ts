// The `.spec` of every Flux kind in this folder's CRDs, at its storage version, with the
// CRDs' field names and optionality. The CRDs stay the source of truth (the API server
// and kube/crd-schemas.ts check objects against them); these types let code that reads
// a checked spec say what it expects. Defaults are not filled in, so defaulted fields
// are optional here as they are in a user's YAML.

/** A Go duration as Flux writes it: `1m`, `1h30m`, `500ms`. */
export type Duration = string;

// ---- References shared across kinds ----

/** A Secret, ConfigMap or other object in the object's own namespace. */
export interface LocalObjectReference {
  name: string;
}

/** A key of a Secret in the object's own namespace. */
export interface SecretKeyReference {
  name: string;
  key?: string;
}

export interface NamespacedObjectReference {
  name: string;
  namespace?: string;
}

/** A Flux object this one waits for; `readyExpr` is a CEL expression replacing the Ready check. */
export interface DependencyReference {
  /** beyond Flux: the dependency's kind, when not the dependent's own */
  kind?: 'Kustomization' | 'HelmRelease';
  name: string;
  namespace?: string;
  readyExpr?: string;
}

/** A source in this or another namespace, of one of `Kind`. */
export interface CrossNamespaceSourceReference<Kind extends string = string> {
  apiVersion?: string;
  kind: Kind;
  name: string;
  namespace?: string;
}

/** The kinds whose events notification-controller handles and whose reconciles it can request. */
export type EventSourceKind =
  | 'Bucket'
  | 'GitRepository'
  | 'Kustomization'
  | 'HelmRelease'
  | 'HelmChart'
  | 'HelmRepository'
  | 'ImageRepository'
  | 'ImagePolicy'
  | 'ImageUpdateAutomation'
  | 'OCIRepository';

/** Flux objects by name (`*` for all) or by labels, for Alerts and Receivers. */
export interface CrossNamespaceObjectReference {
  apiVersion?: string;
  kind: EventSourceKind;
  name: string;
  namespace?: string;
  matchLabels?: Record<string, string>;
}

/** The kubeconfig of a remote cluster to apply to: exactly one of the two is set. */
export interface KubeConfigReference {
  secretRef?: SecretKeyReference;
  configMapRef?: LocalObjectReference;
}

/** Which namespaces may reference a source across namespaces. */
export interface AccessFrom {
  namespaceSelectors: NamespaceSelector[];
}

export interface NamespaceSelector {
  matchLabels?: Record<string, string>;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

/** Labels and annotations added to every object applied. */
export interface CommonMetadata {
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}

// ---- Kustomize pieces, shared by Kustomization and HelmRelease post-renderers ----

export interface KustomizeSelector {
  group?: string;
  version?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  annotationSelector?: string;
  labelSelector?: string;
}

/** A strategic merge or JSON 6902 patch, applied to the objects `target` selects. */
export interface KustomizePatch {
  patch: string;
  target?: KustomizeSelector;
}

export interface KustomizeImage {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

// ---- Source verification ----

export interface OIDCIdentityMatch {
  issuer: string;
  subject: string;
}

export interface OCIRepositoryVerification {
  provider: 'cosign' | 'notation';
  secretRef?: LocalObjectReference;
  matchOIDCIdentity?: OIDCIdentityMatch[];
}

// ---- source.toolkit.fluxcd.io/v1 ----

export interface GitRepositoryRef {
  branch?: string;
  tag?: string;
  semver?: string;
  name?: string;
  commit?: string;
}

export interface GitRepositoryVerification {
  mode?: 'head' | 'HEAD' | 'Tag' | 'TagAndHEAD';
  secretRef: LocalObjectReference;
}

export interface GitRepositoryInclude {
  repository: LocalObjectReference;
  fromPath?: string;
  toPath?: string;
}

export interface GitRepositorySpec {
  url: string;
  secretRef?: LocalObjectReference;
  provider?: 'generic' | 'azure' | 'github';
  serviceAccountName?: string;
  interval: Duration;
  timeout?: Duration;
  ref?: GitRepositoryRef;
  verify?: GitRepositoryVerification;
  proxySecretRef?: LocalObjectReference;
  ignore?: string;
  suspend?: boolean;
  recurseSubmodules?: boolean;
  include?: GitRepositoryInclude[];
  sparseCheckout?: string[];
}

/** Cloud providers whose workload identity a source can authenticate with. */
export type SourceProvider = 'generic' | 'aws' | 'azure' | 'gcp';

export interface HelmRepositorySpec {
  url: string;
  secretRef?: LocalObjectReference;
  certSecretRef?: LocalObjectReference;
  passCredentials?: boolean;
  interval?: Duration;
  insecure?: boolean;
  timeout?: Duration;
  suspend?: boolean;
  accessFrom?: AccessFrom;
  type?: 'default' | 'oci';
  provider?: SourceProvider;
}

export interface LocalHelmChartSourceReference {
  apiVersion?: string;
  kind: 'HelmRepository' | 'GitRepository' | 'Bucket';
  name: string;
}

export interface HelmChartSpec {
  chart: string;
  version?: string;
  sourceRef: LocalHelmChartSourceReference;
  interval: Duration;
  reconcileStrategy?: 'ChartVersion' | 'Revision';
  valuesFiles?: string[];
  valuesFile?: string;
  ignoreMissingValuesFiles?: boolean;
  suspend?: boolean;
  accessFrom?: AccessFrom;
  verify?: OCIRepositoryVerification;
}

export interface OCIRepositoryRef {
  digest?: string;
  semver?: string;
  semverFilter?: string;
  tag?: string;
}

export interface OCILayerSelector {
  mediaType?: string;
  operation?: 'extract' | 'copy';
}

export interface OCIRepositorySpec {
  url: string;
  ref?: OCIRepositoryRef;
  layerSelector?: OCILayerSelector;
  provider?: SourceProvider;
  secretRef?: LocalObjectReference;
  verify?: OCIRepositoryVerification;
  serviceAccountName?: string;
  certSecretRef?: LocalObjectReference;
  proxySecretRef?: LocalObjectReference;
  interval: Duration;
  timeout?: Duration;
  ignore?: string;
  insecure?: boolean;
  suspend?: boolean;
}

export interface BucketSTSSpec {
  provider: 'aws' | 'ldap';
  endpoint: string;
  secretRef?: LocalObjectReference;
  certSecretRef?: LocalObjectReference;
}

export interface BucketSpec {
  provider?: 'generic' | 'aws' | 'gcp' | 'azure';
  bucketName: string;
  endpoint: string;
  sts?: BucketSTSSpec;
  insecure?: boolean;
  region?: string;
  prefix?: string;
  secretRef?: LocalObjectReference;
  serviceAccountName?: string;
  certSecretRef?: LocalObjectReference;
  proxySecretRef?: LocalObjectReference;
  interval: Duration;
  timeout?: Duration;
  ignore?: string;
  suspend?: boolean;
}

// ---- kustomize.toolkit.fluxcd.io/v1 ----

export interface Decryption {
  provider: 'sops';
  serviceAccountName?: string;
  secretRef?: LocalObjectReference;
}

/** A ConfigMap or Secret whose data fills `${var}` placeholders. */
export interface SubstituteReference {
  kind: 'Secret' | 'ConfigMap';
  name: string;
  optional?: boolean;
}

export interface PostBuild {
  substitute?: Record<string, string>;
  substituteFrom?: SubstituteReference[];
}

/** An object whose health gates the Kustomization's readiness. */
export interface NamespacedObjectKindReference {
  apiVersion?: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** CEL expressions deciding the health of a custom resource kind. */
export interface CustomHealthCheck {
  apiVersion: string;
  /** required in a Kustomization; in a HelmRelease, every kind of the group when omitted */
  kind?: string;
  current: string;
  inProgress?: string;
  failed?: string;
}

export interface KustomizationSpec {
  commonMetadata?: CommonMetadata;
  dependsOn?: DependencyReference[];
  decryption?: Decryption;
  interval: Duration;
  retryInterval?: Duration;
  kubeConfig?: KubeConfigReference;
  path?: string;
  postBuild?: PostBuild;
  prune: boolean;
  deletionPolicy?: 'MirrorPrune' | 'Delete' | 'WaitForTermination' | 'Orphan';
  healthChecks?: NamespacedObjectKindReference[];
  namePrefix?: string;
  nameSuffix?: string;
  patches?: KustomizePatch[];
  images?: KustomizeImage[];
  serviceAccountName?: string;
  sourceRef: CrossNamespaceSourceReference<'OCIRepository' | 'GitRepository' | 'Bucket' | 'ExternalArtifact'>;
  suspend?: boolean;
  targetNamespace?: string;
  timeout?: Duration;
  force?: boolean;
  wait?: boolean;
  components?: string[];
  ignoreMissingComponents?: boolean;
  healthCheckExprs?: CustomHealthCheck[];
}

// ---- helm.toolkit.fluxcd.io/v2 ----

export interface HelmChartTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: HelmChartTemplateSpec;
}

export interface HelmChartTemplateSpec {
  chart: string;
  version?: string;
  sourceRef: CrossNamespaceSourceReference<'HelmRepository' | 'GitRepository' | 'Bucket'>;
  interval?: Duration;
  reconcileStrategy?: 'ChartVersion' | 'Revision';
  valuesFiles?: string[];
  ignoreMissingValuesFiles?: boolean;
  verify?: { provider: 'cosign' | 'notation'; secretRef?: LocalObjectReference };
}

export interface DriftDetection {
  mode?: 'enabled' | 'warn' | 'disabled';
  ignore?: IgnoreRule[];
}

/** JSON pointers to leave out of drift detection, on the objects `target` selects. */
export interface IgnoreRule {
  paths: string[];
  target?: KustomizeSelector;
}

/** A ConfigMap or Secret key holding Helm values. */
export interface ValuesReference {
  kind: 'Secret' | 'ConfigMap';
  name: string;
  valuesKey?: string;
  targetPath?: string;
  optional?: boolean;
}

export interface PostRenderer {
  kustomize?: { patches?: KustomizePatch[]; images?: KustomizeImage[] };
}

export interface HelmReleaseSpec {
  /** exactly one of chart and chartRef is set */
  chart?: HelmChartTemplate;
  chartRef?: CrossNamespaceSourceReference<'OCIRepository' | 'HelmChart' | 'ExternalArtifact'>;
  commonMetadata?: CommonMetadata;
  interval: Duration;
  kubeConfig?: KubeConfigReference;
  suspend?: boolean;
  releaseName?: string;
  targetNamespace?: string;
  storageNamespace?: string;
  dependsOn?: DependencyReference[];
  timeout?: Duration;
  maxHistory?: number;
  serviceAccountName?: string;
  persistentClient?: boolean;
  /** helm-controller v1.5's field; legacy when omitted, as helm-controller v1.4 waits */
  waitStrategy?: { name: 'poller' | 'legacy' };
  /** helm-controller v1.5's field: used by the poller wait strategy */
  healthCheckExprs?: CustomHealthCheck[];
  driftDetection?: DriftDetection;
  // Helm's action settings: the CRD keeps them free-form.
  install?: Record<string, unknown>;
  upgrade?: Record<string, unknown>;
  test?: Record<string, unknown>;
  rollback?: Record<string, unknown>;
  uninstall?: Record<string, unknown>;
  valuesFrom?: ValuesReference[];
  values?: Record<string, unknown>;
  postRenderers?: PostRenderer[];
}

// ---- notification.toolkit.fluxcd.io ----

/** notification.toolkit.fluxcd.io/v1 */
export interface ReceiverSpec {
  type: 'generic' | 'generic-hmac' | 'github' | 'gitlab' | 'bitbucket' | 'harbor' | 'dockerhub' | 'quay' | 'gcr' | 'nexus' | 'acr' | 'cdevents';
  interval?: Duration;
  events?: string[];
  resources: CrossNamespaceObjectReference[];
  resourceFilter?: string;
  secretRef: LocalObjectReference;
  suspend?: boolean;
}

/** notification.toolkit.fluxcd.io/v1beta3 */
export interface AlertSpec {
  providerRef: LocalObjectReference;
  eventSeverity?: 'info' | 'error';
  eventSources: CrossNamespaceObjectReference[];
  inclusionList?: string[];
  eventMetadata?: Record<string, string>;
  exclusionList?: string[];
  summary?: string;
  suspend?: boolean;
}

export type ProviderType =
  | 'slack'
  | 'discord'
  | 'msteams'
  | 'rocket'
  | 'generic'
  | 'generic-hmac'
  | 'github'
  | 'gitlab'
  | 'gitea'
  | 'bitbucketserver'
  | 'bitbucket'
  | 'azuredevops'
  | 'googlechat'
  | 'googlepubsub'
  | 'webex'
  | 'sentry'
  | 'azureeventhub'
  | 'telegram'
  | 'lark'
  | 'matrix'
  | 'opsgenie'
  | 'alertmanager'
  | 'grafana'
  | 'githubdispatch'
  | 'pagerduty'
  | 'datadog'
  | 'nats'
  | 'zulip'
  | 'otel';

/** notification.toolkit.fluxcd.io/v1beta3 */
export interface ProviderSpec {
  type: ProviderType;
  interval?: Duration;
  channel?: string;
  username?: string;
  address?: string;
  timeout?: Duration;
  proxy?: string;
  proxySecretRef?: LocalObjectReference;
  secretRef?: LocalObjectReference;
  serviceAccountName?: string;
  certSecretRef?: LocalObjectReference;
  suspend?: boolean;
  commitStatusExpr?: string;
}

// ---- image.toolkit.fluxcd.io/v1 ----

export interface ImageRepositorySpec {
  image: string;
  interval: Duration;
  timeout?: Duration;
  secretRef?: LocalObjectReference;
  proxySecretRef?: LocalObjectReference;
  serviceAccountName?: string;
  certSecretRef?: LocalObjectReference;
  suspend?: boolean;
  accessFrom?: AccessFrom;
  exclusionList?: string[];
  provider?: SourceProvider;
  insecure?: boolean;
}

/** Exactly one way of ordering tags is set. */
export interface ImagePolicyChoice {
  semver?: { range: string };
  alphabetical?: { order?: 'asc' | 'desc' };
  numerical?: { order?: 'asc' | 'desc' };
}

export interface TagFilter {
  pattern?: string;
  extract?: string;
}

export interface ImagePolicySpec {
  imageRepositoryRef: NamespacedObjectReference;
  policy: ImagePolicyChoice;
  filterTags?: TagFilter;
  digestReflectionPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  interval?: Duration;
  suspend?: boolean;
}

export interface CommitSpec {
  author: { name?: string; email: string };
  signingKey?: { secretRef?: LocalObjectReference };
  messageTemplate?: string;
  messageTemplateValues?: Record<string, string>;
}

export interface PushSpec {
  branch?: string;
  refspec?: string;
  options?: Record<string, string>;
}

export interface GitSpec {
  checkout?: { ref: GitRepositoryRef };
  commit: CommitSpec;
  push?: PushSpec;
}

export interface UpdateStrategy {
  strategy?: 'Setters';
  path?: string;
}

export interface ImageUpdateAutomationSpec {
  sourceRef: CrossNamespaceSourceReference<'GitRepository'>;
  git?: GitSpec;
  interval: Duration;
  policySelector?: LabelSelector;
  update?: UpdateStrategy;
  suspend?: boolean;
}
