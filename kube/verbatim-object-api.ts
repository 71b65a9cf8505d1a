// The client library's object API, with writes that send the object as it is. The
// library's own create, replace and patch first pass an object of a built-in kind
// through its typed models, which keep only the fields they know, by their TypeScript
// names: a CustomResourceDefinition's `x-kubernetes-preserve-unknown-fields` or
// `x-kubernetes-int-or-string`, a schema's `$ref`, and any field newer than the library
// would be dropped without a word, and the API server would then prune what the schema
// no longer admits. Answers are read the same way, as the server sent them (the models
// would rename those fields and drop unknown ones from what drift detection compares).
// Paths (discovery), credentials and errors stay the library's.
import { KubernetesObjectApi, type KubeConfig, type KubernetesObject as LibraryObject } from '@kubernetes/client-node';
import type { KubernetesObject } from './objects.js';

export type ObjectWrite = 'create' | 'replace' | 'patch';

const methods = { create: 'POST', replace: 'PUT', patch: 'PATCH' } as const;

type RequestMethod = Parameters<KubernetesObjectApi['configuration']['baseServer']['makeRequestContext']>[1];
type Response = Parameters<KubernetesObjectApi['processResponse']>[0];

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

  /** A 2xx answer's JSON as it is; any other the library's ApiException, as before. */
  protected override async processResponse<T extends LibraryObject>(response: Response, type?: string): Promise<T> {
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) return JSON.parse(await response.body.text()) as T;
    return super.processResponse<T>(response, type);
  }
}
