/**
 * Typed API clients, one per service (openapi-fetch over the generated paths), all on
 * the dashboard's own origin: the preview server or nginx routes each prefix. Every
 * request carries the bearer token; a 401 ends the session, and the router then sends
 * the person to sign-in and back to where they were.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import { accessToken, clearSession, getSession, renewNow } from '../auth/session';
import type { paths as CampaignPaths } from './campaigns';
import type { paths as DeliveryPaths } from './delivery';
import type { paths as IngestPaths } from './ingest';
import type { ErrorBody, ProblemItem } from './models';
import type { paths as SegmentPaths } from './segments';
import type { paths as StatsPaths } from './stats';

/** The error body, if `body` is one (a proxy's own error page is not). */
export function errorBody(body: unknown): ErrorBody | null {
  if (!body || typeof body !== 'object') return null;
  const b = body as Partial<ErrorBody>;
  return typeof b.message === 'string' ? (b as ErrorBody) : null;
}

/** A non-2xx answer: its status and the services' one error body (or null). */
export class ApiError extends Error {
  readonly body: ErrorBody | null;

  constructor(
    readonly status: number,
    body: unknown,
  ) {
    const parsed = errorBody(body);
    super(describe(status, parsed));
    this.body = parsed;
  }

  /** The readable sentence (`message`), or null when the answer had no error body. */
  get detail(): string | null {
    return this.body?.message ?? null;
  }

  /** Machine-readable reason, e.g. "not_found", "token_expired". */
  get code(): string | null {
    return this.body?.code ?? null;
  }

  /** Each problem of a 422, with the path of its field. */
  get problems(): ProblemItem[] {
    return this.body?.errors ?? [];
  }
}

function describe(status: number, body: ErrorBody | null): string {
  if (body) return body.errors[0]?.message ?? body.message;
  if (status === 0) return 'The server cannot be reached. Check your connection and retry.';
  if (status >= 500) return `The server had a problem (${status}). Retry in a moment.`;
  if (status === 413) return 'The file is too large for the server (413).';
  return `Request failed (${status})`;
}

// What each request sent, so a 401 can be retried once with a renewed token. A 401 means
// the server refused the credential before doing anything, so sending a write again is
// safe. A body is read into bytes once and the request rebuilt from them (a cloned request
// would carry its body as a stream, which the browser uploads differently); bodies over
// RETRY_BODY_LIMIT are sent as they are and not retried.
const RETRY_BODY_LIMIT = 1_000_000;
interface Sent {
  url: string;
  method: string;
  headers: Headers;
  body: ArrayBuffer | null;
}
const sent = new WeakMap<Request, Sent>();

async function remembered(request: Request): Promise<Request> {
  if (request.method === 'GET' || request.method === 'HEAD') {
    sent.set(request, { url: request.url, method: request.method, headers: new Headers(request.headers), body: null });
    return request;
  }
  const length = Number(request.headers.get('content-length') ?? '0');
  if (length > RETRY_BODY_LIMIT) return request;
  const body = await request.arrayBuffer();
  const rebuilt = new Request(request.url, { method: request.method, headers: request.headers, body, signal: request.signal });
  sent.set(rebuilt, { url: request.url, method: request.method, headers: new Headers(request.headers), body });
  return rebuilt;
}

const auth: Middleware = {
  async onRequest({ request }) {
    const token = await accessToken();
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    return remembered(request);
  },
  async onResponse({ request, response }) {
    if (response.status !== 401 || !getSession()?.accessToken) return response;
    // Renew and retry once; only a session that cannot be renewed ends (and the draft on
    // the page is kept locally meanwhile).
    const rejected = request.headers.get('Authorization')?.replace(/^Bearer /, '') ?? null;
    const token = await renewNow(rejected);
    const copy = sent.get(request);
    if (token && copy) {
      copy.headers.set('Authorization', `Bearer ${token}`);
      const retried = await globalThis.fetch(new Request(copy.url, { method: copy.method, headers: copy.headers, body: copy.body }));
      if (retried.status !== 401) return retried;
    } else if (token) {
      return response; // renewed, but the body was too large to keep: the person retries
    }
    clearSession();
    return response;
  },
};

function origin(): string {
  return globalThis.location?.origin ?? 'http://127.0.0.1';
}

function make<P extends {}>() {
  // fetch looked up on each call, not once here: a test's stub (or a polyfill) is used.
  const client = createClient<P>({ baseUrl: origin(), fetch: (request) => globalThis.fetch(request) });
  client.use(auth);
  return client;
}

export const ingest = make<IngestPaths>();
export const segments = make<SegmentPaths>();
export const campaigns = make<CampaignPaths>();
export const delivery = make<DeliveryPaths>();
export const stats = make<StatsPaths>();

/**
 * The body of a successful answer, typed by the call (openapi-fetch's `data`, from the
 * route's declared response), or throw ApiError.
 */
export async function unwrap<D>(
  call: Promise<{ data?: D; error?: unknown; response: Response }>,
): Promise<D> {
  let result;
  try {
    result = await call;
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, null);
  }
  if (!result.response.ok) {
    throw new ApiError(result.response.status, result.error);
  }
  return result.data as D;
}

/** Plain JSON fetch with the same auth, for routes outside the generated documents. */
export async function getJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (init.body) headers.set('content-type', 'application/json');
  return send<T>(path, { ...init, headers });
}

/**
 * POST a file's raw bytes (the import upload takes the file as the body, not a form), with
 * `query` in the URL; the answer as JSON `T`, or ApiError.
 */
export async function postFile<T>(
  path: string,
  file: Blob,
  query: URLSearchParams,
  init: { signal?: AbortSignal } = {},
): Promise<T> {
  const headers = new Headers();
  headers.set('content-type', file.type === 'text/csv' ? 'text/csv' : 'application/octet-stream');
  return send<T>(`${path}?${query.toString()}`, { method: 'POST', body: file, headers, ...init });
}

async function send<T>(path: string, init: RequestInit): Promise<T> {
  const token = await accessToken();
  const headers = new Headers(init.headers);
  if (token) headers.set('Authorization', `Bearer ${token}`);
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers });
    if (response.status === 401 && getSession()?.accessToken) {
      // Renew and retry once (the body is a string or a Blob: it can be sent again).
      const renewed = await renewNow(token);
      if (renewed) {
        headers.set('Authorization', `Bearer ${renewed}`);
        response = await fetch(path, { ...init, headers });
      }
    }
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, null);
  }
  if (response.status === 401 && getSession()?.accessToken) clearSession();
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null; // a proxy's own page (413, 502): the status says enough
  }
  if (!response.ok) {
    throw new ApiError(response.status, body);
  }
  return body as T;
}

/**
 * Download a file from an authenticated route (a plain link cannot carry the bearer
 * token): fetched with the session, then saved under `fileName`.
 */
export async function downloadWithAuth(path: string, fileName: string): Promise<void> {
  const token = await accessToken();
  const headers = new Headers();
  if (token) headers.set('Authorization', `Bearer ${token}`);
  let response: Response;
  try {
    response = await fetch(path, { headers });
  } catch {
    throw new ApiError(0, null);
  }
  if (response.status === 401 && getSession()?.accessToken) clearSession();
  if (!response.ok) {
    const body: unknown = await response.json().catch(() => null);
    throw new ApiError(response.status, body);
  }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
