// The one error type for the Kubernetes API boundary: callers branch on `status` and
// `retryable`, never on message text.
import type { ObjectReference } from './objects.js';
import { describeReference } from './objects.js';

export class KubeError extends Error {
  override readonly name = 'KubeError';
  constructor(
    message: string,
    /** HTTP status of the API server's answer; 0 when it could not be reached */
    readonly status: number,
    readonly object: ObjectReference | undefined,
    /** whether the same request may succeed later (conflicts, throttling, outages) */
    readonly retryable: boolean,
  ) {
    super(message);
  }

  get notFound(): boolean {
    return this.status === 404;
  }
}

const retryableStatuses = new Set([0, 409, 429, 500, 502, 503, 504]);

/** Turns whatever the client library threw into a KubeError naming the object and the cause. */
export function toKubeError(error: unknown, action: string, object?: ObjectReference): KubeError {
  if (error instanceof KubeError) return error;
  const what = object ? `${action} ${describeReference(object)}` : action;
  const status = statusOf(error);
  const reason = serverMessage(error) ?? (error instanceof Error ? error.message : String(error));
  return new KubeError(`${what}: ${reason}`, status, object, retryableStatuses.has(status));
}

function statusOf(error: unknown): number {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number') {
    return error.code;
  }
  return 0;
}

/** The API server's own explanation (a metav1.Status message), when it gave one. */
function serverMessage(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('body' in error)) return undefined;
  let body: unknown = error.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return (body as string) || undefined;
    }
  }
  if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string') {
    return body.message;
  }
  return undefined;
}
