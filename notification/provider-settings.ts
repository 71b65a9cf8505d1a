// A Provider (notification.toolkit.fluxcd.io/v1beta3) and its Secrets turned into what a
// notifier sends with, by the rules of notification-controller's createNotifier: the
// Secret's address, username, password, token and headers override the spec's. Pure:
// the Secrets are read by the send step.
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../domain/duration.js';
import type { ProviderSettings } from './payloads.js';
import type { ProviderTls } from './post-message.js';

export interface ProviderSpec {
  type: string;
  address?: string;
  channel?: string;
  username?: string;
  timeout?: string;
  secretRef?: { name: string };
  certSecretRef?: { name: string };
  proxy?: string;
  proxySecretRef?: { name: string };
  serviceAccountName?: string;
  suspend?: boolean;
}

/** Flux's default Provider timeout. */
export const defaultProviderTimeoutMs = 15_000;

const maxAddressBytes = 2048;

export type ProviderConfig = { ok: true; settings: ProviderSettings; tls?: ProviderTls; timeoutMs: number } | { ok: false; message: string };

export function providerTimeoutMs(spec: ProviderSpec): number {
  return (spec.timeout && parseDuration(spec.timeout)) || defaultProviderTimeoutMs;
}

/**
 * The settings, or why the Provider cannot send. `secret` and `certSecret` are the data
 * of spec.secretRef's and spec.certSecretRef's Secrets, read by the caller.
 */
export function providerConfig(spec: ProviderSpec, secret: Record<string, string> | undefined, certSecret: Record<string, string> | undefined): ProviderConfig {
  // Refused by name rather than ignored: a notification sent around the proxy, or with the
  // worker's own identity, is not what the user asked for.
  if (spec.serviceAccountName) {
    return { ok: false, message: 'to use spec.serviceAccountName for provider authentication please enable the ObjectLevelWorkloadIdentity feature gate in the controller' };
  }
  if (spec.proxy || spec.proxySecretRef || secret?.proxy) return { ok: false, message: 'proxies (spec.proxy, spec.proxySecretRef, the Secret\'s proxy) are not supported by Kimbernetes yet' };
  const address = secret?.address !== undefined ? secret.address.trim() : (spec.address ?? '');
  if (Buffer.byteLength(address) > maxAddressBytes) return { ok: false, message: `invalid address in secret: address exceeds maximum length of ${maxAddressBytes} bytes` };
  let headers: Record<string, string> | undefined;
  if (secret?.headers !== undefined) {
    try {
      const parsed: unknown = parseYaml(secret.headers);
      if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) throw new Error('not a map of header names to values');
      headers = Object.fromEntries(Object.entries((parsed ?? {}) as Record<string, unknown>).map(([key, value]) => [key, String(value)]));
    } catch (error) {
      // The parser's own words may quote the Secret's text: only its kind of fault is named.
      return { ok: false, message: `failed to read headers from secret: ${error instanceof Error && error.message === 'not a map of header names to values' ? error.message : 'not valid YAML'}` };
    }
  }
  const username = secret?.username ?? spec.username;
  const settings: ProviderSettings = {
    type: spec.type,
    address,
    ...(secret?.address !== undefined ? { addressFromSecret: true } : {}),
    ...(spec.channel ? { channel: spec.channel } : {}),
    ...(username ? { username } : {}),
    ...(secret?.password ? { password: secret.password } : {}),
    ...(secret?.token?.trim() ? { token: secret.token.trim() } : {}),
    ...(headers ? { headers } : {}),
  };
  const tls = certSecret ? { ca: certSecret['ca.crt'], cert: certSecret['tls.crt'], key: certSecret['tls.key'] } : undefined;
  if (tls && !!tls.cert !== !!tls.key) return { ok: false, message: 'failed to get TLS config: found one of tls.crt or tls.key but not both' };
  return { ok: true, settings, ...(tls ? { tls } : {}), timeoutMs: providerTimeoutMs(spec) };
}

/**
 * Every credential in the settings, masked wherever an error's words could carry one: the
 * token, the password, the Secret's header values, and an address the Secret gave (a
 * Slack or Teams webhook URL is itself the credential: its path and query are masked).
 */
export function secretsOf(settings: ProviderSettings): string[] {
  const secrets = [settings.token, settings.password, ...Object.values(settings.headers ?? {})];
  if (settings.addressFromSecret && settings.address) {
    secrets.push(settings.address);
    try {
      const url = new URL(settings.address);
      secrets.push(`${url.pathname}${url.search}`, url.password, url.username);
    } catch {
      // not a URL: the address itself is masked
    }
  }
  // Longest first, so a value is masked whole before any part of it.
  return [...new Set(secrets.filter((value): value is string => !!value && value !== '/' && value.length >= 3))].sort((a, b) => b.length - a.length);
}

/** Flux's masktoken: each credential in a message becomes `*****`. */
export function maskSecrets(message: string, secrets: string[]): string {
  return secrets.reduce((masked, secret) => masked.split(secret).join('*****'), message);
}
