// How a HelmChart's build is decided, as Flux's source-controller decides it: the version
// a repository's index gives for a constraint (GetChartVersion), where its package is
// (ResolveReferenceURL), the build metadata on its version, and the summary its status
// and events carry. Expected values are Flux's documented formats.
import { describe, expect, it } from '@jest/globals';
import { buildFailure, BuildErrorReason, buildSummary, effectiveValuesFiles, versionMetadata, withVersionMetadata } from '../../domain/helmchart-build.js';
import { mergeValues } from '../../domain/merge-values.js';
import { chartDownloadUrl, ChartReferenceError, selectChartVersion, type ChartVersion } from '../../helm/chart-version.js';
import type { RepositoryIndex } from '../../helm/repository-index.js';

const index: RepositoryIndex = {
  apiVersion: 'v1',
  entries: {
    podinfo: [
      { name: 'podinfo', version: '7.0.0-rc.1', urls: ['podinfo-7.0.0-rc.1.tgz'] },
      { name: 'podinfo', version: '6.10.1', urls: ['charts/podinfo-6.10.1.tgz'], created: '2026-01-01T00:00:00Z' },
      { name: 'podinfo', version: '6.10.1+build.2', urls: ['podinfo-6.10.1+build.2.tgz'], created: '2026-02-01T00:00:00Z' },
      { name: 'podinfo', version: 'v6.5.0', urls: ['https://cdn.example.com/podinfo-6.5.0.tgz'] },
    ],
    empty: [],
  },
};

describe('HelmChart version from an index', () => {
  it('takes an exact match of the string first, then the newest the constraint admits', () => {
    expect(selectChartVersion(index, 'podinfo', '6.10.1').version).toBe('6.10.1');
    expect(selectChartVersion(index, 'podinfo', 'v6.5.0').version).toBe('v6.5.0');
    expect(selectChartVersion(index, 'podinfo', '~6.5').version).toBe('v6.5.0');
    expect(selectChartVersion(index, 'podinfo', '>=6.0.0, <6.6.0').version).toBe('v6.5.0');
  });

  it('reads `*` and an empty constraint as the newest stable version, equal versions newest created first', () => {
    expect(selectChartVersion(index, 'podinfo', '*').version).toBe('6.10.1+build.2');
    expect(selectChartVersion(index, 'podinfo', '').version).toBe('6.10.1+build.2');
    expect(selectChartVersion(index, 'podinfo', '>=7.0.0-0').version).toBe('7.0.0-rc.1');
  });

  it("fails in Helm's and Flux's words", () => {
    expect(() => selectChartVersion(index, 'nginx', '*')).toThrow(new ChartReferenceError('no chart name found'));
    expect(() => selectChartVersion(index, 'empty', '*')).toThrow('no chart version found');
    expect(() => selectChartVersion(index, 'podinfo', '>=9')).toThrow("no 'podinfo' chart with version matching '>=9' found");
  });

  it("resolves a relative package URL against the repository's, keeping its query", () => {
    const [, chart, , absolute] = index.entries.podinfo! as ChartVersion[];
    expect(chartDownloadUrl('https://charts.example.com/stable', chart!)).toBe('https://charts.example.com/stable/charts/podinfo-6.10.1.tgz');
    expect(chartDownloadUrl('https://charts.example.com/stable/?token=t', chart!)).toBe('https://charts.example.com/stable/charts/podinfo-6.10.1.tgz?token=t');
    expect(chartDownloadUrl('https://charts.example.com', absolute!)).toBe('https://cdn.example.com/podinfo-6.5.0.tgz');
    expect(() => chartDownloadUrl('https://charts.example.com', { name: 'x', version: '1.0.0', urls: [] })).toThrow("chart 'x' has no downloadable URLs");
  });
});

describe('HelmChart build', () => {
  it("puts Flux's build metadata on the version, replacing the chart's own", () => {
    expect(versionMetadata({ generation: 3, valuesFiles: [] })).toBeUndefined();
    expect(versionMetadata({ generation: 3, valuesFiles: ['prod.yaml'] })).toBe('3');
    const commit = 'main@sha1:4e5cbb7b97d00a8039b8810b90b922f4256fd3bd';
    expect(withVersionMetadata('6.0.3', versionMetadata({ generation: 3, valuesFiles: [], sourceRevision: commit }))).toBe('6.0.3+4e5cbb7b97d0');
    expect(withVersionMetadata('6.0.3+old', versionMetadata({ generation: 3, valuesFiles: ['prod.yaml'], sourceRevision: commit }))).toBe('6.0.3+4e5cbb7b97d0.3');
    expect(withVersionMetadata('1.0.0', versionMetadata({ generation: 1, valuesFiles: [], sourceRevision: 'sha256:0123456789abcdef0123' }))).toBe('1.0.0+0123456789ab');
  });

  it('reads valuesFiles of only values.yaml as none', () => {
    expect(effectiveValuesFiles(['values.yaml'])).toEqual([]);
    expect(effectiveValuesFiles(['./values.yaml'])).toEqual([]);
    expect(effectiveValuesFiles(['values.yaml', 'prod.yaml'])).toEqual(['values.yaml', 'prod.yaml']);
  });

  it("words the build and its failures as Flux's Build.Summary and BuildError do", () => {
    expect(buildSummary({ name: 'podinfo', version: '6.0.3', packaged: false, valuesFiles: [] })).toBe("pulled 'podinfo' chart with version '6.0.3'");
    expect(buildSummary({ name: 'podinfo', version: '6.0.3+1', packaged: true, valuesFiles: ['a.yaml', 'b.yaml'] })).toBe("packaged 'podinfo' chart with version '6.0.3+1' and merged values files [a.yaml b.yaml]");
    expect(buildFailure(BuildErrorReason.ValuesFilesMerge, "no values file found at path 'x.yaml'")).toEqual({ reason: 'ValuesFilesError', message: "values files merge error: no values file found at path 'x.yaml'", stalled: true, condition: 'BuildFailed' });
    expect(buildFailure(BuildErrorReason.ChartPull, 'x')).toMatchObject({ reason: 'ChartPullError', stalled: false, condition: 'FetchFailed' });
  });

  it('merges values maps deeply, later files replacing lists and scalars', () => {
    const merged = mergeValues({ a: { b: 1, c: [1, 2] }, d: 'x', e: { f: 1 } }, { a: { c: [3], g: true }, d: null, e: 'scalar' });
    expect(merged).toEqual({ a: { b: 1, c: [3], g: true }, d: null, e: 'scalar' });
  });
});
