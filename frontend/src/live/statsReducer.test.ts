import { describe, expect, it } from 'vitest';
import type { CampaignStats } from '../api/models';
import { initialLive, isFinished, liveReducer, progress } from './statsReducer';

const at = (sec: number) => new Date(Date.UTC(2026, 10, 27, 10, 0, sec)).toISOString();
const s = (over: Partial<CampaignStats>): CampaignStats => ({
  campaign_id: 'c1',
  audience_size: 100,
  pending: 100,
  sent: 0,
  failed: 0,
  updated_at: at(0),
  ...over,
});

describe('live counters reducer', () => {
  it('keeps the newest counters per campaign, whatever order they arrive in', () => {
    let state = liveReducer(initialLive, { type: 'stats', items: [s({ sent: 10, revision: 2, updated_at: at(2) })] });
    state = liveReducer(state, { type: 'stats', items: [s({ sent: 5, revision: 1, updated_at: at(1) })] });
    expect(state.stats.c1?.sent).toBe(10);
    state = liveReducer(state, { type: 'stats', items: [s({ sent: 60, failed: 5, revision: 3, updated_at: at(3) })] });
    expect(state.stats.c1).toMatchObject({ sent: 60, failed: 5 });
  });

  it('orders by updated_at without revisions, and by totals within the same instant', () => {
    let state = liveReducer(initialLive, { type: 'stats', items: [s({ sent: 10, updated_at: at(5) })] });
    state = liveReducer(state, { type: 'stats', items: [s({ sent: 9, updated_at: at(4) })] });
    expect(state.stats.c1?.sent).toBe(10);
    state = liveReducer(state, { type: 'stats', items: [s({ sent: 11, updated_at: at(5) })] });
    expect(state.stats.c1?.sent).toBe(11);
  });

  it('keeps campaigns apart and returns the same state when nothing changes', () => {
    const one = liveReducer(initialLive, {
      type: 'stats',
      items: [s({ sent: 1, revision: 1 }), s({ campaign_id: 'c2', sent: 7, revision: 1 })],
    });
    expect(Object.keys(one.stats).sort()).toEqual(['c1', 'c2']);
    expect(liveReducer(one, { type: 'stats', items: [s({ sent: 0, revision: 0 })] })).toBe(one);
    expect(liveReducer(one, { type: 'connection', connection: 'connecting' })).toBe(one);
    expect(liveReducer(one, { type: 'connection', connection: 'offline' }).connection).toBe('offline');
  });

  it('knows progress and when delivery is over', () => {
    expect(progress(s({ sent: 30, failed: 20 }))).toBe(0.5);
    expect(isFinished(s({ sent: 90, failed: 10 }))).toBe(true);
    expect(isFinished(s({ audience_size: null, sent: 0 }))).toBe(false);
  });
});
