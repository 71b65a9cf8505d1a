// The loops' `status` query for `get`, sent as one unary gRPC call with a descriptor of
// only the messages it needs: the Temporal client library carries the whole API's
// descriptors and a gRPC library, whose load alone takes longer than `get` should take
// to answer. The query is one stable call of temporal.api.workflowservice.v1 and its
// answer one JSON payload. Imported lazily (cli/context.ts), so only `get` loads it.
import protobuf from 'protobufjs/light.js';
import type { ObjectWorkflowStatus } from '../common/object-workflow.js';
import { objectWorkflowId, statusQueryName } from '../common/loop-addresses.js';
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import { tlsConfig } from '../temporal/tls.js';
import type { TemporalSettings } from '../workers/settings.js';
import { openGrpcChannel } from './grpc-unary.js';
import { temporalUnreachable } from './temporal.js';

// Field numbers as in temporal/api/{workflowservice,common,query}/v1 of the Temporal API.
const descriptor = {
  nested: {
    QueryWorkflowRequest: {
      fields: { namespace: { type: 'string', id: 1 }, execution: { type: 'WorkflowExecution', id: 2 }, query: { type: 'WorkflowQuery', id: 3 } },
    },
    WorkflowExecution: { fields: { workflowId: { type: 'string', id: 1 }, runId: { type: 'string', id: 2 } } },
    WorkflowQuery: { fields: { queryType: { type: 'string', id: 1 } } },
    QueryWorkflowResponse: { fields: { queryResult: { type: 'Payloads', id: 1 }, queryRejected: { type: 'QueryRejected', id: 2 } } },
    QueryRejected: { fields: { status: { type: 'int32', id: 1 } } },
    Payloads: { fields: { payloads: { rule: 'repeated', type: 'Payload', id: 1 } } },
    Payload: { fields: { metadata: { keyType: 'string', type: 'bytes', id: 1 }, data: { type: 'bytes', id: 2 } } },
  },
};

interface Payload {
  metadata?: Record<string, Uint8Array>;
  data?: Uint8Array;
}

interface QueryAnswer {
  queryResult?: { payloads?: Payload[] };
  queryRejected?: { status?: number };
}

const queryMethod = '/temporal.api.workflowservice.v1.WorkflowService/QueryWorkflow';

/** The value of a payload the default data converter wrote: JSON, or null. */
function payloadValue(payload: Payload | undefined): unknown {
  const encoding = payload?.metadata?.encoding ? Buffer.from(payload.metadata.encoding).toString('utf8') : undefined;
  if (encoding === 'json/plain' && payload?.data) return JSON.parse(Buffer.from(payload.data).toString('utf8'));
  return undefined;
}

export interface LoopQueries {
  /** each loop's answer by workflow ID; loops that do not answer within `timeoutMs` (their workers are down, say) are left out */
  statuses(refs: readonly FluxObjectRef[], timeoutMs?: number): Promise<Map<string, ObjectWorkflowStatus>>;
  close(): void;
}

const messages = protobuf.Root.fromJSON(descriptor);
const QueryWorkflowRequest = messages.lookupType('QueryWorkflowRequest');
const QueryWorkflowResponse = messages.lookupType('QueryWorkflowResponse');

/** A channel to the Temporal frontend for `status` queries; a CliError when it cannot be reached within `timeoutMs`. */
export async function connectLoopQueries(settings: TemporalSettings, timeoutMs = 5_000): Promise<LoopQueries> {
  const metadata: Record<string, string> = { 'temporal-namespace': settings.namespace };
  if (settings.apiKey) metadata.authorization = `Bearer ${settings.apiKey}`;
  let channel;
  try {
    channel = await openGrpcChannel(settings.address, { tls: tlsMaterial(await tlsConfig(settings)), metadata, connectTimeoutMs: timeoutMs });
  } catch (error) {
    throw temporalUnreachable(settings, error);
  }

  /** the loop's answer; undefined when it has none in time (its workers are down) or refuses */
  const query = async (ref: FluxObjectRef, deadline: number): Promise<ObjectWorkflowStatus | undefined> => {
    const request = QueryWorkflowRequest.fromObject({ namespace: settings.namespace, execution: { workflowId: objectWorkflowId(ref) }, query: { queryType: statusQueryName } });
    try {
      const answer = QueryWorkflowResponse.decode(await channel.call(queryMethod, QueryWorkflowRequest.encode(request).finish(), deadline)) as unknown as QueryAnswer;
      return answer.queryRejected ? undefined : (payloadValue(answer.queryResult?.payloads?.[0]) as ObjectWorkflowStatus | undefined);
    } catch {
      return undefined;
    }
  };

  return {
    async statuses(refs, queryTimeoutMs = 3_000) {
      const deadline = Date.now() + queryTimeoutMs;
      const answers = await Promise.all(refs.map(async (ref) => [objectWorkflowId(ref), await query(ref, deadline)] as const));
      return new Map(answers.filter((answer): answer is readonly [string, ObjectWorkflowStatus] => answer[1] !== undefined));
    },
    close: () => channel.close(),
  };
}

function tlsMaterial(config: Awaited<ReturnType<typeof tlsConfig>>) {
  return config && { ca: config.serverRootCACertificate, cert: config.clientCertPair?.crt, key: config.clientCertPair?.key, serverName: config.serverNameOverride };
}
