/** Internals for sibling libs and tests. */
export {};
