/** Status tags and progress bars, the same on the history rows and the campaign page. */
import type { Campaign, CampaignStats, CampaignStatus } from '../api/models';
import { isFinished, progress } from '../live/statsReducer';

/** What the campaign's counters say now, falling back to the campaign record. */
export function numbersOf(campaign: Campaign, live: CampaignStats | undefined): CampaignStats {
  if (live) return live;
  return {
    campaign_id: campaign.id,
    audience_size: campaign.audience_size,
    pending: campaign.pending,
    sent: campaign.sent,
    failed: campaign.failed,
    cancelled: campaign.cancelled ?? 0,
    updated_at: null,
  };
}

/** The status to show: live counters move it on before the campaign record catches up. */
export function displayStatus(campaign: Campaign, n: CampaignStats): CampaignStatus {
  // States a person chose (or a refusal) are the record's own; counters cannot say them.
  if (['failed', 'scheduled', 'paused', 'cancelled'].includes(campaign.status)) return campaign.status;
  if (campaign.status === 'completed' || isFinished(n)) return 'completed';
  if (n.sent + n.failed > 0) return 'sending';
  return campaign.status;
}

const STATUS_LABEL: Record<CampaignStatus, string> = {
  scheduled: 'Scheduled',
  launching: 'Launching',
  sending: 'Sending',
  paused: 'Paused',
  completed: 'Completed',
  cancelled: 'Cancelled',
  failed: 'Failed',
};

export function StatusTag({ status }: { status: CampaignStatus }) {
  return (
    <span className={`tag tag-${status}`} data-testid="campaign-status" data-status={status}>
      {STATUS_LABEL[status] ?? status}
    </span>
  );
}

export function Progress({ stats, label }: { stats: CampaignStats; label: string }) {
  const done = progress(stats);
  const share = (n: number) => (stats.audience_size ? Math.min(1, n / stats.audience_size) : 0);
  // Sent, failed and cancelled each in their own colour: a cancelled message is not a sent one.
  const failedShare = share(stats.failed);
  const cancelledShare = Math.min(share(stats.cancelled ?? 0), Math.max(0, done - failedShare));
  const sentShare = Math.max(0, done - failedShare - cancelledShare);
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(done * 100)}
    >
      <span className="progress-sent" style={{ width: `${sentShare * 100}%` }} />
      <span className="progress-failed" style={{ width: `${failedShare * 100}%` }} />
      {cancelledShare > 0 && <span className="progress-cancelled" style={{ width: `${cancelledShare * 100}%` }} />}
    </div>
  );
}

/** Messages per second while sending (receipts so far over the time they took). */
export function sendingRate(n: CampaignStats): number | null {
  if (!n.first_update_at || !n.updated_at) return null;
  const seconds = (Date.parse(n.updated_at) - Date.parse(n.first_update_at)) / 1000;
  return seconds >= 1 ? (n.sent + n.failed) / seconds : null;
}
