import { UnknownSearchSpaceError } from '../errors';
import { fbnetSpace } from './fbnet';
import { nb201Space } from './nb201';
import type { SearchSpace, SpaceId } from './space';

/** The built-in search spaces by id. */
export const SPACES: Readonly<Record<SpaceId, SearchSpace>> = { nb201: nb201Space, fbnet: fbnetSpace };

/** The space with id `id`; throws {@link UnknownSearchSpaceError} naming the known ones. */
export function getSpace(id: string): SearchSpace {
  const space = (SPACES as Record<string, SearchSpace>)[id];
  if (!space) throw new UnknownSearchSpaceError(id, Object.keys(SPACES));
  return space;
}
