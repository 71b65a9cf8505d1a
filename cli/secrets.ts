// Secret values stay out of what the CLI prints: `build` and `diff` render Secrets the
// way the controller applies them (decrypted), and show only that a value is there.
import type { KubernetesObject } from '../kube/objects.js';

export const mask = '*****';

/** Whether a field of an object of `kind` holds a secret value. */
export function sensitive(kind: string, path: string): boolean {
  return kind === 'Secret' && /^(data|stringData)([.[]|$)/.test(path);
}

/** The object with each value of a Secret's `data` and `stringData` masked; other objects as they are. */
export function maskedSecret(object: KubernetesObject): KubernetesObject {
  if (object.kind !== 'Secret') return object;
  const masked = (values: unknown) => (typeof values === 'object' && values !== null ? Object.fromEntries(Object.keys(values).map((key) => [key, mask])) : values);
  return {
    ...object,
    ...(object.data !== undefined ? { data: masked(object.data) } : {}),
    ...(object.stringData !== undefined ? { stringData: masked(object.stringData) } : {}),
  };
}
