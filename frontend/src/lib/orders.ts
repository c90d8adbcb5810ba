/** The money rules the dashboard shows (ARCHITECTURE.md: "total_spend is money kept"). */
import type { Order } from '../api/models';

/** Statuses whose money is kept (net of refunds); the others count nothing. */
const KEEPS_MONEY = new Set(['paid', 'partially_refunded', 'refunded']);

/** What an order adds to the customer's spend: paid money net of refunds; 0 otherwise. */
export function keptOf(order: Pick<Order, 'amount'> & Partial<Pick<Order, 'status' | 'refunded_amount'>>): number {
  const status = order.status ?? 'paid';
  if (!KEEPS_MONEY.has(status)) return 0;
  const amount = Number(order.amount);
  const refunded = Number(order.refunded_amount ?? 0);
  if (!Number.isFinite(amount)) return 0;
  // In paise, so 1234.56 − 34.56 is exactly 1200.
  return Math.max(0, Math.round(amount * 100) - Math.round((Number.isFinite(refunded) ? refunded : 0) * 100)) / 100;
}
