/**
 * CSV upload of customers or orders, from the browser to the ingest API in batches of
 * 1,000 (papaparse reads the file). A batch with a bad row is refused whole by the API,
 * so the report lists every bad row with its field and the API's message.
 */
import Papa from 'papaparse';
import { useState, type ChangeEvent } from 'react';
import { ApiError, ingest, unwrap } from '../api/client';
import { formatCount } from '../lib/format';

export const BATCH = 1000;
type Kind = 'customers' | 'orders';

const COLUMNS: Record<Kind, string> = {
  customers: 'customer_id, name, email, phone, city, created_at',
  orders: 'order_id, customer_id, amount, ordered_at',
};

export interface RowProblem {
  row: number; // line in the file (the header is line 1)
  field: string;
  message: string;
}

export interface Report {
  total: number;
  done: number;
  accepted: number;
  problems: RowProblem[];
  failure: string | null;
}

/** Blank cells become absent fields, so optional columns may be left empty. */
export function cleanRow(row: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(row)) {
    const k = key.trim();
    const v = (value ?? '').trim();
    if (k && v !== '') out[k] = v;
  }
  return out;
}

/** The API's per-item problems as lines of the file: "body.items[3].email" is row 3's email. */
export function rowProblems(error: ApiError, batchStart: number): RowProblem[] {
  return error.problems.map((p) => {
    const item = /^body\.items\[(\d+)\]\.?(.*)$/.exec(p.field);
    return {
      row: item ? batchStart + Number(item[1]) + 2 : 0,
      field: item ? (item[2] ?? '') : p.field.replace(/^body\.?/, ''),
      message: p.message,
    };
  });
}

/**
 * Send `rows` in batches through `post`, reporting progress after each batch. A 422 lists
 * the batch's bad rows and the upload goes on; any other error stops it where it was.
 */
export async function uploadRows(
  rows: Record<string, string>[],
  post: (items: Record<string, string>[]) => Promise<unknown>,
  onProgress: (report: Report) => void,
): Promise<Report> {
  let state: Report = { total: rows.length, done: 0, accepted: 0, problems: [], failure: null };
  onProgress(state);
  for (let start = 0; start < rows.length; start += BATCH) {
    const items = rows.slice(start, start + BATCH);
    try {
      await post(items);
      state = { ...state, accepted: state.accepted + items.length };
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) {
        state = { ...state, problems: [...state.problems, ...rowProblems(error, start)] };
      } else {
        const message = error instanceof Error ? error.message : 'upload failed';
        state = { ...state, failure: `Stopped at row ${start + 2}: ${message}` };
        onProgress(state);
        return state;
      }
    }
    state = { ...state, done: Math.min(rows.length, start + BATCH) };
    onProgress(state);
  }
  return state;
}

export function CsvUpload({ onDone }: { onDone?: () => void }) {
  const [kind, setKind] = useState<Kind>('customers');
  const [report, setReport] = useState<Report | null>(null);
  const busy = report != null && report.done < report.total && !report.failure;

  const upload = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    Papa.parse<Record<string, string>>(file, {
      header: true,
      skipEmptyLines: 'greedy',
      complete: (parsed) => void send(parsed.data.map(cleanRow)),
      error: (error) => setReport({ total: 0, done: 0, accepted: 0, problems: [], failure: error.message }),
    });
  };

  async function send(rows: Record<string, string>[]) {
    const path = kind === 'customers' ? '/api/v1/customers' : '/api/v1/orders';
    const post = (items: Record<string, string>[]) => unwrap(ingest.POST(path, { body: { items } as never }));
    const final = await uploadRows(rows, post, setReport);
    if (!final.failure) onDone?.();
  }

  const percent = report && report.total ? Math.round((report.done / report.total) * 100) : 0;
  return (
    <section className="card stack-tight" aria-labelledby="upload-title">
      <h2 className="card-label" id="upload-title">
        Upload a CSV
      </h2>
      <div className="upload-row">
        <label className="field field-inline">
          <span>File holds</span>
          <select value={kind} onChange={(e) => setKind(e.target.value as Kind)} disabled={busy}>
            <option value="customers">Customers</option>
            <option value="orders">Orders</option>
          </select>
        </label>
        <label className="btn file-button">
          Choose CSV file…
          <input type="file" accept=".csv,text/csv" onChange={upload} disabled={busy} className="sr-only" />
        </label>
      </div>
      <p className="hint">
        Columns: <code>{COLUMNS[kind]}</code>. Sent in batches of {formatCount(BATCH)}; a batch with a bad row is
        not loaded, and the rows to fix are listed below.
      </p>
      {report && (
        <div className="stack-tight" aria-live="polite">
          <div className="progress" role="progressbar" aria-label="Upload progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
            <span className="progress-sent" style={{ width: `${percent}%` }} />
          </div>
          <p className="small">
            {formatCount(report.done)} of {formatCount(report.total)} rows processed ·{' '}
            <strong>{formatCount(report.accepted)}</strong> accepted
            {report.problems.length > 0 && (
              <>
                {' '}
                · <span className="num-failed">{formatCount(report.problems.length)} problems</span>
              </>
            )}
          </p>
          {report.failure && (
            <p className="form-error" role="alert">
              {report.failure}
            </p>
          )}
          {report.problems.length > 0 && (
            <div className="table-wrap problems">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Row</th>
                    <th scope="col">Field</th>
                    <th scope="col">Problem</th>
                  </tr>
                </thead>
                <tbody>
                  {report.problems.slice(0, 200).map((p, i) => (
                    <tr key={`${p.row}-${p.field}-${i}`}>
                      <td className="num">{p.row || '—'}</td>
                      <td className="mono">{p.field}</td>
                      <td>{p.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
    </section>
  );
}
