// Post-rendering a HelmRelease as helm-controller v1.4 does (internal/postrender build.go,
// kustomize.go, common_renderer.go, transformer.go): Helm's rendered manifests (hooks
// excepted) go through one kustomize build per spec.postRenderers entry, in order, then
// spec.commonMetadata's labels and annotations, then the origin labels, which win.
//
// Flux applies the metadata with kustomize's own Label and Annotations transformers, on
// metadata/labels and metadata/annotations alone (pod templates and selectors untouched),
// over kustomize's reading of the manifests. It is done here the same way, as a last
// kustomize build, rather than by editing the YAML in JavaScript: kustomize reads it as Go
// does (`defaultMode: 0644` is 420, `yes` a boolean), which a JavaScript YAML round trip
// would get wrong, and what Helm stores as the release's manifest is then kustomize's
// output, as under Flux.
//
// Also the two digests the status records of the last successful release:
// status.observedPostRenderersDigest and status.observedCommonMetadataDigest.
import { createHash } from 'node:crypto';
import { compareGoStrings } from './go-yaml.js';
import { goString } from './helmrelease-digest.js';
import type { CommonMetadata, KustomizeImage, KustomizePatch, KustomizeSelector, PostRenderer } from '../schemas/types.js';

/** OriginLabels: which HelmRelease an object was rendered for, as helm.toolkit.fluxcd.io labels. */
export const originLabelKeys = { name: 'helm.toolkit.fluxcd.io/name', namespace: 'helm.toolkit.fluxcd.io/namespace' } as const;

/** One spec.postRenderers[].kustomize. */
export interface KustomizePostRenderer {
  patches: KustomizePatch[];
  images: KustomizeImage[];
}

/**
 * What the post-renderer program (helm/post-renderer.ts) does with the manifests Helm hands
 * it: plain JSON, written to a file whose path helm passes on.
 */
export interface PostRenderPlan {
  /** `spec.postRenderers[index].kustomize`, in order; an entry without `kustomize` does nothing */
  kustomize: { index: number; renderer: KustomizePostRenderer }[];
  commonMetadata?: CommonMetadata;
  /** the HelmRelease's own name and namespace, for the origin labels */
  release: { name: string; namespace: string };
}

export function postRenderPlan(release: { name: string; namespace: string }, spec: { postRenderers?: readonly PostRenderer[] | null; commonMetadata?: CommonMetadata | null }): PostRenderPlan {
  const kustomize = (spec.postRenderers ?? []).flatMap((entry, index) =>
    entry?.kustomize ? [{ index, renderer: { patches: entry.kustomize.patches ?? [], images: entry.kustomize.images ?? [] } }] : [],
  );
  return {
    kustomize,
    ...(spec.commonMetadata ? { commonMetadata: spec.commonMetadata } : {}),
    release: { name: release.name, namespace: release.namespace },
  };
}

/** The name the manifests are written under, beside each build's kustomization.yaml. */
export const manifestsFile = 'helm-output.yaml';

/** The files of one kustomize build besides the manifests: file name → content. */
export type KustomizeFiles = Record<string, string>;

const kustomizationHeader = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization' };

/**
 * The kustomization Flux's Kustomize post-renderer builds: the manifests as its one
 * resource, the patches (inline, with their target selectors) and the images. Empty fields
 * are left out, as Go's encoding of kustomize's types leaves them out. There are no
 * sortOptions, so kustomize orders the output its legacy way (Namespaces first), as Flux's
 * build does.
 */
export function postRendererFiles(renderer: KustomizePostRenderer): KustomizeFiles {
  const patches = renderer.patches.map((patch) => withoutEmpty({ patch: patch.patch, target: patch.target ? selector(patch.target) : undefined }));
  const images = renderer.images.map((image) => withoutEmpty({ name: image.name, newName: image.newName, newTag: image.newTag, digest: image.digest }));
  const kustomization = withoutEmpty({
    ...kustomizationHeader,
    resources: [manifestsFile],
    patches: patches.length > 0 ? patches : undefined,
    images: images.length > 0 ? images : undefined,
  });
  return { 'kustomization.yaml': fileText(kustomization) };
}

/**
 * kustomize's Selector from Flux's: the same fields, group/version/kind inline. An empty
 * one stays: it selects every object, where no target at all lets a strategic merge patch
 * pick its object by its own kind and name.
 */
function selector(target: KustomizeSelector): Record<string, string> {
  return withoutEmpty({
    group: target.group,
    version: target.version,
    kind: target.kind,
    name: target.name,
    namespace: target.namespace,
    annotationSelector: target.annotationSelector,
    labelSelector: target.labelSelector,
  }) as Record<string, string>;
}

/**
 * The last build: the manifests in the order they come (sortOptions fifo, as Flux's
 * transform keeps them), spec.commonMetadata's labels, then its annotations, then the origin
 * labels, each a builtin transformer creating metadata.labels or metadata.annotations where
 * missing and overriding the keys it sets.
 */
export function metadataFiles(plan: PostRenderPlan): KustomizeFiles {
  const files: KustomizeFiles = {};
  const transformer = (file: string, kind: 'LabelTransformer' | 'AnnotationsTransformer', field: 'labels' | 'annotations', values: Record<string, string> | undefined) => {
    // An empty map is no change: kustomize's transformers skip it too.
    if (!values || Object.keys(values).length === 0) return;
    files[file] = fileText({
      apiVersion: 'builtin',
      kind,
      metadata: { name: file.replace(/\.yaml$/, '') },
      [field]: values,
      fieldSpecs: [{ path: `metadata/${field}`, create: true }],
    });
  };
  transformer('common-labels.yaml', 'LabelTransformer', 'labels', plan.commonMetadata?.labels);
  transformer('common-annotations.yaml', 'AnnotationsTransformer', 'annotations', plan.commonMetadata?.annotations);
  transformer('origin-labels.yaml', 'LabelTransformer', 'labels', { [originLabelKeys.name]: plan.release.name, [originLabelKeys.namespace]: plan.release.namespace });
  files['kustomization.yaml'] = fileText({ ...kustomizationHeader, resources: [manifestsFile], sortOptions: { order: 'fifo' }, transformers: Object.keys(files) });
  return files;
}

/**
 * JSON, which kustomize reads as YAML, as Flux writes its kustomization: every string
 * quoted, so a label value such as `on` or `1.0` stays a string to Go's YAML 1.1 reading.
 */
function fileText(content: unknown): string {
  return `${JSON.stringify(content, null, 2)}\n`;
}

function withoutEmpty<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== null && value !== '')) as Partial<T>;
}

// The digests: postrender.Digest and postrender.CommonMetadataDigest, sha256 over what Go's
// json.Encoder writes for the spec field as helm-controller's API types (api/v2, and
// fluxcd/pkg apis/kustomize) decode it: struct fields in declaration order, empty ones with
// `omitempty` left out, map keys sorted, HTML characters escaped, a newline at the end.
// Flux records a digest only for a field that is set, and "" (no field) for one that is not.

/** status.observedPostRenderersDigest for spec.postRenderers as the object has it. */
export function postRenderersDigest(postRenderers: readonly PostRenderer[] | null | undefined): string | undefined {
  if (postRenderers === undefined || postRenderers === null) return undefined;
  return sha256(`${goList(postRenderers.map(encodePostRenderer))}\n`);
}

/** status.observedCommonMetadataDigest for spec.commonMetadata as the object has it. */
export function commonMetadataDigest(commonMetadata: CommonMetadata | null | undefined): string | undefined {
  if (commonMetadata === undefined || commonMetadata === null) return undefined;
  return sha256(`${encodeCommonMetadata(commonMetadata)}\n`);
}

function encodePostRenderer(renderer: PostRenderer | null): string {
  const kustomize = renderer?.kustomize;
  return goStruct([
    [
      'kustomize',
      kustomize
        ? goStruct([
            ['patches', nonEmpty(kustomize.patches) && goList(kustomize.patches.map(encodePatch))],
            ['images', nonEmpty(kustomize.images) && goList(kustomize.images.map(encodeImage))],
          ])
        : undefined,
    ],
  ]);
}

function encodePatch(patch: KustomizePatch): string {
  const target = patch.target;
  return goStruct([
    ['patch', goString(patch.patch ?? '')],
    [
      'target',
      target
        ? goStruct([
            ['group', optionalString(target.group)],
            ['version', optionalString(target.version)],
            ['kind', optionalString(target.kind)],
            ['namespace', optionalString(target.namespace)],
            ['name', optionalString(target.name)],
            ['annotationSelector', optionalString(target.annotationSelector)],
            ['labelSelector', optionalString(target.labelSelector)],
          ])
        : undefined,
    ],
  ]);
}

function encodeImage(image: KustomizeImage): string {
  return goStruct([
    ['name', goString(image.name ?? '')],
    ['newName', optionalString(image.newName)],
    ['newTag', optionalString(image.newTag)],
    ['digest', optionalString(image.digest)],
  ]);
}

function encodeCommonMetadata(metadata: CommonMetadata): string {
  return goStruct([
    ['annotations', optionalStringMap(metadata.annotations)],
    ['labels', optionalStringMap(metadata.labels)],
  ]);
}

/** A struct's fields in order, `undefined` for one omitempty leaves out. */
function goStruct(fields: [string, string | undefined | false][]): string {
  return `{${fields.flatMap(([name, value]) => (value ? [`${goString(name)}:${value}`] : [])).join(',')}}`;
}

function goList(items: string[]): string {
  return `[${items.join(',')}]`;
}

function nonEmpty<T>(list: readonly T[] | null | undefined): list is T[] {
  return Array.isArray(list) && list.length > 0;
}

function optionalString(text: string | null | undefined): string | undefined {
  return text ? goString(text) : undefined;
}

function optionalStringMap(map: Record<string, string> | null | undefined): string | undefined {
  if (!map) return undefined;
  const keys = Object.keys(map).sort(compareGoStrings);
  if (keys.length === 0) return undefined;
  return `{${keys.map((key) => `${goString(key)}:${goString(map[key]!)}`).join(',')}}`;
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}
