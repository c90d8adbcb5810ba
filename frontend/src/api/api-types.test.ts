import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

describe('generated API types', () => {
  it('match the checked-in OpenAPI documents (run `make api-types` when this fails)', () => {
    const root = path.resolve(__dirname, '../..');
    const run = () => execFileSync(process.execPath, ['scripts/api-types.mjs', '--check'], { cwd: root, stdio: 'pipe' });
    expect(run).not.toThrow();
  });
});
