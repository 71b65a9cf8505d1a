// How a Helm repository is reached: basic auth from `secretRef`, TLS (client certificate,
// CA) from `certSecretRef` or, deprecated, from `secretRef`, read as Flux's runtime/secrets
// and source-controller's getter options read them, with their messages.
export interface HelmClientOptions {
  basicAuth?: { username: string; password: string };
  tls?: { cert?: string; key?: string; ca?: string };
}

export type HelmClientReading = { ok: true; options: HelmClientOptions } | { ok: false; message: string };

type SecretData = Readonly<Record<string, string>>;

/** `secretRef`'s and `certSecretRef`'s data (undefined when the spec names none); names are `namespace/name`. */
export function helmClientOptions(
  secret: { name: string; data: SecretData } | undefined,
  certSecret: { name: string; data: SecretData } | undefined,
): HelmClientReading {
  const options: HelmClientOptions = {};
  if (certSecret) {
    const tls = tlsOf(certSecret.name, certSecret.data);
    if (typeof tls === 'string') return { ok: false, message: `failed to construct Helm client's TLS config: ${tls}` };
    options.tls = tls;
  }
  if (secret) {
    const { username, password } = secret.data;
    if (username !== undefined && password === undefined) {
      return { ok: false, message: `failed to detect authentication methods: secret '${secret.name}': malformed basic auth - has 'username' but missing 'password'` };
    }
    if (username !== undefined && password !== undefined) options.basicAuth = { username, password };
    // The deprecated TLS keys of secretRef count only without certSecretRef; incomplete ones are ignored, as in Flux.
    if (!options.tls) {
      const legacy = tlsOf(secret.name, secret.data);
      if (typeof legacy !== 'string') options.tls = legacy;
    }
  }
  return { ok: true, options };
}

/** The TLS keys of a Secret (`tls.crt`, `tls.key`, `ca.crt`, and the deprecated `certFile`, `keyFile`, `caFile`), or what is wrong with them, in fluxcd/pkg runtime/secrets' words. */
export function tlsOf(name: string, data: SecretData): HelmClientOptions['tls'] | string {
  const cert = data['tls.crt'] ?? data.certFile;
  const key = data['tls.key'] ?? data.keyFile;
  const ca = data['ca.crt'] ?? data.caFile;
  if (cert !== undefined && key === undefined) return `secret '${name}' contains 'tls.crt' but missing 'tls.key'`;
  if (key !== undefined && cert === undefined) return `secret '${name}' contains 'tls.key' but missing 'tls.crt'`;
  if (cert === undefined && ca === undefined) return `secret '${name}' must contain either 'ca.crt' or both 'tls.crt' and 'tls.key'`;
  return { ...(cert !== undefined ? { cert, key } : {}), ...(ca !== undefined ? { ca } : {}) };
}
