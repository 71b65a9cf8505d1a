// What a HelmChart's build will be, decided before any download (source-controller
// internal/helm/chart/builder*.go): the version with Flux's build metadata, whether the
// chart must be packaged again, and the summary its conditions and events carry.

/** spec.valuesFiles as Flux's GetValuesFiles gives them: exactly `[values.yaml]` is no change at all. */
export function effectiveValuesFiles(valuesFiles: readonly string[]): string[] {
  const cleaned = valuesFiles.map((file) => file.replace(/^(\.\/)+/, '').replace(/\/+/g, '/'));
  return cleaned.length === 1 && cleaned[0] === 'values.yaml' ? [] : [...valuesFiles];
}

/**
 * The build metadata Flux sets on the chart's version: the generation when values files
 * are merged; for a Git or Bucket source with reconcileStrategy Revision, the first 12 hex
 * of the source revision's digest first (`4e5cbb7b97d0`, `4e5cbb7b97d0.3`).
 */
export function versionMetadata(options: { generation: number; valuesFiles: readonly string[]; sourceRevision?: string }): string | undefined {
  const parts: string[] = [];
  if (options.sourceRevision) parts.push(revisionHex(options.sourceRevision).slice(0, 12));
  if (options.valuesFiles.length > 0) parts.push(String(options.generation));
  return parts.length > 0 ? parts.join('.') : undefined;
}

/** `main@sha1:<hex>` → `<hex>`, `sha256:<hex>` → `<hex>`. */
function revisionHex(revision: string): string {
  const digest = revision.slice(revision.lastIndexOf('@') + 1);
  return digest.includes(':') ? digest.slice(digest.indexOf(':') + 1) : digest;
}

/** semver's SetMetadata: the metadata replaces whatever build metadata the version had. */
export function withVersionMetadata(version: string, metadata: string | undefined): string {
  if (!metadata) return version;
  return `${version.replace(/\+.*$/, '')}+${metadata}`;
}

export interface ChartBuild {
  name: string;
  version: string;
  /** repackaged (a directory, new metadata or merged values) rather than pulled as served */
  packaged: boolean;
  /** the values files merged into the chart's values.yaml */
  valuesFiles: string[];
}

/** Build.Summary(): `pulled 'podinfo' chart with version '6.0.3'`, `packaged '…' … and merged values files [a.yaml b.yaml]`. */
export function buildSummary(build: ChartBuild): string {
  const action = build.packaged ? 'packaged' : 'pulled';
  const values = build.valuesFiles.length > 0 ? ` and merged values files [${build.valuesFiles.join(' ')}]` : '';
  return `${action} '${build.name}' chart with version '${build.version}'${values}`;
}

export function buildReason(build: ChartBuild): 'ChartPackageSucceeded' | 'ChartPullSucceeded' {
  return build.packaged ? 'ChartPackageSucceeded' : 'ChartPullSucceeded';
}

/** Flux's build error reasons, each with the summary that begins its message, and whether retrying cannot help. */
export const BuildErrorReason = {
  ChartReference: { reason: 'InvalidChartReference', summary: 'invalid chart reference', condition: 'FetchFailed', stalled: true },
  ChartPull: { reason: 'ChartPullError', summary: 'chart pull error', condition: 'FetchFailed', stalled: false },
  MetadataPatch: { reason: 'MetadataPatchError', summary: 'chart metadata patch error', condition: 'BuildFailed', stalled: true },
  ValuesFilesMerge: { reason: 'ValuesFilesError', summary: 'values files merge error', condition: 'BuildFailed', stalled: true },
  DependencyBuild: { reason: 'DependencyBuildError', summary: 'dependency build error', condition: 'BuildFailed', stalled: false },
  ChartPackage: { reason: 'ChartPackageError', summary: 'chart package error', condition: 'BuildFailed', stalled: false },
  Unknown: { reason: 'Unknown', summary: 'unknown build error', condition: 'FetchFailed', stalled: false },
} as const;

export type BuildErrorKind = (typeof BuildErrorReason)[keyof typeof BuildErrorReason];

/** A build failure as the HelmChart's status words it: `<summary>: <cause>`. */
export function buildFailure(kind: BuildErrorKind, cause: string): { reason: string; message: string; stalled: boolean; condition: string } {
  return { reason: kind.reason, message: `${kind.summary}: ${cause}`, stalled: kind.stalled, condition: kind.condition };
}
