// dependsOn, by Flux's rule (kustomize-controller checkDependencies): a dependency is
// ready when it exists, its controller has observed its latest generation, it is Ready,
// and — when it reconciles the same source — it has applied that source's current
// revision. Flux deadlocks silently on a cycle; here a cycle is found and named.
//
// `spec.dependsOn[].readyExpr` is a CEL expression over `dep`, the dependency, and
// `self`, the Kustomization that waits (evalReadyExpr). When set, it is evaluated first
// and replaces the built-in check; with Flux's AdditiveCELDependencyCheck feature gate
// the built-in check follows it. As in Flux (fluxcd/pkg runtime/cel NewExpression with
// WithCompile, WithOutputType(bool), WithStructVariables("self", "dep")):
// - It is type-checked with only `self` and `dep` declared, both maps of dynamic
//   values, and must give a bool: `dep.spec.suspend` gives dyn and is refused, where
//   `dep.spec.suspend == true` is not. An expression that fails this is a configuration
//   error: Stalled, reason InvalidCELExpression, not retried until the spec changes.
// - One that fails to evaluate (a missing field: `has()` or `.?` guard it) keeps the
//   dependent waiting, DependencyNotReady, with the CEL error.
// Flux compiles an expression only when it reaches its dependency; here all are compiled
// before any dependency is read, so a bad one stalls without waiting for the others.
// The dialect lacks what Flux's adds with the sets and base64 extensions.
import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import type { KubernetesObject } from '../kube/objects.js';
import type { DependencyReference } from '../schemas/types.js';
import { celErrorSummary, celValue } from './cel.js';
import { findCondition, type Condition } from './conditions.js';

/** The kinds that have `dependsOn`; beyond Flux, each may depend on the other. */
export type DependsOnKind = 'Kustomization' | 'HelmRelease';

/** A dependency's `readyExpr`, parsed and checked. */
export interface ReadyExpression {
  source: string;
  evaluate: ParseResult;
}

export type ReadyExpressionsReading =
  /** one per `spec.dependsOn` entry, undefined where it has no expression */
  | { ok: true; expressions: (ReadyExpression | undefined)[] }
  | { ok: false; message: string };

export interface DependencyCheck {
  /** the dependency as messages name it: `namespace/name`, `Kind/namespace/name` when of another kind than the dependent */
  name: string;
  /** its kind, Kustomization when omitted */
  kind?: DependsOnKind;
  /** the kind of the object that waits, whose controller's words a missing dependency is reported in */
  dependent?: DependsOnKind;
  object: KubernetesObject | undefined;
  /** the dependent's source, `Kind/namespace/name`, and its current revision (a HelmRelease has none) */
  source?: { id: string; revision?: string };
  /** the dependency's `readyExpr`, and the object that waits (the expression's `self`) */
  readyExpr?: { expression: ReadyExpression; self: KubernetesObject };
  /** Flux's AdditiveCELDependencyCheck feature gate (off by default): the built-in check also applies when there is a readyExpr */
  additive?: boolean;
}

/** Flux's TerminalErrorMessage, which its stalled messages begin with. */
const terminalErrorMessage = 'Reconciliation failed terminally due to configuration error';

const cel = new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: true }).registerVariable('self', 'map').registerVariable('dep', 'map');

/** Compiles every `readyExpr`; the first that is not a valid bool expression fails the spec. */
export function compileReadyExpressions(dependsOn: readonly DependencyReference[]): ReadyExpressionsReading {
  const expressions: (ReadyExpression | undefined)[] = [];
  for (const dependency of dependsOn) {
    const source = dependency.readyExpr;
    if (!source) {
      expressions.push(undefined);
      continue;
    }
    const failed = (cause: string): ReadyExpressionsReading => ({ ok: false, message: `${terminalErrorMessage}: failed to evaluate dependency ${dependency.name}: ${cause}` });
    let evaluate: ParseResult;
    try {
      evaluate = cel.parse(source);
    } catch (error) {
      return failed(`failed to parse the CEL expression '${source}': ${celErrorSummary(error)}`);
    }
    const checked = evaluate.check();
    if (!checked.valid) return failed(`failed to parse the CEL expression '${source}': ${celErrorSummary(checked.error)}`);
    if (checked.type !== 'bool') return failed(`CEL expression output type mismatch: expected bool, got ${checked.type}`);
    expressions.push({ source, evaluate });
  }
  return { ok: true, expressions };
}

/** Why a dependency is not ready, or undefined when it is. */
export function dependencyNotReady({ name, kind = 'Kustomization', dependent = 'Kustomization', object, source, readyExpr, additive = false }: DependencyCheck): string | undefined {
  // Flux's words first (with the API server's own for a missing object), then, where
  // Flux stops, what exactly is awaited.
  if (!object) {
    const missing = `${kind === 'HelmRelease' ? 'helmreleases.helm.toolkit.fluxcd.io' : 'kustomizations.kustomize.toolkit.fluxcd.io'} "${name.slice(name.lastIndexOf('/') + 1)}" not found`;
    return dependent === 'HelmRelease' ? `unable to get '${name}' dependency: ${missing}` : `dependency '${name}' not found: ${missing}`;
  }
  if (readyExpr) {
    const { expression, self } = readyExpr;
    let ready: unknown;
    try {
      ready = expression.evaluate({ self: celValue(self), dep: celValue(object) });
    } catch (error) {
      return `failed to evaluate the CEL expression '${expression.source}': ${celErrorSummary(error)}`;
    }
    if (ready !== true) return `dependency '${name}' is not ready according to readyExpr eval`;
    if (!additive) return undefined;
  }
  const status = (object.status ?? {}) as { observedGeneration?: number; conditions?: Condition[]; lastAppliedRevision?: string };
  if (status.observedGeneration !== object.metadata.generation) return `dependency '${name}' is not ready: its latest generation is not reconciled yet`;
  if (findCondition(status.conditions, 'Ready')?.status !== 'True') return `dependency '${name}' is not ready`;
  const spec = (object.spec ?? {}) as { sourceRef?: { kind?: string; name?: string; namespace?: string } };
  const ref = spec.sourceRef;
  const dependencySource = ref ? `${ref.kind}/${ref.namespace ?? object.metadata.namespace}/${ref.name}` : undefined;
  if (source && dependencySource === source.id && source.revision && status.lastAppliedRevision !== source.revision) {
    return `dependency '${name}' revision is not up to date (${source.revision} not applied yet)`;
  }
  return undefined;
}

/**
 * The dependency cycle that `start` is part of, as a list of `namespace/name` ending
 * where it began, or undefined. `dependsOn(id)` lists the dependencies of an object.
 */
export function findCycle(start: string, dependsOn: (id: string) => readonly string[]): string[] | undefined {
  const path: string[] = [];
  const visited = new Set<string>();
  const visit = (id: string): string[] | undefined => {
    if (id === start && path.length > 0) return [...path, id];
    if (visited.has(id)) return undefined;
    visited.add(id);
    path.push(id);
    for (const next of dependsOn(id)) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    return undefined;
  };
  return visit(start);
}
