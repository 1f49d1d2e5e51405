import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/** One GET, to be sent to exactly `address` (already checked by the SSRF guard). */
export interface TransportRequest {
  url: URL;
  address: string;
  family: 4 | 6;
  headers: Record<string, string>;
  signal: AbortSignal;
  /** Stop reading the (decoded) body after this many bytes. */
  maxBytes: number;
}

export interface TransportResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  body: Buffer;
  /** The body was longer than maxBytes and was cut. */
  truncated: boolean;
}

/**
 * The HTTP port of web_fetch. An implementation must connect only to `address` (never resolve the host
 * name again), so a DNS answer that changes after the check cannot redirect the connection.
 */
export type HttpTransport = (req: TransportRequest) => Promise<TransportResponse>;

function flatten(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function decoded(res: IncomingMessage): Readable {
  const enc = String(res.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  const decoder =
    enc === 'gzip' || enc === 'x-gzip'
      ? createGunzip()
      : enc === 'deflate'
        ? createInflate()
        : enc === 'br'
          ? createBrotliDecompress()
          : undefined;
  if (!decoder) return res;
  res.on('error', (err) => decoder.destroy(err));
  return res.pipe(decoder);
}

/** Read a body, decompressed, up to `maxBytes` (so a decompression bomb stops at the cap). */
async function collect(
  res: IncomingMessage,
  maxBytes: number,
): Promise<{ body: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  const stream = decoded(res);
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      const room = maxBytes - size;
      if (buf.length > room) {
        chunks.push(buf.subarray(0, room));
        size += room;
        truncated = true;
        break;
      }
      chunks.push(buf);
      size += buf.length;
    }
  } finally {
    stream.destroy();
    res.destroy();
  }
  return { body: Buffer.concat(chunks, size), truncated };
}

/** The default transport: node:http/https with the connection pinned to the checked address. */
export function createNodeTransport(): HttpTransport {
  return (req) =>
    new Promise<TransportResponse>((resolve, reject) => {
      const { url, address, family } = req;
      const secure = url.protocol === 'https:';
      const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      const pinned: LookupFunction = (_name, options, callback) => {
        if (options.all) callback(null, [{ address, family }]);
        else callback(null, address, family);
      };
      const options: RequestOptions = {
        host: isIP(host) ? host : address,
        port: url.port || (secure ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: { host: url.host, ...req.headers },
        lookup: pinned,
        agent: false,
        signal: req.signal,
        ...(secure && !isIP(host) ? { servername: host } : {}),
      };
      const r = (secure ? httpsRequest : httpRequest)(options, (res) => {
        collect(res, req.maxBytes).then(
          ({ body, truncated }) =>
            resolve({ status: res.statusCode ?? 0, headers: flatten(res.headers), body, truncated }),
          reject,
        );
      });
      r.on('error', reject);
      r.end();
    });
}
