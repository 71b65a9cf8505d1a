// Unary gRPC calls over node's own HTTP/2, for the CLI's one query: a gRPC library
// (with its channelz and proto loader) takes longer to load than `get` should take to
// answer. The framing is gRPC's over HTTP/2: a 5-byte prefix (compressed flag, length)
// before each message, the outcome in the `grpc-status` trailer.
import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';

export interface GrpcChannelOptions {
  /** TLS material; plain text (h2c) when absent */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; serverName?: string };
  /** sent with every call (authorization, the namespace) */
  metadata?: Record<string, string>;
  connectTimeoutMs: number;
}

export interface GrpcChannel {
  /** the answer's message bytes; a GrpcError for any status but OK */
  call(method: string, request: Uint8Array, deadline: number): Promise<Buffer>;
  close(): void;
}

export class GrpcError extends Error {
  override readonly name = 'GrpcError';
  constructor(
    message: string,
    /** the gRPC status code (5 NOT_FOUND, 4 DEADLINE_EXCEEDED, ...); undefined when the call broke off */
    readonly code?: number,
  ) {
    super(message);
  }
}

/** Opens an HTTP/2 session to `address` (host:port); rejects when it is not up within the timeout. */
export async function openGrpcChannel(address: string, options: GrpcChannelOptions): Promise<GrpcChannel> {
  const { tls } = options;
  const session = connect(`${tls ? 'https' : 'http'}://${address}`, tls ? { ca: tls.ca, cert: tls.cert, key: tls.key, servername: tls.serverName } : {});
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`no connection within ${options.connectTimeoutMs / 1000}s`)), options.connectTimeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      session.destroy();
      reject(error);
    };
    session.once('error', fail);
    session.once('connect', () => {
      clearTimeout(timer);
      session.off('error', fail);
      resolve();
    });
  });
  // A session error after the connection (the server going away) fails the calls in flight, not the process.
  session.on('error', () => undefined);
  return { call: (method, request, deadline) => unaryCall(session, options.metadata ?? {}, method, request, deadline), close: () => session.close() };
}

function unaryCall(session: ClientHttp2Session, metadata: Record<string, string>, method: string, request: Uint8Array, deadline: number): Promise<Buffer> {
  const timeoutMs = Math.max(1, deadline - Date.now());
  return new Promise((resolve, reject) => {
    const stream = session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: method,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': `${timeoutMs}m`,
      ...metadata,
    });
    stream.setTimeout(timeoutMs, () => stream.close(constants.NGHTTP2_CANCEL));
    const chunks: Buffer[] = [];
    let outcome: IncomingHttpHeaders | undefined;
    // A failure without a message may come as the response's only headers (trailers-only).
    stream.on('response', (headers) => {
      if (headers['grpc-status'] !== undefined) outcome = headers;
    });
    stream.on('trailers', (trailers) => (outcome = trailers));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', (error) => reject(new GrpcError(error.message)));
    stream.on('close', () => {
      if (!outcome) return reject(new GrpcError(Date.now() >= deadline ? 'deadline exceeded' : 'the call ended without a status'));
      const code = Number(outcome['grpc-status']);
      if (code !== 0) return reject(new GrpcError(decodeURIComponent(String(outcome['grpc-message'] ?? `gRPC status ${code}`)), code));
      const body = Buffer.concat(chunks);
      if (body.length < 5 || body[0] !== 0) return reject(new GrpcError('the answer is not one uncompressed gRPC message'));
      resolve(body.subarray(5, 5 + body.readUInt32BE(1)));
    });
    const frame = Buffer.alloc(5 + request.length);
    frame.writeUInt32BE(request.length, 1);
    frame.set(request, 5);
    stream.end(frame);
  });
}
