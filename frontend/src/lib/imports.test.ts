import { describe, expect, it } from 'vitest';
import { formatDateTimeIn, formatInrExact } from './format';
import { badReportName, groupByField, queryProblem, uploadQuery, DEFAULT_OPTIONS } from './imports';
import { keptOf } from './orders';

describe('import helpers', () => {
  it('names the refused rows as beacon import does', () => {
    expect(badReportName('orders_export_1.csv')).toBe('orders_export_1.bad.csv');
    expect(badReportName('orders.csv.gz')).toBe('orders.bad.csv');
    expect(badReportName('orders.jsonl')).toBe('orders.bad.jsonl');
    expect(badReportName('export')).toBe('export.bad.csv');
    expect(badReportName(null)).toBe('import.bad.csv');
  });

  it('asks the upload with the same query for the dry run and the import, options only when given', () => {
    const request = { kind: 'orders' as const, source: 'generic' as const, fileName: 'a b.csv', options: DEFAULT_OPTIONS };
    expect(uploadQuery(request, true).toString()).toBe('kind=orders&source=generic&dry_run=true&file_name=a+b.csv');
    const withOptions = uploadQuery(
      { ...request, options: { dateFormat: ' %d/%m/%Y ', timezone: 'Europe/London', decimalComma: true, map: { amount: 'Total (₹)', order_id: 'Ref' } } },
      false,
    );
    expect(withOptions.get('dry_run')).toBe('false');
    expect(withOptions.get('date_format')).toBe('%d/%m/%Y');
    expect(withOptions.get('timezone')).toBe('Europe/London');
    expect(withOptions.get('decimal_comma')).toBe('true');
    expect(withOptions.getAll('map')).toEqual(['amount=Total (₹)', 'order_id=Ref']);
  });

  it('groups problems by field, biggest first, keeping the first lines', () => {
    const notes = [
      { line: 3, field: 'ordered_at', reason: 'a' },
      { line: 4, field: 'amount', reason: 'b' },
      { line: 9, field: 'ordered_at', reason: 'c' },
    ];
    expect(groupByField(notes, { ordered_at: 7, amount: 1 }, 1)).toEqual([
      { field: 'ordered_at', count: 7, first: [{ line: 3, field: 'ordered_at', reason: 'a' }] },
      { field: 'amount', count: 1, first: [{ line: 4, field: 'amount', reason: 'b' }] },
    ]);
  });

  it('finds the 422 problem of one query parameter', () => {
    const problems = [{ field: 'query.map', message: 'no column for order_id' }];
    expect(queryProblem(problems, 'map')).toBe('no column for order_id');
    expect(queryProblem(problems, 'date_format')).toBeNull();
  });
});

describe('money and time as the shop reads them', () => {
  it('shows paise only when there are some, with Indian grouping', () => {
    expect(formatInrExact('149999.50')).toBe('₹1,49,999.50');
    expect(formatInrExact('378.00')).toBe('₹378');
    expect(formatInrExact(123456789012)).toBe('₹1,23,45,67,89,012');
    expect(formatInrExact(null)).toBe('—');
  });

  it("shows a time on the shop's clock", () => {
    expect(formatDateTimeIn('2024-02-21T02:25:00Z', 'Asia/Kolkata')).toBe('21 Feb 2024, 7:55 am IST');
    expect(formatDateTimeIn('not a date', 'Asia/Kolkata')).toBe('—');
  });

  it('counts money kept: paid orders net of refunds, nothing for the others', () => {
    expect(keptOf({ amount: '1234.56', status: 'partially_refunded', refunded_amount: '34.56' })).toBe(1200);
    expect(keptOf({ amount: '500', status: 'refunded', refunded_amount: '500' })).toBe(0);
    expect(keptOf({ amount: '500', status: 'pending' })).toBe(0);
    expect(keptOf({ amount: '500' })).toBe(500);
  });
});
