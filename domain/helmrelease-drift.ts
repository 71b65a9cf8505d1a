// A HelmRelease's drift detection, as helm-controller v1.4 does it (internal/action/diff.go
// over fluxcd/pkg ssa/jsondiff): the release manifest's objects as Flux dry-run applies them
// (Helm's labels and annotations added, a few known server quirks normalized), the
// spec.driftDetection.ignore rules that select them, and each object's verdict from its
// dry-run and the live object — `create` when missing, `exclude` when marked or wholly
// ignored, else the JSON patch from the live object to the dry-run result: labels and
// annotations (only what the release adds or changes), and all but metadata and status,
// worked out as wI2L/jsondiff does with its Rationalize option, so the counts in the
// events are Flux's. Then the summaries (internal/diff/summarize.go) and the DriftDetected,
// DriftCorrected and DriftCorrectionFailed events (internal/reconcile/atomic_release.go,
// correct_cluster_drift.go).
import { goRegExp, type GoRegExp } from './go-regexp.js';
import { Buffer } from 'node:buffer';
import { anyInMetadata } from '../apply/markers.js';
import { describeReference, referenceOf, type KubernetesObject } from '../kube/objects.js';
import type { IgnoreRule, KustomizeSelector } from '../schemas/types.js';
import type { StatusEvent } from './gitrepository-status.js';
import { compareGoStrings, GoYamlError, readGoYaml, type GoMap, type GoValue } from './go-yaml.js';
import { goJson } from './helmrelease-digest.js';
import type { HelmReleaseSpec } from './helmrelease-spec.js';
import { fullReleaseName, type Snapshot } from './helmrelease-status.js';

export type DriftDetection = HelmReleaseSpec['driftDetection'];

/** MustDetectChanges: drift is looked for in `warn` and `enabled` mode. */
export function detectsDrift(settings: DriftDetection): boolean {
  return settings.mode === 'warn' || settings.mode === 'enabled';
}

/** Only `enabled` corrects what drifted; `warn` only tells. */
export function correctsDrift(settings: DriftDetection): boolean {
  return settings.mode === 'enabled';
}

/** The label or annotation (value `disabled`) that leaves an object out of drift detection. */
export const driftDetectionMarker = 'helm.toolkit.fluxcd.io/driftDetection';
const exclusion = { [driftDetectionMarker]: 'disabled' };

/** jsondiff.DiffType */
export const DriftType = { Create: 'create', Update: 'update', Exclude: 'exclude', None: 'none' } as const;
export type DriftType = (typeof DriftType)[keyof typeof DriftType];

export const DriftEventReason = { Detected: 'DriftDetected', Corrected: 'DriftCorrected', CorrectionFailed: 'DriftCorrectionFailed' } as const;

// ---- the release's objects ----

/** The release manifest cannot be read: Flux's diff fails as a whole. */
export class ReleaseManifestError extends Error {
  override readonly name = 'ReleaseManifestError';
}

const helmLabel = 'app.kubernetes.io/managed-by';
const releaseNameAnnotation = 'meta.helm.sh/release-name';
const releaseNamespaceAnnotation = 'meta.helm.sh/release-namespace';

/**
 * The objects of a release's manifest as Flux diffs them (ssa utils.ReadObjects, normalize
 * UnstructuredListWithScheme, setHelmMetadata), in the manifest's order: documents that are
 * not Kubernetes objects and kustomize configs left out, Lists unpacked, normalized, and
 * given the label and annotations Helm puts on what it creates. Namespaces are as the
 * manifest has them: which kinds are namespaced only the API server knows.
 * Throws ReleaseManifestError.
 */
export function releaseObjects(release: { name: string; namespace: string; manifest?: string }): KubernetesObject[] {
  const objects: KubernetesObject[] = [];
  for (const document of manifestDocuments(release.manifest ?? '')) {
    let value: GoValue | undefined;
    try {
      value = readGoYaml(document);
    } catch (error) {
      if (error instanceof GoYamlError) throw new ReleaseManifestError(`failed to read objects from release manifest: ${error.message}`);
      throw error;
    }
    if (!isMap(value)) continue;
    const items = Array.isArray(value.items) ? value.items.filter(isMap) : [value];
    objects.push(...items.filter(isKubernetesObject).map((item) => item as unknown as KubernetesObject));
  }
  return objects.map((object) => withHelmMetadata(normalizedForApply(object), release));
}

/** The documents of a YAML stream, split where k8s.io/apimachinery's YAMLReader splits: a line `---`, perhaps with a comment. */
function manifestDocuments(manifest: string): string[] {
  const documents: string[] = [];
  let lines: string[] = [];
  for (const line of manifest.split('\n')) {
    const rest = line.startsWith('---') ? line.slice(3).trim() : undefined;
    if (rest === '' || rest?.startsWith('#')) {
      documents.push(lines.join('\n'));
      lines = [];
    } else lines.push(line);
  }
  documents.push(lines.join('\n'));
  return documents;
}

function isMap(value: unknown): value is GoMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** IsKubernetesObject and not IsKustomization. */
function isKubernetesObject(value: GoMap): boolean {
  const { apiVersion, kind, metadata } = value;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !apiVersion || !kind) return false;
  if (!isMap(metadata) || typeof metadata.name !== 'string' || !metadata.name) return false;
  return !(kind.toLowerCase() === 'kustomization' && apiVersion.startsWith('kustomize.config.k8s.io/'));
}

function withHelmMetadata(object: KubernetesObject, release: { name: string; namespace: string }): KubernetesObject {
  const { labels, annotations } = object.metadata;
  return {
    ...object,
    metadata: {
      ...object.metadata,
      labels: { ...labels, [helmLabel]: 'Helm' },
      annotations: { ...annotations, [releaseNameAnnotation]: release.name, [releaseNamespaceAnnotation]: release.namespace },
    },
  };
}

// Where the pod spec is in the kinds whose container ports Flux gives a protocol.
const podSpecPaths: Record<string, string[]> = {
  'v1/Pod': ['spec'],
  'apps/v1/Deployment': ['spec', 'template', 'spec'],
  'apps/v1/StatefulSet': ['spec', 'template', 'spec'],
  'apps/v1/DaemonSet': ['spec', 'template', 'spec'],
  'apps/v1/ReplicaSet': ['spec', 'template', 'spec'],
  'batch/v1/Job': ['spec', 'template', 'spec'],
  'batch/v1/CronJob': ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/**
 * normalize.UnstructuredWithScheme: container and Service ports get the protocol TCP the
 * server would default (else server-side apply mismatches the list keys), a Secret's
 * stringData moves into data, and status goes (a CRD's stays). RBAC Roles are left as
 * they are, as Flux leaves them.
 */
function normalizedForApply(object: KubernetesObject): KubernetesObject {
  const { apiVersion, kind } = object;
  if (apiVersion === 'rbac.authorization.k8s.io/v1' && (kind === 'Role' || kind === 'ClusterRole')) return object;
  const copy = structuredClone(object);
  const podSpec = podSpecPaths[`${apiVersion}/${kind}`];
  if (podSpec) {
    const containers = valueAtPath(copy, [...podSpec, 'containers']);
    for (const container of Array.isArray(containers) ? containers : []) defaultProtocols(isMap(container) ? container.ports : undefined);
  }
  if (apiVersion === 'v1' && kind === 'Service') defaultProtocols(valueAtPath(copy, ['spec', 'ports']));
  if (apiVersion === 'v1' && kind === 'Secret') moveStringData(copy);
  const isCRD = kind.toLowerCase() === 'customresourcedefinition' && apiVersion.startsWith('apiextensions.k8s.io/');
  if (!isCRD) delete copy.status;
  return copy;
}

function valueAtPath(value: unknown, path: string[]): unknown {
  return path.reduce<unknown>((at, key) => (isMap(at) ? at[key] : undefined), value);
}

function defaultProtocols(ports: unknown): void {
  for (const port of Array.isArray(ports) ? ports : []) if (isMap(port) && !port.protocol) port.protocol = 'TCP';
}

const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** normalizeSecret; a Secret Go could not read into its type (data that is not base64) is left alone, as in Flux. */
function moveStringData(secret: KubernetesObject): void {
  const { stringData, data } = secret;
  if (!isMap(stringData) || Object.keys(stringData).length === 0) return;
  if (data !== undefined && data !== null && (!isMap(data) || Object.values(data).some((v) => typeof v !== 'string' || !base64.test(v)))) return;
  if (Object.values(stringData).some((v) => typeof v !== 'string')) return;
  const moved: GoMap = { ...(data as GoMap | undefined) };
  for (const [key, value] of Object.entries(stringData)) moved[key] = Buffer.from(value as string, 'utf8').toString('base64');
  secret.data = moved;
  delete secret.stringData;
}

/**
 * NormalizeDryRunUnstructured: an HPA's dry-run (Kubernetes before 1.27) repeats the first
 * metric and adds an empty one; the repeats and empty ones go.
 */
function normalizedDryRun(object: KubernetesObject): KubernetesObject {
  if (object.kind !== 'HorizontalPodAutoscaler' || (object.apiVersion !== 'autoscaling/v2' && object.apiVersion !== 'autoscaling/v2beta2')) return object;
  const spec = object.spec;
  if (!isMap(spec) || !Array.isArray(spec.metrics)) return object;
  const metrics: GoValue[] = [];
  for (const metric of spec.metrics) if (isMap(metric) && metric.type && !metrics.some((kept) => sameJson(kept, metric))) metrics.push(metric);
  const normalized: GoMap = { ...spec, metrics };
  if (metrics.length === 0) delete normalized.metrics;
  return { ...object, spec: normalized };
}

// ---- ignore rules ----

/** A rule that cannot be read (a bad regular expression or selector): Flux's diff fails as a whole. */
export class IgnoreRuleError extends Error {
  override readonly name = 'IgnoreRuleError';
}

/** One spec.driftDetection.ignore entry, its target ready to match objects. */
export interface IgnoreRuleMatcher {
  paths: readonly string[];
  matches(object: KubernetesObject): boolean;
}

/** The path that ignores an object as a whole (jsondiff.IgnorePathRoot). */
export const wholeObject = '';

/** NewSelectorRegex for each rule; a rule without target applies to every object. Throws IgnoreRuleError. */
export function compileIgnoreRules(rules: readonly IgnoreRule[]): IgnoreRuleMatcher[] {
  return rules.map((rule) => ({ paths: rule.paths ?? [], matches: targetMatcher(rule.target) }));
}

/** The JSON pointers the rules whose target selects `object` ignore, in rule order. */
export function ignorePathsOf(rules: readonly IgnoreRuleMatcher[], object: KubernetesObject): string[] {
  return rules.flatMap((rule) => (rule.matches(object) ? rule.paths : []));
}

/** Whether the object is left out of drift detection: marked `driftDetection: disabled` (label or annotation), or ignored as a whole. */
export function excludedFromDrift(object: KubernetesObject, ignorePaths: readonly string[]): boolean {
  return anyInMetadata(object, exclusion) || ignorePaths.includes(wholeObject);
}

/**
 * SelectorRegex.MatchUnstructured: group, version, kind, name and namespace as anchored
 * regular expressions, annotationSelector and labelSelector as label selectors; an empty
 * field matches anything.
 */
function targetMatcher(target: KustomizeSelector | undefined): (object: KubernetesObject) => boolean {
  if (!target) return () => true;
  const fields = ['group', 'version', 'kind', 'name', 'namespace'] as const;
  const patterns = fields.flatMap((field) => (target[field] ? [[field, anchoredRegExp(target[field])] as const] : []));
  const labels = target.labelSelector ? labelSelector(target.labelSelector) : undefined;
  const annotations = target.annotationSelector ? labelSelector(target.annotationSelector) : undefined;
  return (object) => {
    const slash = object.apiVersion.indexOf('/');
    const values = {
      group: slash < 0 ? '' : object.apiVersion.slice(0, slash),
      version: object.apiVersion.slice(slash + 1),
      kind: object.kind,
      name: object.metadata.name,
      namespace: object.metadata.namespace ?? '',
    };
    if (!patterns.every(([field, pattern]) => pattern.test(values[field]))) return false;
    return (labels?.(object.metadata.labels ?? {}) ?? true) && (annotations?.(object.metadata.annotations ?? {}) ?? true);
  };
}

/** `^(?:pattern)$`, a leading RE2 flag group such as `(?i)` read as the flags it sets. */
function anchoredRegExp(pattern: string): GoRegExp {
  try {
    return goRegExp(pattern, true);
  } catch (error) {
    throw new IgnoreRuleError(`failed to create ignore rule selector: error parsing regexp: ${(error as Error).message}`);
  }
}

type Operator = 'exists' | '!' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';

const qualifiedName = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const selectorSymbols = new Set(['!', '=', '(', ')', ',', '<', '>']);

/** k8s.io/apimachinery labels.Parse: requirements joined by commas, every one must hold. Throws IgnoreRuleError. */
function labelSelector(text: string): (set: Record<string, string>) => boolean {
  const fail = (reason: string): never => {
    throw new IgnoreRuleError(`failed to create ignore rule selector: unable to parse requirement: ${reason}`);
  };
  const tokens: string[] = [];
  for (let at = 0; at < text.length; ) {
    if (/\s/.test(text[at]!)) at += 1;
    else if (selectorSymbols.has(text[at]!)) {
      const two = text.slice(at, at + 2);
      const symbol = two === '!=' || two === '==' ? two : text[at]!;
      tokens.push(symbol);
      at += symbol.length;
    } else {
      let end = at;
      while (end < text.length && !selectorSymbols.has(text[end]!) && !/\s/.test(text[end]!)) end += 1;
      tokens.push(text.slice(at, end));
      at = end;
    }
  }
  let position = 0;
  const next = () => tokens[position++];
  const isIdentifier = (token: string | undefined) => token !== undefined && !selectorSymbols.has(token[0]!);
  const validKey = (key: string) => {
    const slash = key.lastIndexOf('/');
    const [prefix, name] = slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
    const ok = name.length <= 63 && qualifiedName.test(name) && (prefix === undefined || (prefix.length <= 253 && dnsSubdomain.test(prefix)));
    return ok ? key : fail(`key: Invalid value: "${key}": must be a qualified name`);
  };
  const validValue = (value: string) => (value.length <= 63 && labelValue.test(value) ? value : fail(`values[0]: Invalid value: "${value}": must be a valid label value`));

  const requirements: { key: string; operator: Operator; values: string[] }[] = [];
  for (;;) {
    let token = next();
    const negated = token === '!';
    if (negated) token = next();
    if (!isIdentifier(token)) fail(`found '${token ?? ''}', expected: !, identifier, or 'end of string'`);
    const key = validKey(token!);
    if (tokens[position] === undefined || tokens[position] === ',') {
      requirements.push({ key, operator: negated ? '!' : 'exists', values: [] });
    } else {
      if (negated) fail(`found '${tokens[position]}', expected: ',' or 'end of string'`);
      const symbol = next()!;
      const operators: Record<string, Operator> = { '=': '=', '==': '=', '!=': '!=', in: 'in', notin: 'notin', '>': 'gt', '<': 'lt' };
      const operator = operators[symbol] ?? fail(`found '${symbol}', expected: in, notin, =, ==, !=, gt, lt`);
      const values: string[] = [];
      if (operator === 'in' || operator === 'notin') {
        if (next() !== '(') fail(`found '${tokens[position - 1] ?? ''}', expected: '('`);
        while (tokens[position] !== ')') {
          const value = isIdentifier(tokens[position]) ? next()! : '';
          values.push(validValue(value));
          if (tokens[position] === ',') next();
          else if (tokens[position] !== ')') fail(`found '${tokens[position] ?? ''}', expected: ',' or ')'`);
        }
        next();
      } else {
        values.push(isIdentifier(tokens[position]) ? next()! : '');
        if (operator === 'gt' || operator === 'lt') {
          if (!/^-?\d+$/.test(values[0]!)) fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
        } else validValue(values[0]!);
      }
      requirements.push({ key, operator, values });
    }
    const separator = next();
    if (separator === undefined) break;
    if (separator !== ',') fail(`found '${separator}', expected: ',' or 'end of string'`);
  }

  return (set) =>
    requirements.every(({ key, operator, values }) => {
      const value = Object.hasOwn(set, key) ? set[key] : undefined;
      switch (operator) {
        case 'exists':
          return value !== undefined;
        case '!':
          return value === undefined;
        case '=':
        case 'in':
          return value !== undefined && values.includes(value);
        case '!=':
        case 'notin':
          return value === undefined || !values.includes(value);
        case 'gt':
        case 'lt':
          if (value === undefined || !/^-?\d+$/.test(value)) return false;
          return operator === 'gt' ? Number(value) > Number(values[0]) : Number(value) < Number(values[0]);
      }
    });
}

// ---- JSON pointers ----

/** A pointer that cannot be removed (an array index that is not a number): the object's diff fails. */
export class PointerError extends Error {
  override readonly name = 'PointerError';
}

function pointerTokens(pointer: string): string[] {
  // evanphx/json-patch drops whatever stands before the first `/`.
  return pointer
    .split('/')
    .slice(1)
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function arrayIndex(items: readonly unknown[], token: string): number | undefined {
  if (!/^[-+]?\d+$/.test(token)) return undefined;
  const index = Number(token);
  const resolved = index < 0 ? items.length + index : index;
  return resolved >= 0 && resolved < items.length ? resolved : undefined;
}

function valueAt(root: unknown, tokens: readonly string[]): Json | undefined {
  const parent = parentAt(root, tokens);
  const key = tokens.at(-1);
  if (key === undefined) return root as Json;
  if (Array.isArray(parent)) return parent[arrayIndex(parent, key) ?? -1] as Json | undefined;
  return isMap(parent) ? parent[key] : undefined;
}

/** The container a pointer's last token is in, if the path to it is there. */
function parentAt(root: unknown, tokens: readonly string[]): unknown {
  let at = root;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(at)) {
      const index = arrayIndex(at, token);
      at = index === undefined ? undefined : at[index];
    } else at = isMap(at) ? at[token] : undefined;
    if (at === undefined) return undefined;
  }
  return at;
}

/**
 * A copy of `value` without what each RFC 6901 pointer points at, removed one after another
 * as evanphx/json-patch does with Flux's options: a path that is not there is passed over,
 * a negative array index counts from the end. Throws PointerError.
 */
export function withoutPointers<T>(value: T, pointers: readonly string[]): T {
  if (pointers.length === 0) return value;
  const copy = structuredClone(value);
  for (const pointer of pointers) {
    const tokens = pointerTokens(pointer);
    const key = tokens.at(-1);
    const parent = parentAt(copy, tokens);
    if (key === undefined) continue;
    if (Array.isArray(parent)) {
      if (!/^[-+]?\d+$/.test(key)) throw new PointerError(`error in remove for path: '${pointer}': strconv.Atoi: parsing "${key}": invalid syntax`);
      const index = arrayIndex(parent, key);
      if (index !== undefined) parent.splice(index, 1);
    } else if (isMap(parent)) delete parent[key];
  }
  return copy;
}

/**
 * The release's object to correct with: at each ignored pointer the live object's value,
 * or nothing where the live object has none, so a correction leaves ignored fields as
 * they are, as Flux's patch (which has no operation there) does.
 */
export function withIgnoredFieldsOf(desired: KubernetesObject, live: KubernetesObject, pointers: readonly string[]): KubernetesObject {
  let result = desired;
  for (const pointer of pointers.filter((p) => p !== wholeObject)) {
    const tokens = pointerTokens(pointer);
    const liveValue = valueAt(live, tokens);
    if (liveValue === undefined) {
      result = withoutPointers(result, [pointer]);
      continue;
    }
    result = structuredClone(result);
    // Maps the release's object lacks on the way are made; a missing list item is not.
    let at: unknown = result;
    for (const token of tokens.slice(0, -1)) at = Array.isArray(at) ? at[arrayIndex(at, token) ?? -1] : isMap(at) ? (at[token] ??= {}) : undefined;
    const key = tokens.at(-1)!;
    const index = Array.isArray(at) ? arrayIndex(at, key) : undefined;
    if (Array.isArray(at) && index !== undefined) at[index] = structuredClone(liveValue);
    else if (isMap(at)) at[key] = structuredClone(liveValue);
  }
  return result;
}

// ---- the diff ----

/** One JSON patch (RFC 6902) operation of a drifted object: from the live object towards the release's. */
export interface PatchOperation {
  op: 'add' | 'remove' | 'replace';
  path: string;
  /** absent for remove; masked for a Secret's data */
  value?: unknown;
}

/** What drift detection makes of one object of the release. */
export type ObjectDrift = { type: 'create' } | { type: 'none' } | { type: 'update'; patch: PatchOperation[] };

/**
 * jsondiff.Unstructured after the dry-run: `create` when the object is not in the cluster,
 * else the patch from the live object to the dry-run result with the ignored pointers taken
 * out of both — the labels' and annotations' additions and changes (removals are other
 * controllers' doing), then everything but metadata and status. Throws PointerError.
 */
export function driftOf(live: KubernetesObject | undefined, dryRun: KubernetesObject, ignorePaths: readonly string[]): ObjectDrift {
  if (!live || !dryRun.metadata.resourceVersion) return { type: DriftType.Create };
  const desired = withoutPointers(normalizedDryRun(dryRun), ignorePaths);
  const current = withoutPointers(live, ignorePaths);
  const metadataPatch = jsonPatch(labelsAndAnnotations(current), labelsAndAnnotations(desired)).filter((operation) => operation.op !== 'remove');
  const patch = [...metadataPatch, ...jsonPatch(withoutMetadataAndStatus(current), withoutMetadataAndStatus(desired))];
  if (patch.length === 0) return { type: DriftType.None };
  return { type: DriftType.Update, patch: dryRun.apiVersion === 'v1' && dryRun.kind === 'Secret' ? maskedSecretPatch(patch) : patch };
}

function labelsAndAnnotations(object: KubernetesObject): GoMap {
  const { annotations, labels } = object.metadata;
  if (annotations === undefined && labels === undefined) return {};
  return { metadata: { ...(annotations !== undefined ? { annotations } : {}), ...(labels !== undefined ? { labels } : {}) } };
}

function withoutMetadataAndStatus(object: KubernetesObject): unknown {
  const rest: Record<string, unknown> = { ...object };
  delete rest.metadata;
  delete rest.status;
  return rest;
}

const sensitiveMask = '***';

/** MaskSecretPatchData: no value of a Secret's data or stringData leaves the worker. */
function maskedSecretPatch(patch: PatchOperation[]): PatchOperation[] {
  return patch.map((operation) => {
    if (operation.value === undefined) return operation;
    if (operation.path === '/data' || operation.path === '/stringData') {
      const values = isMap(operation.value) ? operation.value : {};
      return { ...operation, value: Object.fromEntries(Object.keys(values).map((key) => [key, sensitiveMask])) };
    }
    if (/^\/(data|stringData)\//.test(operation.path)) return { ...operation, value: sensitiveMask };
    return operation;
  });
}

type Json = GoValue;
interface Operation extends PatchOperation {
  /** the byte length jsondiff counts for the value when it rationalizes */
  valueLength: number;
}

const utf8 = new TextEncoder();
const bytes = (text: string) => utf8.encode(text).length;
/** `{"op":"","path":""}` and `,"value":`, as jsondiff counts an operation's length */
const operationBaseLength = 19;
const valueFieldLength = 9;

const operationLength = (operation: Operation) =>
  operationBaseLength + operation.op.length + bytes(operation.path) + (operation.op === 'remove' ? 0 : valueFieldLength + operation.valueLength);

function kindOf(value: Json): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

function sameJson(a: Json, b: Json): boolean {
  if (kindOf(a) !== kindOf(b)) return false;
  if (Array.isArray(a)) return a.length === (b as Json[]).length && a.every((item, index) => sameJson(item, (b as Json[])[index]!));
  if (isMap(a)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b as GoMap).length && keys.every((key) => Object.hasOwn(b as GoMap, key) && sameJson(a[key]!, (b as GoMap)[key]!));
  }
  return a === b;
}

/**
 * wI2L/jsondiff Compare(source, target) with Rationalize: objects key by key in Go's
 * order, arrays index by index (extra items removed at the first index past the shorter
 * length, new ones appended at `-`), and wherever the operations for a value would be
 * longer as JSON than one replace of it, that replace instead.
 */
export function jsonPatch(source: unknown, target: unknown): PatchOperation[] {
  const operations: Operation[] = [];
  const valueLength = (value: Json) => bytes(goJson(value));
  const replace = (path: string, value: Json) => operations.push({ op: 'replace', path, value, valueLength: valueLength(value) });
  const escape = (token: string) => token.replaceAll('~', '~0').replaceAll('/', '~1');

  const diff = (path: string, from: Json, to: Json): void => {
    if (kindOf(from) !== kindOf(to)) {
      if (path === '') operations.push({ op: 'add', path, value: to, valueLength: 0 });
      else replace(path, to);
      return;
    }
    if (sameJson(from, to)) return;
    const start = operations.length;
    if (Array.isArray(from)) compareArrays(path, from, to as Json[]);
    else if (isMap(from)) compareObjects(path, from, to as GoMap);
    else return void replace(path, to);
    rationalize(path, to, start);
  };

  const compareObjects = (path: string, from: GoMap, to: GoMap) => {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort(compareGoStrings);
    for (const key of keys) {
      const child = `${path}/${escape(key)}`;
      if (Object.hasOwn(from, key) && Object.hasOwn(to, key)) diff(child, from[key]!, to[key]!);
      else if (Object.hasOwn(from, key)) operations.push({ op: 'remove', path: child, valueLength: 0 });
      // jsondiff counts an added value as empty when it rationalizes.
      else operations.push({ op: 'add', path: child, value: to[key]!, valueLength: 0 });
    }
  };

  const compareArrays = (path: string, from: Json[], to: Json[]) => {
    const shared = Math.min(from.length, to.length);
    for (let index = shared; index < from.length; index += 1) operations.push({ op: 'remove', path: `${path}/${shared}`, valueLength: 0 });
    for (let index = 0; index < shared; index += 1) diff(`${path}/${index}`, from[index]!, to[index]!);
    for (let index = shared; index < to.length; index += 1) operations.push({ op: 'add', path: `${path}/-`, value: to[index]!, valueLength: 0 });
  };

  const rationalize = (path: string, to: Json, start: number) => {
    const added = operations.slice(start);
    if (added.length === 0) return;
    const length = added.reduce((sum, operation) => sum + operationLength(operation), 0) + (added.length > 1 ? added.length - 1 : 0);
    const single: Operation = { op: 'replace', path, value: to, valueLength: valueLength(to) };
    if (length > operationLength(single)) operations.splice(start, added.length, single);
  };

  diff('', source as Json, target as Json);
  return operations.map(({ valueLength: _, ...operation }) => operation);
}

// ---- summaries and events ----

/** An object's verdict as the summaries name it: `Kind/namespace/name` (the namespace left out for a cluster-scoped object). */
export interface DriftEntry {
  type: DriftType;
  subject: string;
  patch?: readonly PatchOperation[];
}

/** The subject Flux names an object by (diff.ResourceName). */
export function driftSubject(object: KubernetesObject): string {
  return describeReference(referenceOf(object));
}

/** DiffSet.HasChanges: something to create or update; excluded and unchanged objects are not drift. */
export function hasDriftChanges(entries: readonly DriftEntry[]): boolean {
  return entries.some((entry) => entry.type === DriftType.Create || entry.type === DriftType.Update);
}

/** SummarizeDiffSet with its default types: a line per missing, excluded or changed object, in manifest order. */
export function summarizeDrift(entries: readonly DriftEntry[]): string {
  const lines = entries.flatMap((entry) => {
    if (entry.type === DriftType.Create) return [`${entry.subject} removed`];
    if (entry.type === DriftType.Exclude) return [`${entry.subject} excluded`];
    if (entry.type !== DriftType.Update) return [];
    const count = (op: PatchOperation['op']) => (entry.patch ?? []).filter((operation) => operation.op === op).length;
    return [`${entry.subject} changed (${count('add')} additions, ${count('replace')} changes, ${count('remove')} removals)`];
  });
  return lines.join('\n').trim();
}

/** SummarizeDiffSetBrief, as the controller logs it: `removed: 1, changed: 3, excluded: 0`. */
export function briefDriftSummary(entries: readonly DriftEntry[]): string {
  const count = (type: DriftType) => entries.filter((entry) => entry.type === type).length;
  return `removed: ${count(DriftType.Create)}, changed: ${count(DriftType.Update)}, excluded: ${count(DriftType.Exclude)}`;
}

type ReleaseName = Pick<Snapshot, 'namespace' | 'name' | 'version'>;

export function driftDetectedMessage(latest: ReleaseName, entries: readonly DriftEntry[]): string {
  return `Cluster state of release ${fullReleaseName(latest)} has drifted from the desired state:\n${summarizeDrift(entries)}`;
}

/** Warning DriftDetected, which Flux records without revision annotations. `latest`: status.history's latest. */
export function driftDetectedEvent(latest: ReleaseName, entries: readonly DriftEntry[]): StatusEvent {
  return { type: 'Warning', reason: DriftEventReason.Detected, message: driftDetectedMessage(latest, entries) };
}

/** One object a correction created or configured: a line of ssa.ChangeSet. */
export interface DriftCorrection {
  subject: string;
  action: 'created' | 'configured';
}

/** What applying the drift did: what it corrected and, in order, what it could not. */
export interface DriftCorrectionResult {
  corrections: DriftCorrection[];
  errors: string[];
}

const changeSet = (corrections: readonly DriftCorrection[]) => corrections.map((entry) => `${entry.subject} ${entry.action}`).join('\n');

export function driftCorrectedMessage(latest: ReleaseName, corrections: readonly DriftCorrection[]): string {
  return `Cluster state of release ${fullReleaseName(latest)} has been corrected:\n${changeSet(corrections)}`;
}

export function driftCorrectionFailedMessage(latest: ReleaseName, result: DriftCorrectionResult): string {
  const partial = result.corrections.length > 0;
  const head = `Failed to ${partial ? 'partially ' : ''}correct cluster state of release ${fullReleaseName(latest)}:\n${result.errors.join('\n')}`;
  return partial ? `${head}\n\nSuccessful corrections:\n${changeSet(result.corrections)}` : head;
}

/**
 * DriftCorrected (Normal) or DriftCorrectionFailed (Warning), annotated with the latest
 * release's chart version and config digest as Flux's eventMeta does; none when nothing
 * was corrected and nothing failed.
 */
export function driftCorrectionEvent(latest: ReleaseName & Pick<Snapshot, 'chartVersion' | 'configDigest'>, result: DriftCorrectionResult): StatusEvent | undefined {
  const annotations = { 'helm.toolkit.fluxcd.io/revision': latest.chartVersion, 'helm.toolkit.fluxcd.io/token': latest.configDigest };
  if (result.errors.length > 0) return { type: 'Warning', reason: DriftEventReason.CorrectionFailed, message: driftCorrectionFailedMessage(latest, result), annotations };
  if (result.corrections.length > 0) return { type: 'Normal', reason: DriftEventReason.Corrected, message: driftCorrectedMessage(latest, result.corrections), annotations };
  return undefined;
}

/** The errors of a diff as one, as k8s.io/apimachinery's aggregate writes them: one as it is, several `[a, b]`, repeats once. */
export function driftErrorMessage(errors: readonly string[]): string {
  const unique = [...new Set(errors)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}

/**
 * Why the release state is unknown when the diff failed and found no drift (Flux then
 * marks Ready=False StateError with "Could not determine release state: <this>"). A diff
 * that failed for some objects but found drift in others is Drifted all the same.
 */
export function clusterStateErrorMessage(errors: readonly string[]): string {
  return `unable to determine cluster state: ${driftErrorMessage(errors)}`;
}
