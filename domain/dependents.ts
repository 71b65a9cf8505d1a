// Which objects consume a source, so that a new revision reaches them at once rather
// than at their next interval: Kustomizations and HelmCharts by `sourceRef`, HelmReleases
// by `chart.spec.sourceRef`, GitRepositories by `include`. A Kustomization or HelmRelease
// that became Ready is, in the same way, the "source" of those that list it in `dependsOn`.
import type { KubernetesObject } from '../kube/objects.js';

export interface SourceIdentity {
  kind: string;
  namespace: string;
  name: string;
}

interface SourceReference {
  kind?: string;
  name?: string;
  namespace?: string;
}

function matches(reference: SourceReference | undefined, source: SourceIdentity, ownNamespace: string): boolean {
  if (!reference) return false;
  return reference.kind === source.kind && reference.name === source.name && (reference.namespace ?? ownNamespace) === source.namespace;
}

/** The kinds whose Ready is awaited through `dependsOn`. */
const dependsOnKinds = new Set(['Kustomization', 'HelmRelease']);

/** A dependsOn entry names `source`; its kind is the dependent's own unless it says otherwise. */
function dependsOnSource(spec: Record<string, unknown>, ownKind: string, source: SourceIdentity, namespace: string): boolean {
  const dependsOn = (Array.isArray(spec.dependsOn) ? spec.dependsOn : []) as SourceReference[];
  return dependsOn.some((dependency) => (dependency.kind ?? ownKind) === source.kind && dependency.name === source.name && (dependency.namespace || namespace) === source.namespace);
}

export function referencesSource(object: KubernetesObject, source: SourceIdentity): boolean {
  const namespace = object.metadata.namespace ?? 'default';
  const spec = (object.spec ?? {}) as Record<string, unknown>;
  switch (object.kind) {
    case 'Kustomization':
      if (dependsOnKinds.has(source.kind)) return dependsOnSource(spec, 'Kustomization', source, namespace);
      return matches(spec.sourceRef as SourceReference | undefined, source, namespace);
    case 'HelmChart':
      return matches(spec.sourceRef as SourceReference | undefined, source, namespace);
    case 'HelmRelease': {
      if (dependsOnKinds.has(source.kind)) return dependsOnSource(spec, 'HelmRelease', source, namespace);
      const chart = spec.chart as { spec?: { sourceRef?: SourceReference } } | undefined;
      if (source.kind === 'HelmChart') {
        // The HelmChart its template makes (`<namespace>-<name>` in the source's namespace), or chartRef's.
        const templated = chart?.spec?.sourceRef && { kind: 'HelmChart', name: `${namespace}-${object.metadata.name}`, namespace: chart.spec.sourceRef.namespace ?? namespace };
        return matches(templated, source, namespace) || matches(spec.chartRef as SourceReference | undefined, source, namespace);
      }
      // An OCIRepository by chartRef; a template's source, whose artifact its HelmChart reads.
      return matches(spec.chartRef as SourceReference | undefined, source, namespace) || matches(chart?.spec?.sourceRef, source, namespace);
    }
    case 'GitRepository': {
      // include refers to GitRepositories of the same namespace only.
      const include = (Array.isArray(spec.include) ? spec.include : []) as { repository?: { name?: string } }[];
      return source.kind === 'GitRepository' && source.namespace === namespace && include.some((entry) => entry.repository?.name === source.name);
    }
    default:
      return false;
  }
}
