// Choosing a chart version from a repository's index as Flux's source-controller does
// (internal/helm/repository/chart_repository.go GetChartVersion): an exact match of the
// version string first, then the newest version the Masterminds constraint admits
// (`*` and empty mean the newest stable), equal versions ordered by their creation time;
// and the download URL, relative URLs resolved against the repository's.
import semver from 'semver';
import { parseVersionConstraint, satisfiesConstraint } from '../domain/semver-constraint.js';
import type { RepositoryIndex } from './repository-index.js';

export interface ChartVersion {
  name: string;
  version: string;
  urls?: string[];
  digest?: string;
  created?: string;
}

/** Helm's and Flux's errors, in their words: the chart reference cannot be resolved. */
export class ChartReferenceError extends Error {
  override readonly name = 'ChartReferenceError';
}

export function selectChartVersion(index: RepositoryIndex, chart: string, constraint: string): ChartVersion {
  const versions = (index.entries[chart] ?? undefined) as ChartVersion[] | undefined;
  if (!versions) throw new ChartReferenceError('no chart name found');
  if (versions.length === 0) throw new ChartReferenceError('no chart version found');
  if (constraint !== '') {
    const exact = versions.find((candidate) => candidate.version === constraint);
    if (exact) return exact;
  }
  const newestStable = constraint === '' || constraint === '*';
  const parsed = parseVersionConstraint(newestStable ? '*' : constraint);
  if (!parsed) throw new ChartReferenceError(`improper constraint: ${constraint}`);
  const matching = versions
    // fluxcd/pkg/version.ParseVersion: strict semver, a leading `v` allowed.
    .map((candidate) => ({ candidate, version: semver.parse(candidate.version.replace(/^v/, '')) }))
    .filter((entry): entry is { candidate: ChartVersion; version: semver.SemVer } => !!entry.version && satisfiesConstraint(entry.version, parsed));
  if (matching.length === 0) throw new ChartReferenceError(`no '${chart}' chart with version matching '${constraint}' found`);
  matching.sort((a, b) => semver.rcompare(a.version, b.version) || Date.parse(b.candidate.created ?? '') - Date.parse(a.candidate.created ?? '') || 0);
  return matching[0]!.candidate;
}

/** Where the chart's package is: its first URL, resolved against the repository's URL (whose query it keeps). */
export function chartDownloadUrl(repositoryUrl: string, chart: ChartVersion): string {
  const first = chart.urls?.[0];
  if (!first) throw new ChartReferenceError(`chart '${chart.name}' has no downloadable URLs`);
  if (/^[a-z][a-z0-9+.-]*:/i.test(first)) return new URL(first).toString();
  const base = new URL(repositoryUrl);
  const query = base.search;
  base.pathname = `${base.pathname.replace(/\/+$/, '')}/`;
  base.search = '';
  const resolved = new URL(first, base);
  resolved.search = query;
  return resolved.toString();
}
