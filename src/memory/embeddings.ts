import { CarapaceError, errorMessage } from '../shared/index.js';

/** The fetch the client uses (the global one by default; a port so tests and proxies can swap it). */
export type EmbeddingsFetch = (url: string, init: RequestInit) => Promise<Response>;

/** Turns texts into vectors (one per text, in order). */
export interface EmbeddingsClient {
  /** Identifies endpoint and model: vectors of another key are not comparable. */
  readonly key: string;
  embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]>;
}

export interface EmbeddingsClientOptions {
  baseUrl: string;
  model: string;
  apiKey?: string | undefined;
  timeoutMs?: number;
  fetch?: EmbeddingsFetch;
}

function failed(message: string, retryable: boolean, cause?: unknown): CarapaceError {
  return new CarapaceError('MEMORY_EMBEDDINGS_FAILED', `embeddings: ${message}`, {
    retryable,
    ...(cause ? { cause } : {}),
  });
}

/**
 * A client of an OpenAI-compatible embeddings endpoint: `POST <baseUrl>/embeddings` with
 * `{model, input: [...]}`, answered by `{data: [{index, embedding}]}`. Failures are CarapaceErrors
 * `MEMORY_EMBEDDINGS_FAILED` (HTTP status, timeout, a malformed answer).
 */
export function createEmbeddingsClient(options: EmbeddingsClientOptions): EmbeddingsClient {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/embeddings`;
  const doFetch = options.fetch ?? ((u, init) => fetch(u, init));
  return {
    key: `${url}#${options.model}`,
    async embed(texts, signal) {
      if (texts.length === 0) return [];
      const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
      let res: Response;
      try {
        res = await doFetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
          },
          body: JSON.stringify({ model: options.model, input: texts }),
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (err) {
        throw failed(timeout.aborted ? 'the request timed out' : errorMessage(err), true, err);
      }
      if (!res.ok) {
        const body = (await res.text().catch(() => '')).slice(0, 200);
        throw failed(`HTTP ${res.status}${body ? `: ${body}` : ''}`, res.status === 429 || res.status >= 500);
      }
      const json = (await res.json().catch(() => undefined)) as
        | { data?: { index?: number; embedding?: unknown }[] }
        | undefined;
      const data = json?.data;
      if (!Array.isArray(data) || data.length !== texts.length) {
        throw failed(
          `expected ${texts.length} embeddings, got ${Array.isArray(data) ? data.length : 'none'}`,
          false,
        );
      }
      const out: number[][] = new Array(texts.length);
      data.forEach((d, i) => {
        const v = d.embedding;
        if (!Array.isArray(v) || !v.every((x) => typeof x === 'number'))
          throw failed('malformed embedding', false);
        out[typeof d.index === 'number' ? d.index : i] = v as number[];
      });
      return out;
    },
  };
}
