/**
 * Vite config: one origin for the app and the API. The dev server and `vite preview`
 * proxy each service's path prefix to its port (ARCHITECTURE.md's table); the ports
 * come from BEACON_*_PORT so tests can point the proxy at their own stack.
 */
import react from '@vitejs/plugin-react';
import type { ProxyOptions } from 'vite';
import { defineConfig } from 'vitest/config';

function target(envName: string, fallback: number): string {
  const port = process.env[envName] ?? String(fallback);
  return `http://127.0.0.1:${port}`;
}

function proxy(): Record<string, ProxyOptions> {
  const ingest = target('BEACON_INGEST_PORT', 8001);
  const segments = target('BEACON_SEGMENTS_PORT', 8002);
  const campaigns = target('BEACON_CAMPAIGNS_PORT', 8003);
  const delivery = target('BEACON_DELIVERY_PORT', 8004);
  const stats = target('BEACON_STATS_PORT', 8005);
  return {
    '/api/v1/customers': { target: ingest },
    '/api/v1/orders': { target: ingest },
    '/api/v1/imports': { target: ingest },
    '/api/v1/segments': { target: segments },
    '/api/v1/unsubscribe': { target: segments },
    '/api/v1/suppressions': { target: segments },
    '/api/v1/campaigns': { target: campaigns },
    '/api/v1/auth': { target: campaigns },
    '/api/v1/keys': { target: campaigns },
    '/api/v1/users': { target: campaigns },
    '/api/v1/receipts': { target: delivery },
    '/api/v1/webhooks': { target: delivery },
    '/api/v1/communications': { target: delivery },
    '/api/v1/stats': { target: stats, ws: true },
  };
}

// The headers nginx sends (deploy/docker/nginx/default.conf.template; docs/security.md),
// so `make up`'s preview is the same origin policy as a deployment. No HSTS: the preview
// serves plain HTTP on 127.0.0.1 (nginx adds it over TLS).
const CSP = [
  "default-src 'self'",
  "script-src 'self' https://accounts.google.com/gsi/client",
  "style-src 'self' 'unsafe-inline' https://accounts.google.com/gsi/style",
  "img-src 'self' data: https://*.googleusercontent.com",
  "connect-src 'self' https://accounts.google.com/gsi/",
  'frame-src https://accounts.google.com/gsi/',
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
const SECURITY_HEADERS = {
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
};

export default defineConfig({
  plugins: [react()],
  // The dev server runs React Refresh's inline preamble, which this CSP would block: it gets
  // every header but the CSP.
  server: { host: '127.0.0.1', port: 5173, proxy: proxy(), headers: SECURITY_HEADERS },
  preview: {
    host: '127.0.0.1',
    port: Number(process.env.BEACON_UI_PORT ?? 8080),
    strictPort: true,
    proxy: proxy(),
    headers: { ...SECURITY_HEADERS, 'Content-Security-Policy': CSP },
  },
  build: {
    sourcemap: false,
    manifest: true, // scripts/bundle-size.mjs reads it
    chunkSizeWarningLimit: 600,
  },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['./src/test-setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    // The box is shared (2 cores, other builds and stacks): a jsdom page test or the
    // api-types regeneration can take more than the default 5 s under that load.
    testTimeout: 20_000,
  },
});
