/**
 * Whether a launch may be confirmed, and with which size: only a size counted for exactly
 * the rules being sent. The dialog shows that number and the API is sent that number
 * (`confirm_audience_size`), so "Send to N customers?" is what the API enforces.
 */

export interface PreviewState {
  /** The rules on screen, serialised (null: no audience yet). */
  rulesKey: string | null;
  /** The rules the last successful count was for (null: none). */
  countedKey: string | null;
  /** The count for `countedKey`, if one succeeded. */
  size: number | null | undefined;
  /** A request is in flight, or the rules changed and a new count has not started. */
  pending: boolean;
  /** The last count failed (its message). */
  error: string | null;
}

export type LaunchGate = { ok: true; size: number } | { ok: false; reason: string };

export function launchGate(p: PreviewState): LaunchGate {
  if (p.rulesKey == null) return { ok: false, reason: 'Choose an audience first.' };
  if (p.error) return { ok: false, reason: `The audience could not be counted (${p.error}). Launch needs a count: retry in a moment.` };
  if (p.pending || p.countedKey !== p.rulesKey || p.size == null) {
    return { ok: false, reason: 'Counting the audience…' };
  }
  if (p.size === 0) return { ok: false, reason: 'Nobody matches this audience: there is no one to send to.' };
  return { ok: true, size: p.size };
}

/** `date` as a datetime-local input's value (local time, to the minute). */
export function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The problem with a "Later" time (a datetime-local value), or null when it is fine. */
export function scheduleProblem(value: string, now: number = Date.now()): string | null {
  if (!value) return 'Pick a date and time to send.';
  const at = new Date(value).getTime();
  if (Number.isNaN(at)) return 'That is not a date and time.';
  if (at <= now) return 'That time has passed: pick a time to come.';
  return null;
}
