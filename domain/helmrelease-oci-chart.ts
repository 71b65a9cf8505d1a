// A chart a HelmRelease takes from an OCIRepository (chartRef), as helm-controller's
// mutateChartWithSourceRevision treats it: the chart's version gets the first 12 hex
// characters of the artifact's digest as its build metadata (`6.6.1+0cc9a8446c95`), so a
// tag pushed again with other content is a new version to Helm; a `<tag>@<digest>`
// revision's tag must be a version equal to the chart's. The digest goes to
// status.lastAttemptedRevisionDigest and the history's ociDigest.
import semver from 'semver';

export type OciChartVersion = { ok: true; version: string; ociDigest: string } | { ok: false; message: string };

export function ociChartVersion(chartVersion: string, revision: string): OciChartVersion {
  const parsed = goVersion(chartVersion);
  if (!parsed) return { ok: false, message: 'Invalid Semantic Version' };
  let digest = revision;
  if (revision.includes('@')) {
    const parts = revision.split('@');
    // Helm's OCI tags spell a version's `+` as `_`.
    const tag = parts[0]!.replaceAll('_', '+');
    const tagged = goVersion(tag);
    if (!tagged) return { ok: false, message: `failed parsing artifact revision ${tag}` };
    // Masterminds' Equal: precedence, build metadata left out.
    if (parts.length !== 2 || semver.compare(tagged, parsed) !== 0) return { ok: false, message: `artifact revision ${parts[0]} does not match chart version ${chartVersion}` };
    digest = parts[1]!;
  }
  const pair = digest.split(':');
  if (pair.length !== 2 || pair[1]!.length < 12) return { ok: false, message: `invalid artifact revision ${digest}` };
  // Masterminds' SetMetadata then String(): the build metadata replaced, no leading `v`.
  const release = `${parsed.major}.${parsed.minor}.${parsed.patch}${parsed.prerelease.length > 0 ? `-${parsed.prerelease.join('.')}` : ''}`;
  return { ok: true, version: `${release}+${pair[1]!.slice(0, 12)}`, ociDigest: digest };
}

/** Masterminds' NewVersion: a leading `v`, and a missing minor or patch read as 0. */
function goVersion(text: string): semver.SemVer | undefined {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?((?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/.exec(text);
  if (!match) return undefined;
  return semver.parse(`${match[1]}.${match[2] ?? 0}.${match[3] ?? 0}${match[4]}`) ?? undefined;
}
