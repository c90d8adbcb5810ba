/**
 * How Beacon reads a file (the dry run: counts, column mapping, the first records as they
 * will be sent, problems by field) and what became of an import (progress, summary).
 */
import { useState } from 'react';
import type { Import, ImportKind, LineNote, PreviewRecord, UploadResult } from '../api/models';
import { formatCount, formatDate, formatDateTimeIn, formatInrExact } from '../lib/format';
import {
  asNote,
  badReportName,
  downloadText,
  groupByField,
  progressOf,
  STATUS_LABEL,
  warningTotal,
} from '../lib/imports';

/** Preview cards shown on a phone before "Show all" (keep in step with .preview-short). */
const SHORT_PREVIEW = 5;

const NOUN: Record<ImportKind, [string, string]> = {
  customers: ['customer', 'customers'],
  orders: ['order', 'orders'],
};

export function noun(kind: ImportKind, n: number): string {
  const [one, many] = NOUN[kind];
  return n === 1 ? one : many;
}

export function DownloadBadRows({
  csv,
  fileName,
  count,
}: {
  csv: string | null | undefined;
  fileName: string | null | undefined;
  count: number;
}) {
  if (!csv || count === 0) return null;
  const name = badReportName(fileName);
  return (
    <button type="button" className="btn btn-wrap" onClick={() => downloadText(csv, name)}>
      <span>
        Download the refused rows <span className="muted small nowrap">({name})</span>
      </span>
    </button>
  );
}

export function DryRunCounts({ result }: { result: UploadResult }) {
  const warnings = warningTotal(result);
  return (
    <dl className="kpis" aria-label="What the file holds" data-testid="dry-run-counts">
      <div>
        <dt>{result.kind === 'orders' ? 'Orders' : 'Customers'}</dt>
        <dd data-testid="count-records">{formatCount(result.records)}</dd>
        {result.rows !== result.records && (
          <dd className="hint">from {formatCount(result.rows)} rows</dd>
        )}
      </div>
      <div>
        <dt>Good</dt>
        <dd className="num-sent" data-testid="count-good">
          {formatCount(result.good)}
        </dd>
      </div>
      <div>
        <dt>Refused</dt>
        <dd className={result.bad ? 'num-failed' : undefined} data-testid="count-bad">
          {formatCount(result.bad)}
        </dd>
      </div>
      <div>
        <dt>Warnings</dt>
        <dd className={warnings ? 'num-pending' : undefined} data-testid="count-warnings">
          {formatCount(warnings)}
        </dd>
      </div>
    </dl>
  );
}

const DATE_LAYOUT: Record<string, string> = {
  iso: 'ISO 8601 (year first)',
  dmy: 'day first (dd/mm/yyyy)',
  mdy: 'month first (mm/dd/yyyy)',
};

export function ColumnMapping({ result }: { result: UploadResult }) {
  return (
    <div className="stack-tight">
      <h3 className="card-label">Columns</h3>
      <div className="table-wrap">
        <table className="table table-keep mapping">
          <caption className="sr-only">Which column of the file each Beacon field is read from</caption>
          <thead>
            <tr>
              <th scope="col">Beacon field</th>
              <th scope="col">Read from</th>
            </tr>
          </thead>
          <tbody>
            {result.mapping.map((m) => (
              <tr key={m.field}>
                <td data-label="Beacon field" className="mono">
                  {m.field}
                </td>
                <td data-label="Read from">{m.column}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {result.ignored.length > 0 && (
        <details className="disclosure">
          <summary>
            {formatCount(result.ignored.length)} {result.ignored.length === 1 ? 'column' : 'columns'} not used
          </summary>
          <p className="small muted ignored">{result.ignored.join(' · ')}</p>
        </details>
      )}
      {result.dates && (
        <p className="small muted" data-testid="dates-read-as">
          Dates read as{' '}
          {DATE_LAYOUT[result.dates] ?? (result.dates.includes('%') ? <code>{result.dates}</code> : result.dates)}
          {result.timezone ? `; times without an offset in ${result.timezone}` : ''}.
        </p>
      )}
      {result.notes.length > 0 && (
        <ul className="notes small">
          {result.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

function text(value: unknown): string | null {
  if (value == null || value === '') return null;
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}

function Consent({ value, label }: { value: unknown; label: string }) {
  const state = value === true ? 'yes' : value === false ? 'no' : 'unknown';
  const word = state === 'yes' ? 'accepts' : state === 'no' ? 'declines' : 'not said';
  return (
    <span className={`consent consent-${state}`} title={`${label}: ${word}`}>
      <span aria-hidden="true">{state === 'yes' ? '✓' : state === 'no' ? '✗' : '–'}</span> {label}
      <span className="sr-only"> {word}</span>
    </span>
  );
}

export const ORDER_STATUS_LABEL: Record<string, string> = {
  paid: 'Paid',
  pending: 'Pending',
  partially_refunded: 'Part refunded',
  refunded: 'Refunded',
  cancelled: 'Cancelled',
  voided: 'Voided',
  failed: 'Failed',
};

export function OrderStatusTag({ status }: { status: string | null | undefined }) {
  const s = status || 'paid';
  return <span className={`tag tag-order-${s}`}>{ORDER_STATUS_LABEL[s] ?? s}</span>;
}

function RowNotes({ record }: { record: PreviewRecord }) {
  const problems = record.problems.map((p) => asNote(p, record.line));
  const warnings = record.warnings.map((w) => asNote(w, record.line));
  if (!problems.length && !warnings.length) return null;
  return (
    <span className="row-notes">
      {problems.map((p, i) => (
        <span key={`p${i}`} className="block num-failed small">
          {p.field ? `${p.field}: ` : ''}
          {p.reason}
        </span>
      ))}
      {warnings.map((w, i) => (
        <span key={`w${i}`} className="block num-pending small">
          {w.field ? `${w.field}: ` : ''}
          {w.reason}
        </span>
      ))}
    </span>
  );
}

/** The first records as Beacon will send them: money in ₹, times in the shop's zone. */
export function PreviewRows({ result, timeZone }: { result: UploadResult; timeZone: string }) {
  const [all, setAll] = useState(false); // phones show the first few cards until asked
  if (result.preview.length === 0) return null;
  const orders = result.kind === 'orders';
  return (
    <div className="stack-tight">
      <h3 className="card-label">
        First {formatCount(result.preview.length)} {noun(result.kind, result.preview.length)} as Beacon reads them
      </h3>
      <p className="hint">Times in {timeZone}. A refused record is marked in red with its reason; nothing has been sent yet.</p>
      <div className="table-wrap">
        <table className={`table preview${all ? '' : ' preview-short'}`} data-testid="preview-rows">
          <thead>
            {orders ? (
              <tr>
                <th scope="col">Line</th>
                <th scope="col">Order</th>
                <th scope="col">Customer</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col">Placed</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Refunded
                </th>
                <th scope="col" className="num">
                  Items
                </th>
              </tr>
            ) : (
              <tr>
                <th scope="col">Line</th>
                <th scope="col">Customer</th>
                <th scope="col">Email</th>
                <th scope="col">Phone</th>
                <th scope="col">City</th>
                <th scope="col">Marketing consent</th>
                <th scope="col">Since</th>
              </tr>
            )}
          </thead>
          <tbody>
            {result.preview.map((record) => {
              const item = record.item ?? {};
              const refused = record.item == null;
              const key = `${record.line}`;
              if (orders) {
                const lines = Array.isArray(item.line_items) ? item.line_items.length : null;
                return (
                  <tr key={key} className={refused ? 'row-refused' : undefined} data-testid="preview-row">
                    <td data-label="Line" className="num muted">
                      {record.line}
                    </td>
                    <td data-label="Order" className="cell-title">
                      <span className="mono">{text(item.order_id) ?? '—'}</span>
                      <RowNotes record={record} />
                    </td>
                    <td data-label="Customer" className="cell-wrap">
                      {text(item.customer_email) ?? text(item.customer_id) ?? '—'}
                    </td>
                    <td data-label="Amount" className="num">
                      {formatInrExact(text(item.amount))}
                    </td>
                    <td data-label="Placed" className="nowrap">
                      {formatDateTimeIn(text(item.ordered_at), timeZone)}
                    </td>
                    <td data-label="Status">{refused && !item.status ? '—' : <OrderStatusTag status={text(item.status)} />}</td>
                    <td data-label="Refunded" className="num">
                      {text(item.refunded_amount) && Number(item.refunded_amount) > 0 ? formatInrExact(text(item.refunded_amount)) : '—'}
                    </td>
                    <td data-label="Items" className="num">
                      {lines == null ? '—' : formatCount(lines)}
                    </td>
                  </tr>
                );
              }
              return (
                <tr key={key} className={refused ? 'row-refused' : undefined} data-testid="preview-row">
                  <td data-label="Line" className="num muted">
                    {record.line}
                  </td>
                  <td data-label="Customer" className="cell-title">
                    <span>{text(item.name) ?? '—'}</span>
                    <span className="mono small muted">{text(item.customer_id) ?? ''}</span>
                    <RowNotes record={record} />
                  </td>
                  <td data-label="Email" className="cell-wrap">
                    {text(item.email) ?? '—'}
                  </td>
                  <td data-label="Phone" className="nowrap">
                    {text(item.phone) ?? '—'}
                  </td>
                  <td data-label="City">{text(item.city) ?? '—'}</td>
                  <td data-label="Marketing consent">
                    <span className="consents">
                      <Consent value={item.accepts_email_marketing} label="Email" />
                      <Consent value={item.accepts_sms_marketing} label="SMS" />
                      <Consent value={item.accepts_whatsapp_marketing} label="WhatsApp" />
                    </span>
                  </td>
                  <td data-label="Since" className="nowrap">
                    {formatDate(text(item.created_at))}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {!all && result.preview.length > SHORT_PREVIEW && (
        <button type="button" className="btn btn-small phone-only" onClick={() => setAll(true)}>
          Show all {formatCount(result.preview.length)}
        </button>
      )}
    </div>
  );
}

function NoteGroups({
  title,
  notes,
  counts,
  tone,
}: {
  title: string;
  notes: LineNote[];
  counts: Record<string, number>;
  tone: 'failed' | 'pending';
}) {
  const groups = groupByField(notes ?? [], counts ?? {});
  if (groups.length === 0) return null;
  return (
    <div className="stack-tight">
      <h3 className="card-label">{title}</h3>
      <ul className="note-groups" data-testid={tone === 'failed' ? 'problem-groups' : 'warning-groups'}>
        {groups.map((g) => (
          <li key={g.field}>
            <p>
              <span className="mono">{g.field || '(record)'}</span>{' '}
              <span className={`num num-${tone}`}>
                {formatCount(g.count)} {g.count === 1 ? 'record' : 'records'}
              </span>
            </p>
            <ul className="small">
              {g.first.map((n, i) => (
                <li key={`${n.line}-${i}`}>
                  <span className="muted">Line {n.line}:</span> {n.reason}
                </li>
              ))}
              {g.count > g.first.length && <li className="muted">… and {formatCount(g.count - g.first.length)} more</li>}
            </ul>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function Problems({ result }: { result: UploadResult }) {
  return (
    <>
      <NoteGroups title="Refused, by field" notes={result.problems} counts={result.problem_counts} tone="failed" />
      <NoteGroups
        title="Warnings (sent without the field)"
        notes={result.warnings}
        counts={result.warning_counts}
        tone="pending"
      />
    </>
  );
}

export function ImportStatusTag({ job }: { job: Import }) {
  return (
    <span className={`tag tag-import-${job.status}`} data-testid="import-status" data-status={job.status}>
      {STATUS_LABEL[job.status] ?? job.status}
    </span>
  );
}

/** Rows applied out of rows sent, while the ingest worker applies them. */
export function ImportProgress({ job }: { job: Import }) {
  const p = progressOf(job);
  const percent = Math.round(p.share * 100);
  return (
    <div className="stack-tight">
      <div
        className="progress progress-large"
        role="progressbar"
        aria-label="Import progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
      >
        <span className="progress-sent" style={{ width: `${percent}%` }} />
      </div>
      <p className="small" data-testid="import-progress">
        {p.total == null
          ? `Sending… ${formatCount(p.done)} applied so far`
          : `${formatCount(p.done)} of ${formatCount(p.total)} ${noun(job.kind, p.total)} applied`}
      </p>
    </div>
  );
}

/** What became of the import's rows. */
export function ImportCounts({ job }: { job: Import }) {
  const c = job.counts;
  const items: [string, number, string][] = [
    ['New', c.new, 'new'],
    ['Updated', c.updated, 'updated'],
    ['Unchanged', c.unchanged, 'unchanged'],
    ['Merged', c.merged, 'merged'],
    ['Stale (older than stored)', c.stale, 'stale'],
    ['Erased people (skipped)', c.erased, 'erased'],
    ['Refused', job.bad, 'bad'],
  ];
  return (
    <div className="stack-tight">
      <dl className="kpis kpis-summary" data-testid="import-summary">
        {items.map(([label, value, key]) => (
          <div key={key}>
            <dt>{label}</dt>
            <dd data-testid={`summary-${key}`} className={key === 'bad' && value ? 'num-failed' : undefined}>
              {formatCount(value)}
            </dd>
          </div>
        ))}
      </dl>
      {job.kind === 'orders' && (
        <p className="small" data-testid="summary-no-customer">
          {c.no_customer > 0
            ? `${formatCount(c.no_customer)} ${c.no_customer === 1 ? 'order names' : 'orders name'} no known customer (kept, not lost).`
            : 'Every order names a known customer.'}
        </p>
      )}
    </div>
  );
}
