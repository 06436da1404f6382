import type { DevicesView, SearchDetail, SearchSummary } from './model';

/**
 * What the dashboard server reads: searches, one search with its trials, the devices and
 * queues, and change notifications. Implementations: {@link CoordinatorDashboardSource} (over a
 * `Coordinator`, in the coordinator process or an embedded search). Returned objects are frozen
 * snapshots owned by the caller.
 */
export interface DashboardSource {
  /** Every search, most recent first. */
  listSearches(): Promise<readonly SearchSummary[]>;
  /**
   * One search with its trials in tell order from index `trialsFrom` (default 0). Throws a
   * `not_found` NasError for an unknown id.
   */
  getSearch(searchId: string, trialsFrom?: number): Promise<SearchDetail>;
  /** Devices (agents or in-process backends) and queues. */
  devices(): Promise<DevicesView>;
  /**
   * Calls `listener(searchId)` after a search changed (a trial landed, its state changed, or it
   * was submitted). Calls may be coalesced; listeners must not throw. Returns the unsubscribe.
   */
  subscribe(listener: (searchId: string) => void): () => void;
}
