/**
 * The new-campaign draft, kept in this browser while it is edited: a sign-in that expires
 * mid-draft (a 401 sends the person to sign-in and back) or a reload does not lose the
 * name, message, audience and time. Kept per URL (the same ?segment= or ?from=), cleared
 * once launched or discarded.
 */
import type { RuleGroupType } from 'react-querybuilder';

export interface CampaignDraft {
  search: string;
  name: string;
  message: string;
  mode: 'segment' | 'rules';
  segmentId: string;
  query: RuleGroupType;
  when: 'now' | 'later';
  scheduleAt: string;
  channel?: 'sms' | 'email'; // absent in drafts kept before channels: sms
  subject?: string;
  savedAt: number;
}

const KEY = 'beacon.draft.new-campaign';
const MAX_AGE_MS = 7 * 24 * 3600_000;

export function loadDraft(search: string, now: number = Date.now()): CampaignDraft | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const draft = JSON.parse(raw) as CampaignDraft;
    if (draft.search !== search || now - draft.savedAt > MAX_AGE_MS) return null;
    return draft;
  } catch {
    return null;
  }
}

export function saveDraft(draft: Omit<CampaignDraft, 'savedAt'>, now: number = Date.now()): void {
  try {
    localStorage.setItem(KEY, JSON.stringify({ ...draft, savedAt: now }));
  } catch {
    // storage full or disabled: the draft lives in the page only
  }
}

export function clearDraft(): void {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // nothing kept
  }
}
