/**
 * The import: what the file holds and where it came from, the file, then a dry run (the
 * server reads it with the same code as `beacon import` and sends nothing): counts, column
 * mapping, the first records as Beacon reads them, problems by field. Only then "Import N",
 * which sends the same file for real; the import is followed until it is applied, then
 * summed up, with the refused rows to download in the file's own layout.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Papa from 'papaparse';
import { useEffect, useId, useMemo, useRef, useState, type ChangeEvent, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { upload, useImportJob } from '../api/imports';
import type { ImportKind, ImportSource, UploadResult } from '../api/models';
import { formatBytes, formatCount } from '../lib/format';
import {
  DEFAULT_OPTIONS,
  FIELDS,
  MAX_UPLOAD_BYTES,
  queryProblem,
  SHOP_TIMEZONE,
  type ReadOptions,
  type UploadRequest,
} from '../lib/imports';
import {
  ColumnMapping,
  DownloadBadRows,
  DryRunCounts,
  ImportCounts,
  ImportProgress,
  noun,
  PreviewRows,
  Problems,
} from './ImportReport';
import { ErrorState, Skeleton } from './States';
import { UndoImport } from './UndoImport';

const WHERE: Record<ImportSource, Record<ImportKind, string>> = {
  shopify: {
    customers: 'Shopify admin › Customers › Export (CSV). Quoted phones and Customer IDs are read as they are.',
    orders: 'Shopify admin › Orders › Export (CSV). One row per line item: Beacon groups them into orders.',
  },
  woocommerce: {
    customers: 'WooCommerce › Analytics › Customers › Download.',
    orders: 'WooCommerce order export (CSV): statuses, refunds and guest orders are understood.',
  },
  generic: {
    customers: 'Any CSV with a header row: usual names (Customer ID, First Name, Email, Phone, City…) are recognised.',
    orders: 'Any CSV with a header row: usual names (Order ID, Email, Amount, Order Date, Status…) are recognised.',
  },
};

/** The file input's id: the history's empty state opens it too. */
export const FILE_INPUT_ID = 'import-file';

const DATE_FORMATS = ['%d/%m/%Y', '%d/%m/%Y %H:%M', '%m/%d/%Y', '%m/%d/%Y %H:%M', '%d-%m-%Y', '%d.%m.%Y', '%Y-%m-%d %H:%M:%S'];

function zones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [SHOP_TIMEZONE, 'UTC'];
  }
}

/** The header row of a CSV file, read in the browser (for mapping a column by hand). */
async function readHeader(file: File): Promise<string[]> {
  if (/\.(gz|jsonl|ndjson)$/i.test(file.name)) return [];
  try {
    const head = await file.slice(0, 64 * 1024).text();
    const parsed = Papa.parse<string[]>(head.replace(/^\uFEFF/, ''), { preview: 1 });
    return (parsed.data[0] ?? []).map((c) => c.trim()).filter(Boolean);
  } catch {
    return [];
  }
}

function fileKey(file: File): string {
  return `${file.name}:${file.size}:${file.lastModified}`;
}

function sameOptions(a: ReadOptions, b: ReadOptions): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function ImportFlow() {
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<ImportKind>('customers');
  const [source, setSource] = useState<ImportSource>('shopify');
  const [file, setFile] = useState<File | null>(null);
  const [columns, setColumns] = useState<string[]>([]);
  const [draft, setDraft] = useState<ReadOptions>(DEFAULT_OPTIONS);
  const [applied, setApplied] = useState<ReadOptions>(DEFAULT_OPTIONS);
  const [optionsOpen, setOptionsOpen] = useState(false);
  const [announce, setAnnounce] = useState('');
  const fileInput = useRef<HTMLInputElement>(null);
  const dateInput = useRef<HTMLInputElement>(null);
  const progressHeading = useRef<HTMLHeadingElement>(null);
  const ids = { date: useId(), dateHelp: useId(), zone: useId(), zoneHelp: useId(), zones: useId(), formats: useId(), options: useId() };

  const tooLarge = file != null && file.size > MAX_UPLOAD_BYTES;
  const request: UploadRequest | null = file ? { kind, source, fileName: file.name, options: applied } : null;

  // The dry run, keyed by everything that changes how the file is read: a new choice asks
  // again (the previous request is aborted), going back to an earlier one is instant.
  const dry = useQuery({
    queryKey: ['import-dry-run', file ? fileKey(file) : null, kind, source, applied],
    enabled: file != null && !tooLarge,
    retry: false,
    staleTime: Infinity,
    gcTime: 5 * 60_000,
    refetchOnWindowFocus: false,
    queryFn: ({ signal }) => upload(file as File, request as UploadRequest, true, signal),
  });

  const run = useMutation({
    mutationFn: (r: { file: File; request: UploadRequest }) => upload(r.file, r.request, false),
    onSuccess: (result) => {
      if (result.import) queryClient.setQueryData(['imports', 'one', result.import.import_id], result.import);
      void queryClient.invalidateQueries({ queryKey: ['imports', 'list'] });
    },
  });
  const sent: UploadResult | undefined = run.data;
  const job = useImportJob(sent?.import?.import_id ?? null, sent?.import ?? null).data ?? null;
  const started = !run.isIdle; // from the first click on Import until "Import another file"
  const done = job?.status === 'done' || job?.status === 'undoing' || job?.status === 'undone';

  // What the dry run says about the options: a 422 on one of them is shown next to it.
  const problems = dry.error instanceof ApiError && dry.error.status === 422 ? dry.error.problems : [];
  const dateProblem = queryProblem(problems, 'date_format');
  // The upload files an unknown zone under query.map (its reader's error names no field):
  // shown next to the zone, where the person can fix it.
  const mapOrZone = queryProblem(problems, 'map');
  const zoneInMap = mapOrZone != null && /time zone/i.test(mapOrZone);
  const timezoneProblem = queryProblem(problems, 'timezone') ?? (zoneInMap ? mapOrZone : null);
  const mapProblem = zoneInMap ? null : mapOrZone;
  const optionProblem = dateProblem ?? timezoneProblem ?? mapProblem;
  const result = dry.data;
  const readsTwoWays = (result?.problems ?? []).some((p) => /two ways|decimal comma/i.test(p.reason));
  const needsOptions = optionProblem != null || readsTwoWays;
  const optionsChanged = !sameOptions(draft, applied);

  useEffect(() => {
    if (needsOptions) setOptionsOpen(true);
  }, [needsOptions]);
  useEffect(() => {
    if (dateProblem) dateInput.current?.focus();
  }, [dateProblem]);
  useEffect(() => {
    if (!file || !result) return;
    setAnnounce(
      `Checked ${file.name}: ${formatCount(result.records)} ${noun(result.kind, result.records)}, ${formatCount(result.good)} good, ${formatCount(result.bad)} refused. Nothing sent yet.`,
    );
  }, [file, result]);
  useEffect(() => {
    if (run.isPending) progressHeading.current?.focus();
  }, [run.isPending]);
  useEffect(() => {
    if (job?.status === 'done') {
      setAnnounce(`Import finished: ${formatCount(job.counts.new)} new, ${formatCount(job.counts.updated)} updated, ${formatCount(job.bad)} refused.`);
    }
  }, [job?.status, job?.counts.new, job?.counts.updated, job?.bad]);

  const choose = (event: ChangeEvent<HTMLInputElement>) => {
    const chosen = event.target.files?.[0] ?? null;
    event.target.value = '';
    if (!chosen) return;
    setFile(chosen);
    setColumns([]);
    void readHeader(chosen).then(setColumns);
  };

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setApplied(draft);
    if (sameOptions(draft, applied)) void dry.refetch();
  };

  const reset = () => {
    setFile(null);
    setColumns([]);
    setDraft(DEFAULT_OPTIONS);
    setApplied(DEFAULT_OPTIONS);
    setOptionsOpen(false);
    setAnnounce('');
    run.reset();
    fileInput.current?.focus();
  };

  const timeZone = applied.timezone.trim() || result?.timezone || SHOP_TIMEZONE;
  const canImport = result != null && result.good > 0 && !optionsChanged && !dry.isFetching && !started;
  const zoneList = useMemo(zones, []);

  return (
    <>
      <p className="sr-only" role="status" aria-live="polite">
        {announce}
      </p>
      <section className="card stack" aria-labelledby="choose-title">
        <h2 id="choose-title" className="h-card">
          <span className="step">1</span> Choose the file
        </h2>
        <div className="choose-grid">
          <fieldset className="segmented-field" disabled={started}>
            <legend>The file holds</legend>
            <div className="segmented">
              {(['customers', 'orders'] as const).map((k) => (
                <label key={k}>
                  <input type="radio" name="import-kind" value={k} checked={kind === k} onChange={() => setKind(k)} />
                  {k === 'customers' ? 'Customers' : 'Orders'}
                </label>
              ))}
            </div>
          </fieldset>
          <fieldset className="segmented-field" disabled={started}>
            <legend>It came from</legend>
            <div className="segmented">
              {(['shopify', 'woocommerce', 'generic'] as const).map((s) => (
                <label key={s}>
                  <input type="radio" name="import-source" value={s} checked={source === s} onChange={() => setSource(s)} />
                  {s === 'shopify' ? 'Shopify' : s === 'woocommerce' ? 'WooCommerce' : 'Other (any CSV)'}
                </label>
              ))}
            </div>
          </fieldset>
        </div>
        <p className="hint">{WHERE[source][kind]}</p>
        <div className="actions">
          <label className={`btn file-button${file ? '' : ' btn-primary'}${started ? ' is-disabled' : ''}`}>
            {file ? 'Choose another file…' : 'Choose a file…'}
            <input
              ref={fileInput}
              id={FILE_INPUT_ID}
              type="file"
              accept=".csv,.tsv,.txt,.jsonl,.ndjson,.gz,text/csv"
              onChange={choose}
              disabled={started}
              className="sr-only"
              aria-label="File to import"
            />
          </label>
          {file && (
            <span className="small" data-testid="chosen-file">
              <strong className="cell-file">{file.name}</strong> <span className="muted">{formatBytes(file.size)}</span>
            </span>
          )}
          <button
            type="button"
            className="btn btn-quiet btn-small"
            aria-expanded={optionsOpen}
            aria-controls={ids.options}
            onClick={() => setOptionsOpen((o) => !o)}
          >
            Reading options {optionsOpen ? '▴' : '▾'}
          </button>
        </div>
        {tooLarge && (
          <p className="form-error" role="alert">
            {file?.name} is {formatBytes(file?.size ?? 0)}; the dashboard takes files up to 32 MB. Split it, or load it
            with <code>beacon import</code> on the command line.
          </p>
        )}
        <form
          id={ids.options}
          className={`options${needsOptions ? ' options-needed' : ''}`}
          hidden={!optionsOpen}
          onSubmit={apply}
          aria-label="Reading options"
        >
          {needsOptions && (
            <p className="small">
              <strong>This file needs a choice</strong> before Beacon can read it for sure.
            </p>
          )}
          <fieldset className="options-grid" disabled={started}>
            <div className="field">
              <label htmlFor={ids.date}>Date format</label>
              <input
                ref={dateInput}
                id={ids.date}
                list={ids.formats}
                value={draft.dateFormat}
                placeholder="From the file"
                onChange={(e) => setDraft({ ...draft, dateFormat: e.target.value })}
                aria-invalid={dateProblem ? true : undefined}
                aria-describedby={ids.dateHelp}
                spellCheck={false}
                autoComplete="off"
              />
              <datalist id={ids.formats}>
                {DATE_FORMATS.map((f) => (
                  <option key={f} value={f} />
                ))}
              </datalist>
              <span id={ids.dateHelp} className={dateProblem ? 'form-error' : 'hint'} data-testid="date-format-help">
                {dateProblem ?? 'e.g. %d/%m/%Y %H:%M (day first). Empty: Shopify and WooCommerce say; other files are read from their dates.'}
              </span>
              {dateProblem && (
                <span className="actions">
                  {(
                    [
                      ['Day first', '%d/%m/%Y'],
                      ['Month first', '%m/%d/%Y'],
                    ] as const
                  ).map(([label, layout]) => (
                    <button
                      key={layout}
                      type="button"
                      className="btn btn-small"
                      onClick={() => {
                        const next = { ...draft, dateFormat: layout };
                        setDraft(next);
                        setApplied(next);
                      }}
                    >
                      {label} <span className="mono muted">{layout}</span>
                    </button>
                  ))}
                </span>
              )}
            </div>
            <div className="field">
              <label htmlFor={ids.zone}>Time zone</label>
              <input
                id={ids.zone}
                list={ids.zones}
                value={draft.timezone}
                placeholder={`${SHOP_TIMEZONE} (the shop's)`}
                onChange={(e) => setDraft({ ...draft, timezone: e.target.value })}
                aria-invalid={timezoneProblem ? true : undefined}
                aria-describedby={ids.zoneHelp}
                spellCheck={false}
                autoComplete="off"
              />
              <datalist id={ids.zones}>
                {zoneList.map((z) => (
                  <option key={z} value={z} />
                ))}
              </datalist>
              <span id={ids.zoneHelp} className={timezoneProblem ? 'form-error' : 'hint'}>
                {timezoneProblem ?? 'For times written without an offset.'}
              </span>
            </div>
            <label className="field field-check">
              <input
                type="checkbox"
                checked={draft.decimalComma}
                onChange={(e) => setDraft({ ...draft, decimalComma: e.target.checked })}
              />
              <span>
                Amounts use a decimal comma <span className="hint">(1.234,56 or 378,00)</span>
                {readsTwoWays && !draft.decimalComma && (
                  <span className="block form-error">Some amounts read two ways: say whether the comma is decimal.</span>
                )}
              </span>
            </label>
          </fieldset>
          <ColumnMap
            kind={kind}
            columns={columns}
            map={draft.map}
            problem={mapProblem}
            disabled={started}
            onChange={(map) => setDraft({ ...draft, map })}
          />
          <div className="actions">
            <button type="submit" className="btn" disabled={!file || started}>
              Check again with these options
            </button>
            {optionsChanged && <span className="small num-pending">Changed: check again before importing.</span>}
          </div>
        </form>
      </section>

      {file && !tooLarge && (
        <section className="card stack" aria-labelledby="check-title" aria-busy={dry.isFetching}>
          <h2 id="check-title" className="h-card">
            <span className="step">2</span> How Beacon reads it
          </h2>
          {dry.isFetching ? (
            <Skeleton rows={6} label={`Reading ${file.name}`} />
          ) : dry.isError ? (
            optionProblem ? (
              <p className="error-state" role="alert">
                {optionProblem} Set it under Reading options above, then check again.
              </p>
            ) : (
              <ErrorState error={dry.error} retry={() => void dry.refetch()} />
            )
          ) : result ? (
            <>
              <DryRunCounts result={result} />
              <div className="actions import-actions">
                {!started && (
                  <button
                    type="button"
                    className="btn btn-primary"
                    disabled={!canImport}
                    onClick={() => run.mutate({ file, request: request as UploadRequest })}
                  >
                    Import {formatCount(result.good)} {noun(result.kind, result.good)}
                  </button>
                )}
                <DownloadBadRows csv={result.bad_csv} fileName={file.name} count={result.bad} />
                <span className="small muted">
                  {result.good === 0
                    ? 'Nothing to import: fix the refused rows (download them above) and choose the file again.'
                    : result.bad > 0
                      ? `${formatCount(result.bad)} refused ${noun(result.kind, result.bad)} will not be sent.`
                      : null}
                </span>
              </div>
              <div className="split-report">
                <ColumnMapping result={result} />
                <div className="stack">
                  <Problems result={result} />
                  {result.bad === 0 && (result.warnings?.length ?? 0) === 0 && (
                    <p className="banner banner-ok">Every record reads cleanly.</p>
                  )}
                </div>
              </div>
              <PreviewRows result={result} timeZone={timeZone} />
            </>
          ) : null}
        </section>
      )}

      {started && (
        <section className="card stack" aria-labelledby="run-title">
          <h2 id="run-title" className="h-card" tabIndex={-1} ref={progressHeading}>
            <span className="step">3</span> {done ? 'Imported' : 'Importing'} {file?.name}
          </h2>
          {run.isPending && (
            <>
              <div className="progress progress-large progress-indeterminate" role="progressbar" aria-label="Sending the file">
                <span className="progress-sent" />
              </div>
              <p className="small">Sending the file and checking it once more…</p>
            </>
          )}
          {run.isError && <ErrorState error={run.error} retry={() => file && request && run.mutate({ file, request })} />}
          {job && !done && <ImportProgress job={job} />}
          {job && done && (
            <>
              <ImportCounts job={job} />
              <div className="actions">
                <DownloadBadRows csv={sent?.bad_csv} fileName={file?.name} count={job.bad} />
                <UndoImport job={job} />
              </div>
            </>
          )}
          {run.isSuccess && !job && <p className="small">The import was sent{sent?.import ? '' : ', but the server did not say which import it is'}.</p>}
          {(done || run.isError) && (
            <div className="actions">
              <button type="button" className="btn btn-quiet" onClick={reset}>
                Import another file
              </button>
            </div>
          )}
        </section>
      )}
    </>
  );
}

/** Read an API field from a column the preset does not know (the CLI's --map). */
function ColumnMap({
  kind,
  columns,
  map,
  problem,
  disabled,
  onChange,
}: {
  kind: ImportKind;
  columns: string[];
  map: Record<string, string>;
  problem: string | null;
  disabled: boolean;
  onChange: (map: Record<string, string>) => void;
}) {
  const [field, setField] = useState('');
  const [column, setColumn] = useState('');
  const entries = Object.entries(map);
  const helpId = useId();
  const add = () => {
    if (!field || !column) return;
    onChange({ ...map, [field]: column });
    setField('');
    setColumn('');
  };
  return (
    <fieldset className="stack-tight column-map" disabled={disabled} aria-describedby={helpId}>
      <legend>Map a column by hand</legend>
      <p id={helpId} className={problem ? 'form-error' : 'hint'}>
        {problem ?? 'Only when Beacon does not recognise a column: pick the field and the column it is in.'}
      </p>
      {entries.length > 0 && (
        <ul className="chips">
          {entries.map(([f, c]) => (
            <li key={f} className="chip-static">
              <span className="mono">{f}</span> ← {c}{' '}
              <button
                type="button"
                className="link"
                aria-label={`Remove the mapping of ${f}`}
                onClick={() => {
                  const next = { ...map };
                  delete next[f];
                  onChange(next);
                }}
              >
                ✕
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="upload-row">
        <label className="field field-inline">
          <span>Field</span>
          <select value={field} onChange={(e) => setField(e.target.value)}>
            <option value="">Choose…</option>
            {FIELDS[kind].map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
        </label>
        <label className="field field-inline">
          <span>Column</span>
          {columns.length ? (
            <select value={column} onChange={(e) => setColumn(e.target.value)}>
              <option value="">Choose…</option>
              {columns.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          ) : (
            <input value={column} onChange={(e) => setColumn(e.target.value)} placeholder="Header as in the file" />
          )}
        </label>
        <button type="button" className="btn btn-small" onClick={add} disabled={!field || !column}>
          Add
        </button>
      </div>
    </fieldset>
  );
}
