// The one error type for the Kubernetes API boundary: callers branch on `status`,
// `reason`, `causes` and `retryable` — the API server's own metav1.Status — never on
// message text.
import { FailureType, type TypedFailure } from '../common/failures.js';
import type { ObjectReference } from './objects.js';
import { describeReference } from './objects.js';

/** One entry of a metav1.Status's details.causes: which field, and why. */
export interface StatusCause {
  /** e.g. FieldValueInvalid, FieldValueForbidden */
  reason?: string;
  message?: string;
  /** e.g. spec.selector */
  field?: string;
}

export class KubeError extends Error implements TypedFailure {
  override readonly name = 'KubeError';
  readonly failureType = FailureType.KubeApi;
  constructor(
    message: string,
    /** HTTP status of the API server's answer; 0 when it could not be reached */
    readonly status: number,
    readonly object: ObjectReference | undefined,
    /** whether the same request may succeed later (conflicts, throttling, outages) */
    readonly retryable: boolean,
    /** the Status's machine-readable reason (Invalid, Conflict, Forbidden, InternalError, ...) */
    readonly reason?: string,
    readonly causes: readonly StatusCause[] = [],
  ) {
    super(message);
  }

  get notFound(): boolean {
    return this.status === 404;
  }

  /** The same failure, described differently (the object's name first, say); status and details kept. */
  withMessage(message: string): KubeError {
    return new KubeError(message, this.status, this.object, this.retryable, this.reason, this.causes);
  }
}

/**
 * Whether an apply was refused for a field that cannot change in place, as Flux's ssa
 * package (and kubectl before it) tells: a Conflict or Invalid answer (409, 422), or an
 * error saying "immutable" (a webhook's or a CEL rule's refusal). It may be wrong, so it
 * only ever recreates an object when spec.force or the `force: Enabled` marker asks.
 */
export function isImmutableFieldError(error: KubeError): boolean {
  return error.status === 409 || error.status === 422 || error.message.includes('immutable');
}

const retryableStatuses = new Set([0, 409, 429, 500, 502, 503, 504]);

/** Turns whatever the client library threw into a KubeError naming the object and the cause. */
export function toKubeError(error: unknown, action: string, object?: ObjectReference): KubeError {
  if (error instanceof KubeError) return error;
  const body = typeof error === 'object' && error !== null && 'body' in error ? error.body : undefined;
  return kubeErrorFromAnswer(statusOf(error), body, action, object, error instanceof Error ? error.message : String(error));
}

/**
 * A KubeError from the API server's answer: its HTTP status and body (a metav1.Status,
 * as text or parsed); `otherwise` is the cause when the body says none.
 */
export function kubeErrorFromAnswer(status: number, body: unknown, action: string, object?: ObjectReference, otherwise = `HTTP ${status}`): KubeError {
  const what = object ? `${action} ${describeReference(object)}` : action;
  const parsed = statusBody(body);
  const reason = parsed?.message || (typeof parsed?.raw === 'string' && parsed.raw) || otherwise;
  return new KubeError(`${what}: ${reason}`, status, object, retryableStatuses.has(status), parsed?.reason, parsed?.causes ?? []);
}

function statusOf(error: unknown): number {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number') {
    return error.code;
  }
  return 0;
}

interface StatusBody {
  message?: string;
  reason?: string;
  /** details.causes */
  causes?: StatusCause[];
  /** a body that was not a Status (a proxy's text, say) */
  raw?: string;
}

/** The API server's own answer (a metav1.Status), when it gave one. */
function statusBody(body: unknown): StatusBody | undefined {
  if (typeof body === 'string') {
    if (body === '') return undefined;
    try {
      body = JSON.parse(body);
    } catch {
      return { raw: body as string };
    }
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const status = body as Record<string, unknown>;
  const causes = (status.details as { causes?: unknown } | undefined)?.causes;
  return {
    message: typeof status.message === 'string' ? status.message : undefined,
    reason: typeof status.reason === 'string' ? status.reason : undefined,
    causes: Array.isArray(causes) ? (causes as StatusCause[]) : [],
  };
}
