/**
 * Imports (ingest's /api/v1/imports): the upload (dry run, then the import), one import
 * polled until it settles, the history, undo.
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type InfiniteData } from '@tanstack/react-query';
import { isSettled, UPLOAD_PATH, uploadQuery, type UploadRequest } from '../lib/imports';
import { ingest, postFile, unwrap } from './client';
import type { Import, Page, UploadResult } from './models';

/** How often an import that is still being applied (or undone) is asked again. */
export const POLL_MS = 1_000;
const HISTORY_PAGE = 20;

export function upload(file: Blob, request: UploadRequest, dryRun: boolean, signal?: AbortSignal) {
  return postFile<UploadResult>(UPLOAD_PATH, file, uploadQuery(request, dryRun), signal ? { signal } : {});
}

/** Put a fresher copy of an import into the history's pages, so the list moves with it. */
function intoHistory(queryClient: ReturnType<typeof useQueryClient>, job: Import) {
  queryClient.setQueryData<InfiniteData<Page<Import>>>(['imports', 'list'], (data) =>
    data
      ? {
          ...data,
          pages: data.pages.map((page) => ({
            ...page,
            items: page.items.map((item) => (item.import_id === job.import_id ? job : item)),
          })),
        }
      : data,
  );
}

/** One import, asked again every second until it is done or undone. */
export function useImportJob(id: string | null | undefined, initial?: Import | null) {
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: ['imports', 'one', id],
    enabled: id != null,
    ...(initial && id != null ? { initialData: initial, initialDataUpdatedAt: 0 } : {}),
    queryFn: async ({ signal }) => {
      const job = await unwrap(
        ingest.GET('/api/v1/imports/{import_id}', { params: { path: { import_id: id ?? '' } }, signal }),
      );
      intoHistory(queryClient, job);
      return job;
    },
    refetchInterval: (query) => {
      const job = query.state.data;
      return job && isSettled(job.status) ? false : POLL_MS;
    },
    refetchIntervalInBackground: true,
  });
}

/** The history, newest first; asked again every few seconds while one is still moving. */
export function useImportHistory() {
  return useInfiniteQuery({
    queryKey: ['imports', 'list'],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        ingest.GET('/api/v1/imports', {
          params: { query: { limit: HISTORY_PAGE, ...(pageParam ? { cursor: pageParam } : {}) } },
          signal,
        }),
      ),
    getNextPageParam: (last) => last.next_cursor,
    refetchInterval: (query) => {
      const moving = query.state.data?.pages.some((p) => p.items.some((i) => !isSettled(i.status)));
      return moving ? 3_000 : 30_000;
    },
  });
}

/** Ask for an import to be undone (202: it is `undoing`); the caller then polls it. */
export function useUndoImport() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(ingest.POST('/api/v1/imports/{import_id}/undo', { params: { path: { import_id: id } } })),
    onSuccess: (job) => {
      queryClient.setQueryData(['imports', 'one', job.import_id], job);
      intoHistory(queryClient, job);
    },
  });
}
