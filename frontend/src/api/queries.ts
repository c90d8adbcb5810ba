/** Server state the pages share: query keys and fetchers in one place. */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { ApiError, campaigns, segments, unwrap } from './client';
import type { RuleGroupJson } from './models';

export function useFields() {
  return useQuery({
    queryKey: ['segment-fields'],
    queryFn: ({ signal }) => unwrap(segments.GET('/api/v1/segments/fields', { signal })),
    staleTime: Infinity,
  });
}

export function useSegments() {
  return useQuery({
    queryKey: ['segments'],
    queryFn: ({ signal }) =>
      unwrap(segments.GET('/api/v1/segments', { params: { query: { limit: 200 } }, signal })),
  });
}

export function useSegment(id: string | undefined) {
  return useQuery({
    queryKey: ['segments', id],
    enabled: id != null,
    queryFn: ({ signal }) =>
      unwrap(segments.GET('/api/v1/segments/{sid}', { params: { path: { sid: id ?? '' } }, signal })),
  });
}

export function useCampaign(id: string | undefined) {
  return useQuery({
    queryKey: ['campaigns', 'one', id],
    enabled: id != null,
    queryFn: ({ signal }) =>
      unwrap(
        campaigns.GET('/api/v1/campaigns/{campaign_id}', { params: { path: { campaign_id: id ?? '' } }, signal }),
      ),
  });
}

/** `value`, once it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** True once `busy` has lasted `ms` (the size shows "—" rather than a stale number). */
export function useSlow(busy: boolean, ms: number): boolean {
  const [slow, setSlow] = useState(false);
  useEffect(() => {
    if (!busy) {
      setSlow(false);
      return;
    }
    const timer = setTimeout(() => setSlow(true), ms);
    return () => clearTimeout(timer);
  }, [busy, ms]);
  return slow;
}

const DEBOUNCE_MS = 80;

/**
 * The audience size for `rules`, following edits: debounced, and the previous request
 * aborted when the rules change (TanStack Query aborts a superseded fetch's signal).
 */
export function useAudiencePreview(rules: RuleGroupJson | null) {
  const key = rules ? JSON.stringify(rules) : null;
  const settledKey = useDebounced(key, DEBOUNCE_MS);
  const query = useQuery({
    queryKey: ['preview', settledKey],
    enabled: settledKey != null,
    placeholderData: keepPreviousData,
    staleTime: 5_000,
    retry: false,
    queryFn: ({ signal }) =>
      unwrap(
        segments.POST('/api/v1/segments/preview', {
          body: { rules: JSON.parse(settledKey ?? '{}') as RuleGroupJson },
          signal,
        }),
      ),
  });
  const waiting = key !== settledKey || query.isFetching || query.isPlaceholderData;
  const slow = useSlow(waiting && key != null, 300);
  const problems = query.error instanceof ApiError && query.error.status === 422 ? query.error.problems : [];
  return { ...query, current: key != null && !waiting, slow, problems, settledKey };
}
