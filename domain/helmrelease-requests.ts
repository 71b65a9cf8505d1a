// HelmRelease's two requests beyond a reconcile (fluxcd/pkg runtime/reconcile and
// helm-controller's interval.go): `reconcile.fluxcd.io/forceAt` forces a Helm action
// (an upgrade of a release in sync, an install despite spent retries), and
// `reconcile.fluxcd.io/resetAt` resets the failure counters. Each is honoured once, and
// only when it carries the same token as `reconcile.fluxcd.io/requestedAt`, as `flux
// reconcile hr --force|--reset` writes them.
import { requestedAtAnnotation } from './watch-changes.js';

export const forceAtAnnotation = 'reconcile.fluxcd.io/forceAt';
export const resetAtAnnotation = 'reconcile.fluxcd.io/resetAt';

export interface HandledRequests {
  lastHandledForceAt?: string;
  lastHandledResetAt?: string;
}

/** The token of a force or reset request not handled yet; undefined when there is none. */
export function pendingRequest(annotations: Record<string, string> | undefined, annotation: string, handled: string | undefined): string | undefined {
  const token = annotations?.[annotation];
  if (!token || token !== annotations?.[requestedAtAnnotation] || token === handled) return undefined;
  return token;
}
