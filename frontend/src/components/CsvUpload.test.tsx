import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { BATCH, cleanRow, uploadRows, type Report } from './CsvUpload';

describe('CSV upload', () => {
  it('drops blank cells so optional columns may be empty', () => {
    expect(cleanRow({ customer_id: ' C-1 ', name: 'Asha', email: '', ' city ': 'Pune' })).toEqual({
      customer_id: 'C-1',
      name: 'Asha',
      city: 'Pune',
    });
  });

  it('sends batches, reports each bad row by its line in the file, and goes on', async () => {
    const rows = Array.from({ length: BATCH * 2 + 5 }, (_, i) => ({ customer_id: `C-${i}`, name: `N ${i}` }));
    const sent: number[] = [];
    const reports: Report[] = [];
    const post = async (items: Record<string, string>[]) => {
      sent.push(items.length);
      if (sent.length === 2) {
        throw new ApiError(422, {
          detail: [{ loc: ['body', 'items', 3, 'name'], msg: 'field required', type: 'value_error' }],
          message: 'body.items[3].name: field required',
          code: 'validation_error',
          correlation_id: 'c1',
          errors: [{ field: 'body.items[3].name', message: 'field required', type: 'value_error' }],
        });
      }
    };
    const final = await uploadRows(rows, post, (r) => reports.push(r));
    expect(sent).toEqual([BATCH, BATCH, 5]);
    expect(final).toMatchObject({ total: rows.length, done: rows.length, accepted: BATCH + 5, failure: null });
    // Row 3 of the second batch is line 1,000 + 3 + 2 of the file (the header is line 1).
    expect(final.problems).toEqual([{ row: BATCH + 5, field: 'name', message: 'field required' }]);
    expect(reports.map((r) => r.done)).toEqual([0, BATCH, BATCH * 2, rows.length]);
  });

  it('stops where it was when the server cannot take more', async () => {
    const rows = Array.from({ length: BATCH + 1 }, (_, i) => ({ customer_id: `C-${i}` }));
    let calls = 0;
    const final = await uploadRows(
      rows,
      async () => {
        calls += 1;
        if (calls === 2) {
          throw new ApiError(503, { detail: 'broker unavailable', message: 'broker unavailable', code: 'unavailable', correlation_id: null, errors: [] });
        }
      },
      () => undefined,
    );
    expect(final.failure).toBe(`Stopped at row ${BATCH + 2}: broker unavailable`);
    expect(final.accepted).toBe(BATCH);
  });
});
