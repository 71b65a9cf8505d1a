// A chart a HelmRelease takes from an OCIRepository (chartRef), as helm-controller's
// mutateChartWithSourceRevision treats it: the chart's version gets the first 12 hex
// characters of the artifact's digest as its build metadata (`6.6.1+0cc9a8446c95`), so a
// tag pushed again with other content is a new version to Helm; a `<tag>@<digest>`
// revision's tag must be the chart's version. The digest goes to
// status.lastAttemptedRevisionDigest and the history's ociDigest.
import semver from 'semver';

export type OciChartVersion = { ok: true; version: string; ociDigest: string } | { ok: false; message: string };

export function ociChartVersion(chartVersion: string, revision: string): OciChartVersion {
  const parsed = semver.parse(chartVersion.replace(/^v/, ''));
  if (!parsed) return { ok: false, message: `Invalid Semantic Version` };
  let digest = revision;
  if (revision.includes('@')) {
    const parts = revision.split('@');
    if (parts.length !== 2 || parts[0] !== chartVersion) return { ok: false, message: `artifact revision ${parts[0]} does not match chart version ${chartVersion}` };
    digest = parts[1]!;
  }
  const pair = digest.split(':');
  if (pair.length !== 2 || pair[1]!.length < 12) return { ok: false, message: `invalid artifact revision ${digest}` };
  // Masterminds' SetMetadata then String(): the build metadata replaced, no leading `v`.
  const release = `${parsed.major}.${parsed.minor}.${parsed.patch}${parsed.prerelease.length > 0 ? `-${parsed.prerelease.join('.')}` : ''}`;
  return { ok: true, version: `${release}+${pair[1]!.slice(0, 12)}`, ociDigest: digest };
}
