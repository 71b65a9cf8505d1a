// Health by a Kustomization's `spec.healthCheckExprs`: CEL expressions that say when a
// kind kstatus cannot judge is current, in progress or failed. What Flux does, and so
// this does (kustomize-controller docs/spec/v1/kustomizations.md "Health check
// expressions" and internal/controller/kustomization_controller.go; fluxcd/pkg
// runtime/cel status_evaluator.go, status_reader.go, expression.go):
// - An entry applies to every object of its API group and kind; the version in its
//   apiVersion does not matter. A second entry for the same group and kind is a spec
//   error. `current` is required; an empty `inProgress` or `failed` counts as absent.
//   A HelmRelease's entry may leave out `kind` (helm-controller v1.5): it then applies to
//   every kind of its group that no entry names.
// - The expressions see the object's own top-level fields as variables: `metadata`,
//   `spec`, `status`, or `data` for a ConfigMap. A field the object lacks is an
//   evaluation error, not false; `has(status.x)` or `status.?x.orValue(...)` guard it.
// - First the generation rule, and nothing else of kstatus: when status.observedGeneration
//   and metadata.generation are both set and differ, the object is InProgress and no
//   expression is evaluated.
// - Then inProgress, failed and current, in that order; the first that is true decides.
//   When none is, the object is InProgress.
// - An expression that fails to evaluate (a missing field, a result that is not a bool)
//   ends the evaluation: the object's status is unknown, so the wait goes on until the
//   timeout, whose message carries the error. Here that is InProgress with the error.
// - An expression that does not parse fails the whole Kustomization before anything is
//   applied: Ready=False and Stalled=True with reason InvalidCELExpression, not retried
//   until the spec changes.
// Flux only parses (a bad `has(status)` is a parse error there too); this also
// type-checks, with every variable dynamic, so it rejects up front what could never
// give a health (an unknown function, `1 + "a"`, a result that is an int), which Flux
// would only find at evaluation and wait out to the timeout.
// The dialect is Flux's: the standard macros, optional fields (`.?`), comparison across
// int and double, most string extensions (not replace, charAt, format, quote, reverse),
// no sets or base64 extensions. Whole numbers in the object are CEL ints, as Kubernetes
// decodes them, so `status.readyReplicas + 1` works.
import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import { apiGroupOf, type KubernetesObject } from '../kube/objects.js';
import type { CustomHealthCheck } from '../schemas/types.js';
import { HealthStatus, type Health } from './health.js';
import { celErrorSummary, celValue } from './cel.js';

/** The evaluation order, with the health each expression gives when it is true. */
const outcomes = [
  ['inProgress', HealthStatus.InProgress],
  ['failed', HealthStatus.Failed],
  ['current', HealthStatus.Current],
] as const;
type ExpressionName = (typeof outcomes)[number][0];

interface CompiledExpression {
  name: ExpressionName;
  source: string;
  health: HealthStatus;
  evaluate: ParseResult;
}

/** One `spec.healthCheckExprs` entry, parsed once; built inside the activity that evaluates it. */
export interface CompiledHealthCheck {
  group: string;
  /** '' for every kind of the group */
  kind: string;
  /** in evaluation order; the last is `current` */
  expressions: CompiledExpression[];
}

export type HealthExpressionsReading = { ok: true; checks: CompiledHealthCheck[] } | { ok: false; message: string };

// The variables are whatever top-level fields an object has, so none is declared and all are dyn.
const cel = new Environment({ unlistedVariablesAreDyn: true, enableOptionalTypes: true, homogeneousAggregateLiterals: false });

/** Parses every expression; the first one that is not valid fails the whole spec, as in Flux. */
export function compileHealthExpressions(entries: readonly CustomHealthCheck[]): HealthExpressionsReading {
  const checks: CompiledHealthCheck[] = [];
  const seen = new Map<string, number>();
  for (const [index, entry] of entries.entries()) {
    const field = `spec.healthCheckExprs[${index}]`;
    const group = apiGroupOf(entry.apiVersion);
    const kind = entry.kind ?? '';
    const groupKind = group ? `${kind || '*'}.${group}` : kind || '*';
    const first = seen.get(groupKind);
    if (first !== undefined) {
      return { ok: false, message: `${field}: a second health check for ${groupKind}, which spec.healthCheckExprs[${first}] already has` };
    }
    seen.set(groupKind, index);
    if (!entry.current) return { ok: false, message: `${field}.current: a CEL expression is required` };
    const expressions: CompiledExpression[] = [];
    for (const [name, health] of outcomes) {
      const source = entry[name];
      if (!source) continue;
      const compiled = compileExpression(source);
      if (typeof compiled === 'string') return { ok: false, message: `${field}.${name}: ${compiled}` };
      expressions.push({ name, source, health, evaluate: compiled });
    }
    checks.push({ group, kind, expressions });
  }
  return { ok: true, checks };
}

/** The check for objects of this kind: the one that names it, else its group's (kstatus rules apply without one). */
function checkFor(ref: { apiVersion: string; kind: string }, checks: readonly CompiledHealthCheck[]): CompiledHealthCheck | undefined {
  const group = apiGroupOf(ref.apiVersion);
  const ofGroup = checks.filter((check) => check.group === group);
  return ofGroup.find((check) => check.kind === ref.kind) ?? ofGroup.find((check) => check.kind === '');
}

/** Whether an expression judges objects of this kind (kstatus rules do otherwise). */
export function hasExpressionFor(ref: { apiVersion: string; kind: string }, checks: readonly CompiledHealthCheck[]): boolean {
  return checkFor(ref, checks) !== undefined;
}

/** The health the expressions give `object`, or undefined when no check is for its kind (then kstatus rules apply). */
export function expressionHealthOf(object: KubernetesObject, checks: readonly CompiledHealthCheck[]): Health | undefined {
  const check = checkFor(object, checks);
  if (!check) return undefined;
  const inProgress = (message: string): Health => ({ status: HealthStatus.InProgress, message });

  const generation = object.metadata.generation;
  const observedGeneration = (object.status as { observedGeneration?: unknown } | undefined)?.observedGeneration;
  if (generation !== undefined && observedGeneration !== undefined && observedGeneration !== generation) {
    return inProgress(`${object.kind} generation ${generation} not yet observed`);
  }

  const variables = celValue(object) as Record<string, unknown>;
  for (const expression of check.expressions) {
    const described = `${expression.name} expression '${expression.source}'`;
    let result: unknown;
    try {
      result = expression.evaluate(variables);
    } catch (error) {
      return inProgress(`cannot evaluate ${described}: ${celErrorSummary(error)}`);
    }
    if (typeof result !== 'boolean') return inProgress(`cannot evaluate ${described}: the result is ${celTypeOf(result)}, not a bool`);
    if (result) return { status: expression.health, message: `${described} is true` };
  }
  const current = check.expressions[check.expressions.length - 1]!;
  return inProgress(`${current.name} expression '${current.source}' is false`);
}

/** A parsed expression, or why it cannot be one. */
function compileExpression(source: string): ParseResult | string {
  let parsed: ParseResult;
  try {
    parsed = cel.parse(source);
  } catch (error) {
    return `invalid CEL expression '${source}': ${celErrorSummary(error)}`;
  }
  const checked = parsed.check();
  if (!checked.valid) return `invalid CEL expression '${source}': ${celErrorSummary(checked.error)}`;
  if (checked.type !== 'bool' && checked.type !== 'dyn') return `CEL expression '${source}' gives ${checked.type}, not a bool`;
  return parsed;
}

function celTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'bigint':
      return 'an int';
    case 'number':
      return 'a double';
    case 'string':
      return 'a string';
    case 'object':
      return 'a map';
    default:
      return typeof value;
  }
}
