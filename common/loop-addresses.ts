// How a client addresses an object's loop, without the SDK: clients that must start fast
// (the CLI's `get`) query it over a bare gRPC call.

/** `gitrepository/flux-system/podinfo`: kind in lower case, as Flux users name objects. */
export function objectWorkflowId(ref: { kind: string; namespace: string; name: string }): string {
  return `${ref.kind.toLowerCase()}/${ref.namespace}/${ref.name}`;
}

/** The query every loop answers with its ObjectWorkflowStatus (common/object-workflow.ts). */
export const statusQueryName = 'status';
