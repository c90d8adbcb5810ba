/** Sent and failed per second over the campaign's life (recharts; its own chunk). */
import { Area, AreaChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { SeriesPoint } from '../api/models';
import { formatCount } from '../lib/format';
import { runningTotals } from '../lib/series';

const time = new Intl.DateTimeFormat('en-IN', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** At most five distinct whole-second ticks between the first and the last point. */
function secondTicks(from: number, to: number): number[] {
  const step = Math.max(1000, Math.ceil((to - from) / 4 / 1000) * 1000);
  const ticks: number[] = [];
  for (let t = Math.ceil(from / 1000) * 1000; t <= to; t += step) ticks.push(t);
  return ticks;
}

export default function SeriesChart({ points, start }: { points: SeriesPoint[]; start?: string | null }) {
  // Running totals read as "how far along", which per-second buckets do not.
  const data = runningTotals(points);
  // Start from zero at launch, so the curve shows the climb rather than a floating line.
  const first = data[0]?.t;
  const launched = start ? Date.parse(start) : NaN;
  if (first != null) data.unshift({ t: Number.isFinite(launched) && launched < first ? launched : first - 1000, sent: 0, failed: 0 });
  const ticks = data.length ? secondTicks(data[0]!.t, data[data.length - 1]!.t) : [];
  return (
    <div className="chart" role="img" aria-label="Messages sent and failed so far, over time (the same numbers are in the table below the chart)">
      <ResponsiveContainer width="100%" height={220}>
        <AreaChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="var(--line)" vertical={false} />
          <XAxis
            dataKey="t"
            type="number"
            domain={['dataMin', 'dataMax']}
            tickFormatter={(t: number) => time.format(t)}
            stroke="var(--muted)"
            fontSize={12}
            ticks={ticks}
            minTickGap={24}
          />
          <YAxis width={48} tickFormatter={(v: number) => formatCount(v)} stroke="var(--muted)" fontSize={12} allowDecimals={false} />
          <Tooltip
            labelFormatter={(t) => time.format(Number(t))}
            formatter={(v, n) => [formatCount(Number(v)), n === 'sent' ? 'Sent' : 'Failed']}
          />
          <Area type="monotone" dataKey="sent" stackId="1" stroke="var(--ok)" fill="var(--ok-soft)" isAnimationActive={false} />
          <Area type="monotone" dataKey="failed" stackId="1" stroke="var(--bad)" fill="var(--bad-soft)" isAnimationActive={false} />
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}
