import { describe, expect, it } from 'vitest';
import { launchGate, scheduleProblem, toLocalInput } from './launch';

const base = { rulesKey: 'a', countedKey: 'a', size: 12, pending: false, error: null };

describe('launchGate', () => {
  it('allows a launch with the size counted for exactly these rules', () => {
    expect(launchGate(base)).toEqual({ ok: true, size: 12 });
  });
  it('refuses while counting, after a failure, or when the rules changed since the count', () => {
    expect(launchGate({ ...base, pending: true }).ok).toBe(false);
    expect(launchGate({ ...base, error: 'The server had a problem (503).' })).toMatchObject({ ok: false, reason: expect.stringContaining('503') });
    expect(launchGate({ ...base, rulesKey: 'b' }).ok).toBe(false);
    expect(launchGate({ ...base, size: undefined }).ok).toBe(false);
    expect(launchGate({ ...base, rulesKey: null }).ok).toBe(false);
  });
  it('refuses an empty audience with a sentence', () => {
    expect(launchGate({ ...base, size: 0 })).toMatchObject({ ok: false, reason: expect.stringContaining('Nobody') });
  });
});

describe('scheduleProblem', () => {
  const now = new Date(2026, 11, 7, 10, 0).getTime();
  it('refuses a past or missing time', () => {
    expect(scheduleProblem('2020-01-01T10:00', now)).toMatch(/passed/);
    expect(scheduleProblem('', now)).toMatch(/Pick/);
    expect(scheduleProblem('2026-12-07T10:00', now)).toMatch(/passed/);
  });
  it('accepts a time to come', () => {
    expect(scheduleProblem('2026-12-07T10:05', now)).toBeNull();
  });
  it('formats local time for the input', () => {
    expect(toLocalInput(new Date(2026, 0, 2, 3, 4))).toBe('2026-01-02T03:04');
  });
});
