// The failure contract between activities and workflows. Every failure an activity
// raises has one of these types and says whether retrying may help; Temporal's retry
// policy obeys that, and a workflow that catches a step's failure (its retries spent, or
// not retryable) writes it on the object's status and backs off. Failures a user can fix
// in Git or in the spec (a broken build, a refused object) are not raised at all: steps
// return them as results, so they reach the status at once.
export const FailureType = {
  /** the Kubernetes API refused a request or could not be reached */
  KubeApi: 'KubeApiError',
  /** an artifact could not be downloaded, or did not match its digest */
  Artifact: 'ArtifactError',
  /** a cluster target (kubeconfig Secret, impersonation) cannot be used as configured */
  ClusterTarget: 'ClusterTargetError',
  /** this worker no longer holds the reconcile's workspace (it restarted): start again from the first step */
  WorkspaceLost: 'WorkspaceLost',
  /** a health wait that found a failed object or ran out of time */
  HealthCheck: 'HealthCheckFailed',
  /** a healthCheckExprs expression that does not compile */
  InvalidCELExpression: 'InvalidCELExpression',
  /** a notification its Provider's endpoint did not take */
  Notification: 'NotificationFailed',
  /** anything else: a bug, which retrying the same input will not fix */
  Unexpected: 'UnexpectedError',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** What an error class raised in activities carries across the boundary. */
export interface TypedFailure {
  readonly failureType: FailureType;
  /** whether the same request may succeed later */
  readonly retryable: boolean;
}

export function isTypedFailure(error: unknown): error is Error & TypedFailure {
  return error instanceof Error && typeof (error as Partial<TypedFailure>).failureType === 'string' && typeof (error as Partial<TypedFailure>).retryable === 'boolean';
}
