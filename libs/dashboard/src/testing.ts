/** Test helpers of @hwnas/dashboard (for `*.spec.ts`, tests and scripts only). */
export { startSlowSearch } from './testing/slow-search';
export type { SlowSearch, SlowSearchOptions } from './testing/slow-search';
export { CHROMIUM_ARGS, CHROMIUM_PATH, chromiumAvailable, launchChromium } from './testing/chromium';
export type { Chromium } from './testing/chromium';
