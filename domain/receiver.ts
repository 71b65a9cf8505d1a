// A Receiver (notification.toolkit.fluxcd.io/v1) as notification-controller reconciles it
// and serves its webhook: the path its token and name make, what its spec may say, the
// resources a call names, and the status each reconcile leaves. Pure.
import { createHash } from 'node:crypto';
import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import { celErrorSummary, celValue } from './cel.js';
import { findCondition, setCondition, type Condition } from './conditions.js';
import { goDurationString, parseDuration } from './duration.js';

export interface ReceiverResource {
  apiVersion?: string;
  kind: string;
  name: string;
  namespace?: string;
  matchLabels?: Record<string, string>;
}

export interface ReceiverSpec {
  type: string;
  events?: string[];
  resources: ReceiverResource[];
  resourceFilter?: string;
  secretRef: { name: string };
  interval?: string;
  suspend?: boolean;
}

export interface ReceiverStatus {
  conditions?: Condition[];
  observedGeneration?: number;
  webhookPath?: string;
  lastHandledReconcileAt?: string;
}

/** The types this engine validates; Flux knows more (the CRD admits them), each refused by name. */
export const supportedReceiverTypes = ['generic', 'generic-hmac', 'github', 'gitlab', 'harbor'] as const;

/** Flux's Receiver interval default. */
export const defaultReceiverIntervalMs = 10 * 60_000;

export function receiverIntervalMs(spec: Pick<ReceiverSpec, 'interval'>): number {
  return (spec.interval && parseDuration(spec.interval)) || defaultReceiverIntervalMs;
}

/** `/hook/` and the hex sha256 of the token, the Receiver's name and its namespace, run together. */
export function webhookPath(token: string, name: string, namespace: string): string {
  return `/hook/${createHash('sha256').update(token + name + namespace).digest('hex')}`;
}

/** The apiVersion a resource names, or Flux's default for the source kinds and ImageRepository. */
export function resourceApiVersion(resource: ReceiverResource): string | undefined {
  if (resource.apiVersion) return resource.apiVersion;
  if (['Bucket', 'HelmChart', 'HelmRepository', 'GitRepository', 'OCIRepository'].includes(resource.kind)) return 'source.toolkit.fluxcd.io/v1';
  if (resource.kind === 'ImageRepository') return 'image.toolkit.fluxcd.io/v1';
  return undefined;
}

// `req` (the request's JSON body) and `res` (the resource's metadata) are all a filter sees.
const cel = new Environment({ unlistedVariablesAreDyn: true, enableOptionalTypes: true, homogeneousAggregateLiterals: false });

export type ResourceFilter = { ok: true; evaluate: ParseResult } | { ok: false; message: string };

/** The resourceFilter parsed and checked to give a bool. */
export function compileResourceFilter(expression: string): ResourceFilter {
  let parsed: ParseResult;
  try {
    parsed = cel.parse(expression);
  } catch (error) {
    return { ok: false, message: `failed to parse expression ${expression}: ${celErrorSummary(error)}` };
  }
  const checked = parsed.check();
  if (!checked.valid) return { ok: false, message: `expression ${expression} check failed: ${celErrorSummary(checked.error)}` };
  if (checked.type !== 'bool' && checked.type !== 'dyn') return { ok: false, message: `invalid expression output type ${checked.type}` };
  return { ok: true, evaluate: parsed };
}

/** Whether the filter lets a resource through; an expression that cannot be evaluated on this call is an error. */
export function filterPasses(filter: ParseResult, request: unknown, resource: { metadata: Record<string, unknown> }): boolean {
  const result = filter({ req: celValue(request), res: celValue({ metadata: resource.metadata }) });
  if (typeof result !== 'boolean') throw new Error('the resourceFilter did not give a bool');
  return result;
}

/** Why a spec cannot be served, in words; undefined when it can. */
export function receiverSpecProblem(spec: ReceiverSpec): { reason: 'UnsupportedType' | 'InvalidCELExpression'; message: string } | undefined {
  if (!(supportedReceiverTypes as readonly string[]).includes(spec.type)) {
    return { reason: 'UnsupportedType', message: `Receiver type '${spec.type}' is not supported by Kimbernetes yet (supported: ${supportedReceiverTypes.join(', ')})` };
  }
  if (spec.resourceFilter) {
    const filter = compileResourceFilter(spec.resourceFilter);
    if (!filter.ok) return { reason: 'InvalidCELExpression', message: filter.message };
  }
  return undefined;
}

/**
 * `reconcile.fluxcd.io/requestedAt` as a Receiver sets it: Go's time.Time String() of
 * metav1.Now(), `2026-12-03 10:00:00.123456789 +0000 UTC m=+12.345678901`.
 */
export function requestedAtValue(now: Date, uptimeSeconds: number): string {
  const iso = now.toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ''} +0000 UTC m=+${uptimeSeconds.toFixed(9)}`;
}

export type ReceiverResult =
  | { outcome: 'ready'; path: string }
  | { outcome: 'token-missing'; message: string }
  | { outcome: 'invalid'; message: string; reason: 'InvalidCELExpression' | 'UnsupportedType' };

export interface ReceiverEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** The status a reconcile leaves and its event, as receiver_controller.go's reconcile and patch leave them. */
export function nextReceiverStatus(
  previous: ReceiverStatus,
  result: ReceiverResult,
  ctx: { now: string; generation?: number; requestedAt?: string; intervalMs: number },
): { status: ReceiverStatus; event: ReceiverEvent } {
  const at = { now: ctx.now, generation: ctx.generation };
  let conditions = previous.conditions ?? [];
  const status: ReceiverStatus = { ...previous, ...(ctx.requestedAt !== undefined ? { lastHandledReconcileAt: ctx.requestedAt } : {}) };
  const drop = (type: string) => (conditions = conditions.filter((condition) => condition.type !== type));
  switch (result.outcome) {
    case 'ready': {
      const message = `Receiver initialized for path: ${result.path}`;
      conditions = setCondition(conditions, { type: 'Ready', status: 'True', reason: 'Succeeded', message }, at);
      drop('Reconciling');
      drop('Stalled');
      return {
        status: { ...status, conditions, webhookPath: result.path, ...(ctx.generation !== undefined ? { observedGeneration: ctx.generation } : {}) },
        event: { type: 'Normal', reason: 'Succeeded', message: `Reconciliation finished, next run in ${goDurationString(ctx.intervalMs)}` },
      };
    }
    case 'token-missing': {
      conditions = setCondition(conditions, { type: 'Reconciling', status: 'True', reason: 'ProgressingWithRetry', message: 'Reconciliation in progress' }, at);
      conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason: 'TokenNotFound', message: result.message }, at);
      drop('Stalled');
      // Flux empties the path, which its omitempty field leaves out of the status.
      const cleared: ReceiverStatus = { ...status, conditions };
      delete cleared.webhookPath;
      return { status: cleared, event: { type: 'Warning', reason: 'Failed', message: result.message } };
    }
    case 'invalid': {
      const message = `Reconciliation failed terminally due to configuration error: ${result.message}`;
      conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason: result.reason, message }, at);
      conditions = setCondition(conditions, { type: 'Stalled', status: 'True', reason: result.reason, message }, at);
      drop('Reconciling');
      return {
        status: { ...status, conditions, ...(ctx.generation !== undefined ? { observedGeneration: ctx.generation } : {}) },
        event: { type: 'Warning', reason: result.reason, message },
      };
    }
  }
}

export function isReady(status: ReceiverStatus): boolean {
  return findCondition(status.conditions, 'Ready')?.status === 'True';
}
