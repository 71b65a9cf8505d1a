// Whether a webhook call is the one a Receiver waits for, by its type, as notification-
// controller's receiver handler checks it: an HMAC of the body, a token header, and the
// event type against spec.events. Pure: the caller has read the request and the token.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface WebhookCall {
  /** header names in lower case, as Node gives them */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export type Validation = { ok: true } | { ok: false; message: string };

const ok: Validation = { ok: true };

export function validateCall(type: string, call: WebhookCall, token: string, events: readonly string[] = []): Validation {
  switch (type) {
    case 'generic':
      return ok;
    case 'generic-hmac': {
      const problem = signatureProblem(header(call, 'x-signature'), call.body, token);
      return problem ? { ok: false, message: `unable to validate HMAC signature: ${problem}` } : ok;
    }
    case 'github': {
      const signature = header(call, 'x-hub-signature-256') ?? header(call, 'x-hub-signature');
      const problem = signatureProblem(signature, call.body, token);
      if (problem) return { ok: false, message: `the GitHub signature header is invalid, err: ${problem}` };
      return eventAllowed('GitHub', header(call, 'x-github-event') ?? '', events);
    }
    case 'gitlab':
      if (header(call, 'x-gitlab-token') !== token) return { ok: false, message: 'the X-Gitlab-Token header value does not match the receiver token' };
      return eventAllowed('GitLab', header(call, 'x-gitlab-event') ?? '', events);
    case 'harbor':
      if (header(call, 'authorization') !== token) return { ok: false, message: 'the Harbor Authorization header value does not match the receiver token' };
      return ok;
    default:
      return { ok: false, message: `recevier type "${type}" not supported` };
  }
}

function header(call: WebhookCall, name: string): string | undefined {
  const value = call.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function eventAllowed(service: string, event: string, events: readonly string[]): Validation {
  if (events.length === 0 || events.some((allowed) => allowed.toLowerCase() === event.toLowerCase())) return ok;
  return { ok: false, message: `the ${service} event "${event}" is not authorised` };
}

const algorithms: Record<string, string> = { sha1: 'sha1', sha256: 'sha256', sha512: 'sha512' };

/** go-github's ValidateSignature: `<sha1|sha256|sha512>=<hex HMAC of the body with the token>`. */
function signatureProblem(signature: string | undefined, body: Buffer, token: string): string | undefined {
  if (!signature) return 'missing signature';
  const equals = signature.indexOf('=');
  const algorithm = algorithms[signature.slice(0, equals)];
  const hex = signature.slice(equals + 1);
  if (equals < 0 || !algorithm || !/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0) return `error parsing signature "${signature}"`;
  const expected = createHmac(algorithm, token).update(body).digest();
  const given = Buffer.from(hex, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? undefined : 'payload signature check failed';
}
