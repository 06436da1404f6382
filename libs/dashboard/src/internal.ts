/** Internals for sibling libs and tests. */
export { TOKEN_COOKIE } from './auth';
export { quantile, niceStep, formatTick } from './charts/scale';
