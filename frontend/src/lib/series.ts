/** Receipts per second as running totals: what the chart draws and the table behind it lists. */
import type { SeriesPoint } from '../api/models';

export interface Running {
  t: number; // epoch ms
  sent: number;
  failed: number;
}

export function runningTotals(points: SeriesPoint[]): Running[] {
  let sent = 0;
  let failed = 0;
  return points.map((p) => {
    sent += p.sent;
    failed += p.failed;
    return { t: Date.parse(p.at), sent, failed };
  });
}
