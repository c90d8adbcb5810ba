/**
 * The import screen's rules, apart from React: what the upload is asked, how its answer is
 * grouped for reading, what the refused-rows file is called, when an import is finished.
 */
import type { Import, ImportKind, ImportSource, ImportStatus, LineNote, UploadQuery, UploadResult } from '../api/models';

export const UPLOAD_PATH = '/api/v1/imports/upload';
/** The upload route's limit (spec: at most 32 MiB); larger files go through `beacon import`. */
export const MAX_UPLOAD_BYTES = 32 * 1024 * 1024;
/** The shop's zone when the person gives none (the server's default too). */
export const SHOP_TIMEZONE = 'Asia/Kolkata';

export interface ReadOptions {
  /** A strptime layout such as `%d/%m/%Y %H:%M`; empty: the preset's, or detected. */
  dateFormat: string;
  /** An IANA zone for times without an offset; empty: the shop's. */
  timezone: string;
  decimalComma: boolean;
  /** API field -> the file's column, for columns the preset does not know. */
  map: Record<string, string>;
}

export const DEFAULT_OPTIONS: ReadOptions = { dateFormat: '', timezone: '', decimalComma: false, map: {} };

export interface UploadRequest {
  kind: ImportKind;
  source: ImportSource;
  fileName: string;
  options: ReadOptions;
}

/** The upload's parameters (typed by the API's document): the same for the dry run and
 * the import, but `dry_run`; an option left empty is left out, so the server's default holds. */
export function uploadParams(request: UploadRequest, dryRun: boolean): UploadQuery {
  const { dateFormat, timezone, decimalComma, map } = request.options;
  const pairs = Object.entries(map).filter(([field, column]) => field && column);
  return {
    kind: request.kind,
    source: request.source,
    dry_run: dryRun,
    file_name: request.fileName,
    ...(dateFormat.trim() ? { date_format: dateFormat.trim() } : {}),
    ...(timezone.trim() ? { timezone: timezone.trim() } : {}),
    ...(decimalComma ? { decimal_comma: true } : {}),
    ...(pairs.length ? { map: pairs.map(([field, column]) => `${field}=${column}`) } : {}),
  };
}

/** The same as a query string (arrays repeated: map=a&map=b). */
export function uploadQuery(request: UploadRequest, dryRun: boolean): URLSearchParams {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(uploadParams(request, dryRun))) {
    if (Array.isArray(value)) value.forEach((v) => q.append(name, String(v)));
    else if (value != null) q.set(name, String(value));
  }
  return q;
}

/** `orders.csv` → `orders.bad.csv` (also for `orders.csv.gz`), as `beacon import` names it. */
export function badReportName(fileName: string | null | undefined): string {
  const name = (fileName || 'import.csv').replace(/\.gz$/i, '');
  const jsonl = /\.(jsonl|ndjson)$/i.test(name);
  const stem = name.replace(/\.(csv|tsv|txt|jsonl|ndjson|json)$/i, '');
  return `${stem}.bad.${jsonl ? 'jsonl' : 'csv'}`;
}

/** Save `text` as a file the browser downloads (the refused rows, in the file's own layout). */
export function downloadText(text: string, fileName: string, type = 'text/csv;charset=utf-8'): void {
  const blob = new Blob([text], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Give the browser the time to start the download before the URL is let go.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A problem as the server may spell it: `{field, reason}`, `{field, message}` or `[field, reason]`. */
export function asNote(value: unknown, line = 0): { line: number; field: string; reason: string } {
  if (Array.isArray(value)) return { line, field: String(value[0] ?? ''), reason: String(value[1] ?? '') };
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    return {
      line: typeof v.line === 'number' ? v.line : line,
      field: String(v.field ?? ''),
      reason: String(v.reason ?? v.message ?? ''),
    };
  }
  return { line, field: '', reason: String(value ?? '') };
}

export interface NoteGroup {
  field: string;
  count: number;
  /** The first lines of the file with this field's problem (at most `keep`). */
  first: LineNote[];
}

/**
 * Problems (or warnings) by field, biggest group first: the count is the server's total
 * for the field (`counts`), the lines the first few it listed.
 */
export function groupByField(notes: LineNote[], counts: Record<string, number>, keep = 3): NoteGroup[] {
  const groups = new Map<string, NoteGroup>();
  for (const [field, count] of Object.entries(counts)) groups.set(field, { field, count, first: [] });
  for (const note of notes) {
    let group = groups.get(note.field);
    if (!group) {
      group = { field: note.field, count: 0, first: [] };
      groups.set(note.field, group);
    }
    if (group.first.length < keep) group.first.push(note);
  }
  for (const group of groups.values()) group.count = Math.max(group.count, group.first.length);
  return [...groups.values()].sort((a, b) => b.count - a.count || a.field.localeCompare(b.field));
}

export function warningTotal(result: UploadResult): number {
  const counted = Object.values(result.warning_counts ?? {}).reduce((a, b) => a + b, 0);
  return Math.max(counted, result.warnings?.length ?? 0);
}

/** The import will not change any more by itself (nothing to poll for). */
export function isSettled(status: ImportStatus): boolean {
  return status === 'done' || status === 'undone';
}

/** Rows applied so far, out of the rows sent (null while the importer is still sending). */
export function progressOf(job: Import): { done: number; total: number | null; share: number } {
  const total = job.sent;
  const done = Math.min(job.processed, total ?? job.processed);
  const share = job.status === 'done' || job.status === 'undone' ? 1 : total ? done / total : 0;
  return { done, total, share };
}

/** Rows it created (removed by an undo) and rows it changed (restored by an undo). */
export function undoScope(job: Import): { created: number; changed: number } {
  return { created: job.counts.new, changed: job.counts.updated + job.counts.merged };
}

export const SOURCE_LABEL: Record<ImportSource, string> = {
  shopify: 'Shopify',
  woocommerce: 'WooCommerce',
  generic: 'Other',
};

export const STATUS_LABEL: Record<ImportStatus, string> = {
  open: 'Sending',
  sealed: 'Applying',
  done: 'Done',
  undoing: 'Undoing',
  undone: 'Undone',
};

/** The fields a column can be mapped to, per kind (the API's item fields). */
export const FIELDS: Record<ImportKind, string[]> = {
  customers: [
    'customer_id',
    'name',
    'email',
    'phone',
    'city',
    'created_at',
    'accepts_email_marketing',
    'accepts_sms_marketing',
    'accepts_whatsapp_marketing',
  ],
  orders: [
    'order_id',
    'customer_id',
    'customer_email',
    'customer_name',
    'amount',
    'status',
    'refunded_amount',
    'ordered_at',
    'updated_at',
    'currency',
  ],
};

/** The 422 problem on one query parameter (`query.date_format`, `query.map`), if any. */
export function queryProblem(problems: { field: string; message: string }[], name: string): string | null {
  const found = problems.find((p) => p.field === `query.${name}` || p.field.startsWith(`query.${name}[`));
  return found ? found.message : null;
}
