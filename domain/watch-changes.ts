// Which changes to a Flux object wake its reconcile loop: a new generation (the spec
// changed), a new reconcile.fluxcd.io/requestedAt (`flux reconcile`), or the start of
// its deletion. Status writes (our own, every reconcile) and label edits do not.
/** `flux reconcile` sets it to a new value to ask for a reconcile now. */
export const requestedAtAnnotation = 'reconcile.fluxcd.io/requestedAt';

export interface ObservedObject {
  generation?: number;
  requestedAt?: string;
  deleting: boolean;
}

export function observe(metadata: { generation?: number; annotations?: Record<string, string>; deletionTimestamp?: unknown }): ObservedObject {
  return {
    generation: metadata.generation,
    requestedAt: metadata.annotations?.[requestedAtAnnotation],
    deleting: metadata.deletionTimestamp !== undefined && metadata.deletionTimestamp !== null,
  };
}

export function wakesReconcile(previous: ObservedObject | undefined, current: ObservedObject): boolean {
  if (!previous) return true;
  return previous.generation !== current.generation || previous.requestedAt !== current.requestedAt || (!previous.deleting && current.deleting);
}
