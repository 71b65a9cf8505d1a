// The proxy a source reaches its server through, from the Secret its `proxySecretRef`
// names, as Flux's runtime/secrets reads it: `address` (an http or https URL), with
// optional `username` and `password`. Shared by every source kind that has the field.
export type ProxyReading = { ok: true; url: string } | { ok: false; message: string };

/** `secretName` is `namespace/name`, for the messages. */
export function proxyOfSecret(secretName: string, data: Readonly<Record<string, string>>): ProxyReading {
  const address = data.address;
  if (address === undefined) return { ok: false, message: `secret '${secretName}': key 'address' not found` };
  if (address === '') return { ok: false, message: `secret '${secretName}': proxy address is empty` };
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return { ok: false, message: `secret '${secretName}': failed to parse proxy address '${address}'` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, message: `secret '${secretName}': proxy URL must use http or https, got '${url.protocol.slice(0, -1)}'` };
  }
  // A username alone is used without a password, as in Flux.
  if (data.username !== undefined) {
    url.username = encodeURIComponent(data.username);
    url.password = data.password !== undefined ? encodeURIComponent(data.password) : '';
  }
  return { ok: true, url: url.toString() };
}
