// Whether a webhook call is the one a Receiver waits for, by its type, as notification-
// controller's receiver handler checks it: an HMAC of the body, a token header, and the
// event type against spec.events. Pure: the caller has read the request and the token.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

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
      // go-github's ValidatePayload: a JSON body, or a form whose `payload` field is one.
      const contentType = (header(call, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (contentType !== 'application/json' && contentType !== 'application/x-www-form-urlencoded') {
        return { ok: false, message: `the GitHub signature header is invalid, err: webhook request has unsupported Content-Type "${contentType}"` };
      }
      const signature = header(call, 'x-hub-signature-256') ?? header(call, 'x-hub-signature');
      const problem = signatureProblem(signature, call.body, token);
      if (problem) return { ok: false, message: `the GitHub signature header is invalid, err: ${problem}` };
      return eventAllowed('GitHub', header(call, 'x-github-event') ?? '', events);
    }
    case 'gitlab':
      if (!sameSecret(header(call, 'x-gitlab-token'), token)) return { ok: false, message: 'the X-Gitlab-Token header value does not match the receiver token' };
      return eventAllowed('GitLab', header(call, 'x-gitlab-event') ?? '', events);
    case 'harbor':
      if (!sameSecret(header(call, 'authorization'), token)) return { ok: false, message: 'the Harbor Authorization header value does not match the receiver token' };
      return ok;
    default:
      return { ok: false, message: `recevier type "${type}" not supported` };
  }
}

/** A header against the token in constant time: their digests are compared, so neither length nor content leaks. */
function sameSecret(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(token));
}

/** The request as the resourceFilter's `req` sees it: the JSON body, or a GitHub form's `payload`. */
export function requestDocument(call: WebhookCall): unknown {
  const contentType = (header(call, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const text = contentType === 'application/x-www-form-urlencoded' ? (new URLSearchParams(call.body.toString('utf8')).get('payload') ?? '') : call.body.toString('utf8');
  return JSON.parse(text) as unknown;
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
