import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Import, UploadResult } from '../api/models';
import { fakeApi, problem422, renderAt } from '../test-utils';
import Imports from './Imports';

function job(over: Partial<Import> = {}): Import {
  return {
    import_id: '7',
    kind: 'orders',
    source: 'shopify',
    file_name: 'orders_export_1.csv',
    status: 'sealed',
    created_at: '2026-12-06T10:00:00Z',
    created_by: 'marketer@example.in',
    sent: 2,
    bad: 1,
    processed: 0,
    counts: { new: 0, updated: 0, unchanged: 0, merged: 0, stale: 0, erased: 0, no_customer: 0 },
    sealed_at: '2026-12-06T10:00:01Z',
    finished_at: null,
    undo: null,
    ...over,
  };
}

const BAD_CSV = 'Name,Email,Total,Beacon Error\r\n#1003,"a@b.in","378,00","amount: reads two ways"\r\n';

function dryRun(over: Partial<UploadResult> = {}): UploadResult {
  return {
    kind: 'orders',
    source: 'shopify',
    file_name: 'orders_export_1.csv',
    mapping: [
      { field: 'order_id', column: 'Name' },
      { field: 'customer_email', column: 'Email' },
      { field: 'amount', column: 'Total' },
    ],
    ignored: ['Billing Zip', 'Tags'],
    notes: [],
    dates: 'iso',
    timezone: 'Asia/Kolkata',
    rows: 5,
    records: 3,
    good: 2,
    bad: 1,
    problems: [{ line: 5, field: 'amount', reason: "reads two ways: 378,00 (use decimal comma if it means 378.00)" }],
    problem_counts: { amount: 1 },
    warnings: [{ line: 2, field: 'phone', reason: 'dropped: not a phone number' }],
    warning_counts: { phone: 1 },
    preview: [
      {
        line: 2,
        item: {
          order_id: '#1001',
          customer_email: 'asha@example.in',
          amount: '149999.50',
          status: 'partially_refunded',
          refunded_amount: '999.50',
          ordered_at: '2024-02-21T02:25:00+00:00',
          line_items: [{ name: 'Kurta' }, { name: 'Dupatta' }, { name: 'Bangles' }],
        },
        problems: [],
        warnings: [],
      },
      {
        line: 5,
        item: null,
        problems: [{ field: 'amount', reason: 'reads two ways' }],
        warnings: [],
      },
    ],
    bad_csv: BAD_CSV,
    import: null,
    ...over,
  };
}

function history(items: Import[] = []) {
  return { status: 200, body: { items, next_cursor: null } };
}

function page() {
  return renderAt('/imports', [{ path: '/imports', element: <Imports /> }]);
}

function ordersFile() {
  return new File(['Name,Email,Total\n#1001,asha@example.in,"149999.50"\n'], 'orders_export_1.csv', { type: 'text/csv' });
}

async function chooseOrdersFile(user: ReturnType<typeof userEvent.setup>) {
  await user.click(screen.getByRole('radio', { name: 'Orders' }));
  await user.click(screen.getByRole('radio', { name: 'Shopify' }));
  await user.upload(screen.getByLabelText('File to import'), ordersFile());
}

describe('the import screen', () => {
  beforeEach(() => {
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: vi.fn(() => 'blob:bad'), revokeObjectURL: vi.fn() }));
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('shows the dry run, then imports, follows the progress and sums it up', async () => {
    const api = fakeApi({
      'GET /api/v1/imports': [history()],
      'POST /api/v1/imports/upload': [
        (call) =>
          call.url.searchParams.get('dry_run') === 'true'
            ? { status: 200, body: dryRun() }
            : { status: 202, body: dryRun({ import: job() }) },
      ],
      'GET /api/v1/imports/7': [
        { status: 200, body: job({ processed: 1 }) },
        {
          status: 200,
          body: job({
            status: 'done',
            processed: 2,
            finished_at: '2026-12-06T10:00:03Z',
            counts: { new: 1, updated: 1, unchanged: 0, merged: 0, stale: 0, erased: 0, no_customer: 1 },
          }),
        },
      ],
    });
    const user = userEvent.setup();
    page();
    await chooseOrdersFile(user);

    // The dry run: the raw file as the body, the choices in the query, nothing imported.
    const counts = await screen.findByTestId('dry-run-counts');
    const [first] = api.of('POST', '/api/v1/imports/upload');
    expect(first?.url.searchParams.get('dry_run')).toBe('true');
    expect(first?.url.searchParams.get('kind')).toBe('orders');
    expect(first?.url.searchParams.get('source')).toBe('shopify');
    expect(first?.url.searchParams.get('file_name')).toBe('orders_export_1.csv');
    expect(first?.body).toBeInstanceOf(File);
    expect(first?.headers.get('content-type')).toBe('text/csv');
    expect(within(counts).getByTestId('count-records')).toHaveTextContent('3');
    expect(within(counts).getByTestId('count-good')).toHaveTextContent('2');
    expect(within(counts).getByTestId('count-bad')).toHaveTextContent('1');
    expect(within(counts).getByTestId('count-warnings')).toHaveTextContent('1');

    // The mapping, and the first rows as Beacon reads them: ₹ with Indian grouping, the shop's time.
    expect(screen.getByRole('cell', { name: 'customer_email' })).toBeInTheDocument();
    expect(screen.getByText('2 columns not used')).toBeInTheDocument();
    expect(screen.getByTestId('dates-read-as')).toHaveTextContent(
      'Dates read as ISO 8601 (year first); times without an offset in Asia/Kolkata.',
    );
    const rows = screen.getAllByTestId('preview-row');
    expect(rows[0]).toHaveTextContent('₹1,49,999.50');
    expect(rows[0]).toHaveTextContent('21 Feb 2024, 7:55 am IST');
    expect(rows[0]).toHaveTextContent('Part refunded');
    expect(rows[0]).toHaveTextContent('₹999.50');
    expect(within(rows[0] as HTMLElement).getByRole('cell', { name: '3' })).toBeInTheDocument();
    expect(rows[1]).toHaveClass('row-refused');
    // Problems grouped by field, with their first lines.
    const groups = screen.getByTestId('problem-groups');
    expect(groups).toHaveTextContent('amount');
    expect(groups).toHaveTextContent('Line 5: reads two ways');
    // An amount that reads two ways opens the reading options at the decimal comma.
    expect(screen.getByRole('form', { name: 'Reading options' })).toBeVisible();

    expect(api.calls.filter((c) => c.url.searchParams.get('dry_run') === 'false')).toHaveLength(0);
    await user.click(screen.getByRole('button', { name: 'Import 2 orders' }));

    const [, second] = api.of('POST', '/api/v1/imports/upload');
    expect(second?.url.searchParams.get('dry_run')).toBe('false');
    expect(second?.body).toBeInstanceOf(File);

    // Progress from the polled import, then the summary.
    expect(await screen.findByText('1 of 2 orders applied')).toBeInTheDocument();
    expect(screen.getByRole('progressbar', { name: 'Import progress' })).toHaveAttribute('aria-valuenow', '50');
    const summary = await screen.findByTestId('import-summary', {}, { timeout: 4_000 });
    expect(within(summary).getByTestId('summary-new')).toHaveTextContent('1');
    expect(within(summary).getByTestId('summary-updated')).toHaveTextContent('1');
    expect(within(summary).getByTestId('summary-bad')).toHaveTextContent('1');
    expect(screen.getByTestId('summary-no-customer')).toHaveTextContent('1 order names no known customer');
    expect(screen.getByRole('status', { name: '' })).toHaveTextContent('Import finished: 1 new, 1 updated, 1 refused.');
    expect(screen.getByRole('button', { name: 'Import another file' })).toBeInTheDocument();
  });

  it('asks for the date format when the dry run cannot tell the dates, and checks again with it', async () => {
    const message = "dates read both ways (03/04/2024 on line 2): give the date format, e.g. '%d/%m/%Y'";
    const api = fakeApi({
      'GET /api/v1/imports': [history()],
      'POST /api/v1/imports/upload': [
        problem422('query.date_format', message),
        { status: 200, body: dryRun({ source: 'generic', bad: 0, problems: [], problem_counts: {}, bad_csv: null }) },
      ],
    });
    const user = userEvent.setup();
    page();
    await user.click(screen.getByRole('radio', { name: 'Orders' }));
    await user.click(screen.getByRole('radio', { name: 'Other (any CSV)' }));
    await user.upload(screen.getByLabelText('File to import'), ordersFile());

    const input = await screen.findByLabelText('Date format');
    await waitFor(() => expect(input).toHaveAttribute('aria-invalid', 'true'));
    expect(screen.getByTestId('date-format-help')).toHaveTextContent(message);
    expect(input).toHaveAccessibleDescription(message);
    expect(input).toHaveFocus();
    expect(screen.queryByRole('button', { name: /^Import \d/ })).toBeNull();

    await user.type(input, '%d/%m/%Y');
    await user.click(screen.getByRole('button', { name: 'Check again with these options' }));
    expect(await screen.findByRole('button', { name: 'Import 2 orders' })).toBeEnabled();
    const [, again] = api.of('POST', '/api/v1/imports/upload');
    expect(again?.url.searchParams.get('date_format')).toBe('%d/%m/%Y');
    expect(again?.url.searchParams.get('source')).toBe('generic');
    expect(again?.url.searchParams.get('dry_run')).toBe('true');
  });

  it('offers day first or month first in one click when the dates read both ways', async () => {
    const api = fakeApi({
      'GET /api/v1/imports': [history()],
      'POST /api/v1/imports/upload': [
        problem422('query.date_format', "every date in the file reads two ways (e.g. line 2: '03/04/2024')"),
        { status: 200, body: dryRun({ source: 'generic' }) },
      ],
    });
    const user = userEvent.setup();
    page();
    await user.click(screen.getByRole('radio', { name: 'Other (any CSV)' }));
    await user.upload(screen.getByLabelText('File to import'), ordersFile());
    await user.click(await screen.findByRole('button', { name: /Day first/ }));
    expect(await screen.findByTestId('dry-run-counts')).toBeInTheDocument();
    expect(api.of('POST', '/api/v1/imports/upload')[1]?.url.searchParams.get('date_format')).toBe('%d/%m/%Y');
    expect(screen.getByLabelText('Date format')).toHaveValue('%d/%m/%Y');
  });

  it('shows an unknown time zone next to the time zone input', async () => {
    fakeApi({
      'GET /api/v1/imports': [history()],
      'POST /api/v1/imports/upload': [
        problem422('query.map', "unknown time zone 'Asia/Bombay2' (an IANA name such as Asia/Kolkata, Europe/London or UTC)"),
      ],
    });
    const user = userEvent.setup();
    page();
    await user.upload(screen.getByLabelText('File to import'), ordersFile());
    const zone = await screen.findByLabelText('Time zone');
    await waitFor(() => expect(zone).toHaveAttribute('aria-invalid', 'true'));
    expect(zone).toHaveAccessibleDescription(/unknown time zone 'Asia\/Bombay2'/);
    expect(screen.getByText(/Only when Beacon does not recognise a column/)).toBeInTheDocument();
  });

  it('does not import with options changed since the dry run', async () => {
    fakeApi({
      'GET /api/v1/imports': [history()],
      'POST /api/v1/imports/upload': [{ status: 200, body: dryRun() }],
    });
    const user = userEvent.setup();
    page();
    await chooseOrdersFile(user);
    const button = await screen.findByRole('button', { name: 'Import 2 orders' });
    await user.click(screen.getByLabelText(/decimal comma/));
    expect(button).toBeDisabled();
    expect(screen.getByText('Changed: check again before importing.')).toBeInTheDocument();
  });

  it('saves the refused rows as <file>.bad.csv in the file’s own layout', async () => {
    fakeApi({
      'GET /api/v1/imports': [history()],
      'POST /api/v1/imports/upload': [{ status: 200, body: dryRun() }],
    });
    const clicked: HTMLAnchorElement[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });
    const user = userEvent.setup();
    page();
    await chooseOrdersFile(user);
    await user.click(await screen.findByRole('button', { name: /Download the refused rows/ }));

    expect(clicked).toHaveLength(1);
    expect(clicked[0]?.download).toBe('orders_export_1.bad.csv');
    expect(clicked[0]?.href).toBe('blob:bad');
    const blob = vi.mocked(URL.createObjectURL).mock.calls[0]?.[0] as Blob;
    expect(blob.type).toBe('text/csv;charset=utf-8');
    expect(await blob.text()).toBe(BAD_CSV);
  });

  it('undoes an import from the history after a confirmation, then shows what was restored', async () => {
    const done = job({
      import_id: '3',
      file_name: 'customers_export.csv',
      kind: 'customers',
      status: 'done',
      processed: 9,
      sent: 9,
      bad: 0,
      counts: { new: 5, updated: 2, unchanged: 1, merged: 1, stale: 0, erased: 0, no_customer: 0 },
    });
    const undoing = { ...done, status: 'undoing' as const, undo: { restored: 0, removed: 0, conflicts: 0, requested_at: 'x', finished_at: null } };
    const undone = { ...done, status: 'undone' as const, undo: { restored: 3, removed: 5, conflicts: 1, requested_at: 'x', finished_at: 'y' } };
    const api = fakeApi({
      'GET /api/v1/imports': [history([done])],
      'POST /api/v1/imports/3/undo': [{ status: 202, body: undoing }],
      'GET /api/v1/imports/3': [{ status: 200, body: undone }],
    });
    const user = userEvent.setup();
    page();
    const row = await screen.findByTestId('import-row');
    expect(row).toHaveTextContent('customers_export.csv');
    expect(row).toHaveTextContent('Done');

    await user.click(within(row).getByRole('button', { name: 'Undo customers_export.csv' }));
    const dialog = screen.getByRole('dialog', { name: 'Undo customers_export.csv?' });
    expect(dialog).toHaveAttribute('open');
    expect(within(dialog).getByTestId('undo-question')).toHaveTextContent(
      'Remove the 5 rows it created and restore the 3 it changed?',
    );
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    expect(api.of('POST', '/api/v1/imports/3/undo')).toHaveLength(0);

    await user.click(within(dialog).getByRole('button', { name: 'Undo the import' }));
    await waitFor(() => expect(api.of('POST', '/api/v1/imports/3/undo')).toHaveLength(1));
    const result = await screen.findByTestId('undo-result', {}, { timeout: 3_000 });
    expect(result).toHaveTextContent('Undone: 5 removed, 3 restored, 1 left as they were');
    await act(async () => undefined);
    expect(screen.getByTestId('import-row')).toHaveAttribute('data-status', 'undone');
  });

  it('refuses a file over 32 MB before sending anything', async () => {
    const api = fakeApi({ 'GET /api/v1/imports': [history()] });
    const user = userEvent.setup();
    page();
    const big = new File(['x'], 'huge.csv', { type: 'text/csv' });
    Object.defineProperty(big, 'size', { value: 40 * 1024 * 1024 });
    await user.upload(screen.getByLabelText('File to import'), big);
    expect(await screen.findByRole('alert')).toHaveTextContent('the dashboard takes files up to 32 MB');
    expect(api.of('POST', '/api/v1/imports/upload')).toHaveLength(0);
  });
});
