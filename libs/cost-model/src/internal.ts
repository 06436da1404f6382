/**
 * Entry point for sibling libs and tests: internals that are not part of the public surface.
 * (Nothing yet beyond the public surface; add explicit exports here.)
 */
export {};
