/**
 * Test helpers: the API mocked at the fetch level (every call recorded, answered by a
 * route table), and a page rendered with a fresh query client and a router.
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { vi } from 'vitest';

export interface Call {
  method: string;
  url: URL;
  body: unknown;
  headers: Headers;
}

export type Answer = { status: number; body?: unknown } | ((call: Call) => { status: number; body?: unknown });

/** `METHOD /path` → answers, used in turn (the last one repeats). */
export type Routes = Record<string, Answer[]>;

export function fakeApi(routes: Routes) {
  const calls: Call[] = [];
  const used = new Map<string, number>();
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    let call: Call;
    if (typeof Request !== 'undefined' && input instanceof Request) {
      const text = await input.text();
      call = { method: input.method, url: new URL(input.url), body: text ? JSON.parse(text) : null, headers: input.headers };
    } else {
      call = {
        method: (init?.method ?? 'GET').toUpperCase(),
        url: new URL(String(input), 'http://localhost'),
        body: init?.body ?? null,
        headers: new Headers(init?.headers),
      };
    }
    calls.push(call);
    const key = `${call.method} ${call.url.pathname}`;
    const answers = routes[key];
    if (!answers || answers.length === 0) {
      return new Response(JSON.stringify({ message: `no fake for ${key}`, errors: [], detail: 'x', code: 'x', correlation_id: null }), {
        status: 404,
        headers: { 'content-type': 'application/json' },
      });
    }
    const n = used.get(key) ?? 0;
    used.set(key, n + 1);
    const answer = answers[Math.min(n, answers.length - 1)] as Answer;
    const { status, body } = typeof answer === 'function' ? answer(call) : answer;
    return new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    });
  });
  vi.stubGlobal('fetch', fetch);
  return { calls, fetch, of: (method: string, path: string) => calls.filter((c) => c.method === method && c.url.pathname === path) };
}

export function renderAt(path: string, routes: { path: string; element: ReactNode }[]) {
  const client = new QueryClient({
    defaultOptions: { queries: { retry: false }, mutations: { retry: false } },
  });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          {routes.map((r) => (
            <Route key={r.path} path={r.path} element={r.element} />
          ))}
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

/** A 422 as the services answer it, with one problem on `field`. */
export function problem422(field: string, message: string) {
  return {
    status: 422,
    body: {
      detail: [{ loc: field.split('.'), msg: message, type: 'value_error' }],
      message,
      code: 'validation_error',
      correlation_id: 'test',
      errors: [{ field, message, type: 'value_error' }],
    },
  };
}
