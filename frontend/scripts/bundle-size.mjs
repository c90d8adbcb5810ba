// Gzipped JavaScript a first visit to a route downloads: the entry chunk, the route's
// page chunk and every chunk they import statically (from dist/.vite/manifest.json).
// Usage: node scripts/bundle-size.mjs [src/pages/Campaigns.tsx] [--max-kb 250]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = path.resolve(import.meta.dirname, '..', 'dist');
const manifest = JSON.parse(readFileSync(path.join(dist, '.vite', 'manifest.json'), 'utf8'));
const args = process.argv.slice(2);
const maxAt = args.indexOf('--max-kb');
const maxKb = maxAt >= 0 ? Number(args[maxAt + 1]) : Infinity;
const route = args.find((a, i) => !a.startsWith('--') && (maxAt < 0 || i !== maxAt + 1)) ?? 'src/pages/Campaigns.tsx';

const seen = new Set();
function walk(key) {
  if (seen.has(key)) return;
  seen.add(key);
  for (const dep of manifest[key]?.imports ?? []) walk(dep);
}
const entry = Object.keys(manifest).find((k) => manifest[k].isEntry);
walk(entry);
walk(route);
let total = 0;
for (const key of seen) {
  const file = manifest[key].file;
  const size = gzipSync(readFileSync(path.join(dist, file)), { level: 9 }).length;
  total += size;
  console.log(`${(size / 1024).toFixed(1).padStart(7)} KB  ${file}`);
}
console.log(`${(total / 1024).toFixed(1).padStart(7)} KB  gzipped JS on first load of ${route}`);
process.exit(total / 1024 > maxKb ? 1 : 0);
