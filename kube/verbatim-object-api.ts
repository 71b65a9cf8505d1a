// The client library's object API, with writes that send the object as it is. The
// library's own create, replace and patch first pass an object of a built-in kind
// through its typed models, which keep only the fields they know, by their TypeScript
// names: a CustomResourceDefinition's `x-kubernetes-preserve-unknown-fields` or
// `x-kubernetes-int-or-string`, a schema's `$ref`, and any field newer than the library
// would be dropped without a word, and the API server would then prune what the schema
// no longer admits. Paths (discovery), credentials and answers stay the library's.
import { KubernetesObjectApi, type KubeConfig } from '@kubernetes/client-node';
import type { KubernetesObject } from './objects.js';

export type ObjectWrite = 'create' | 'replace' | 'patch';

const methods = { create: 'POST', replace: 'PUT', patch: 'PATCH' } as const;

type RequestMethod = Parameters<KubernetesObjectApi['configuration']['baseServer']['makeRequestContext']>[1];

export class VerbatimObjectApi extends KubernetesObjectApi {
  static forConfig(config: KubeConfig): VerbatimObjectApi {
    const api = config.makeApiClient(VerbatimObjectApi);
    api.setDefaultNamespace(config);
    return api;
  }

  /** `contentType`: JSON for create and replace, the patch's type (server-side apply's) for a patch. */
  async write(object: KubernetesObject, action: ObjectWrite, query: Record<string, string | undefined>, contentType = 'application/json'): Promise<KubernetesObject> {
    const path = await this.specUriPath(object, action);
    const request = this.configuration.baseServer.makeRequestContext(path, methods[action] as unknown as RequestMethod);
    request.setHeaderParam('Accept', 'application/json, */*;q=0.8');
    request.setHeaderParam('Content-Type', contentType);
    for (const [name, value] of Object.entries(query)) if (value !== undefined) request.setQueryParam(name, value);
    request.setBody(JSON.stringify(object));
    return this.requestPromise<KubernetesObject>(request);
  }
}
