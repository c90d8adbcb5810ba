/** Numbers and dates as an Indian reader expects them: ₹1,23,456 and 12,34,567. */

const count = new Intl.NumberFormat('en-IN');
const rupees = new Intl.NumberFormat('en-IN', {
  style: 'currency',
  currency: 'INR',
  maximumFractionDigits: 0,
});
const dateTime = new Intl.DateTimeFormat('en-IN', { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat('en-IN', { dateStyle: 'medium' });

/** A count with lakh/crore grouping; "—" when unknown. */
export function formatCount(value: number | null | undefined): string {
  return value == null || Number.isNaN(value) ? '—' : count.format(value);
}

/** Rupees without paise (the API sends money as a decimal string or number). */
export function formatInr(value: number | string | null | undefined): string {
  if (value == null || value === '') return '—';
  const n = typeof value === 'string' ? Number(value) : value;
  return Number.isFinite(n) ? rupees.format(n) : '—';
}

/** A share as a percentage with one decimal; "—" when there is nothing to divide by. */
export function formatRate(part: number, whole: number): string {
  if (!whole) return '—';
  return `${((part / whole) * 100).toFixed(1)}%`;
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : dateTime.format(d);
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : dateOnly.format(d);
}

/** "3 min ago" style, for timestamps a person scans rather than reads. */
export function formatAgo(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '—';
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (!Number.isFinite(seconds)) return '—';
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  return formatDate(iso);
}

const rupeesPaise = new Intl.NumberFormat('en-IN', {
  style: 'currency',
  currency: 'INR',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

/**
 * Rupees exactly as stored: paise shown when there are any (₹1,49,999.50), whole rupees
 * otherwise (₹378). For amounts a person checks against their file, not for totals.
 */
export function formatInrExact(value: number | string | null | undefined): string {
  if (value == null || value === '') return '—';
  const n = typeof value === 'string' ? Number(value) : value;
  if (!Number.isFinite(n)) return '—';
  return Number.isInteger(n) ? rupees.format(n) : rupeesPaise.format(n);
}

const zoned = new Map<string, Intl.DateTimeFormat>();

/**
 * A time as the clock showed it in `timeZone` (the shop's, e.g. Asia/Kolkata), with the
 * zone's short name: "21 Feb 2024, 7:55 am IST". An unknown zone falls back to the reader's.
 */
export function formatDateTimeIn(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  let format = zoned.get(timeZone);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat('en-IN', { dateStyle: 'medium', timeStyle: 'short', timeZone });
      // dateStyle/timeStyle cannot be combined with timeZoneName: add the zone's name apart.
    } catch {
      format = dateTime;
    }
    zoned.set(timeZone, format);
  }
  return `${format.format(d)} ${zoneName(d, timeZone)}`.trim();
}

function zoneName(d: Date, timeZone: string): string {
  try {
    const parts = new Intl.DateTimeFormat('en-IN', { timeZone, timeZoneName: 'short' }).formatToParts(d);
    return parts.find((p) => p.type === 'timeZoneName')?.value ?? '';
  } catch {
    return '';
  }
}

/** A file size a person reads: 812 KB, 3.4 MB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
