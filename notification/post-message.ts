// One POST of a notification, as notification-controller's postMessage makes it: JSON,
// the Provider's CA and client certificate, its timeout. Its failures say whether another attempt may help, by the
// rule of Flux's retrying client (connection errors, 429 and 5xx but 501); the attempts
// themselves are the send step's retry policy.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { FailureType, type TypedFailure } from '../common/failures.js';
import { networkCause, readBody } from '../helm/http-get.js';
import type { OutgoingMessage } from './payloads.js';

export interface ProviderTls {
  ca?: string;
  cert?: string;
  key?: string;
}

export class NotificationFailure extends Error implements TypedFailure {
  readonly failureType = FailureType.Notification;
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** An answer's body is read this far: enough for the words of a refusal, no more. */
const maxAnswerBytes = 64 * 1024;

const certificateErrors = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export async function postMessage(message: OutgoingMessage, options: { tls?: ProviderTls; timeoutMs: number; signal?: AbortSignal }): Promise<void> {
  const url = new URL(message.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new NotificationFailure(`postMessage failed: failed to execute request: Post "${url.href}": unsupported protocol scheme "${url.protocol.slice(0, -1)}"`, false);
  }
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const body = Buffer.from(message.body);
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'Content-Length': String(body.length), ...message.headers };
  const tls = options.tls;
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      { method: 'POST', headers, signal, ...(url.protocol === 'https:' && tls ? { ca: tls.ca ? [...rootCertificates, tls.ca] : undefined, cert: tls.cert, key: tls.key } : {}) },
      (response) => {
        readBody(response, maxAnswerBytes, () => new Error('answer too large'), (error) => error)
          .then((buffer) => resolve({ status: response.statusCode ?? 0, text: buffer.toString('utf8') }))
          .catch(() => resolve({ status: response.statusCode ?? 0, text: '' }));
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) => {
      // Past the Provider's timeout Flux's client gives up (its deadline covers every
      // attempt): an endpoint that is slow but took the message gets no second copy.
      if (timeout.aborted) {
        reject(new NotificationFailure(`postMessage failed: failed to execute request: Post "${url.href}": context deadline exceeded`, false));
        return;
      }
      reject(new NotificationFailure(`postMessage failed: failed to execute request: Post "${url.href}": ${networkCause(error, url)}`, !certificateErrors.has(error.code ?? '')));
    });
    request.end(body);
  });
  if (answer.status < 200 || answer.status > 299) {
    const retryable = answer.status === 429 || (answer.status >= 500 && answer.status !== 501) || answer.status === 0;
    throw new NotificationFailure(`postMessage failed: request failed: request failed with status code ${answer.status}: ${answer.text.trim()}`, retryable);
  }
  if (message.check === 'slack-web-api') {
    let reply: { ok?: boolean; error?: string } = {};
    try {
      reply = JSON.parse(answer.text) as typeof reply;
    } catch {
      throw new NotificationFailure('postMessage failed: request failed: unable to unmarshal response body', false);
    }
    if (reply.ok !== true) throw new NotificationFailure(`postMessage failed: request failed: Slack responded with error: ${reply.error ?? ''}`, false);
  }
}
