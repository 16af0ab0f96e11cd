import { GatewayError } from '../../errors';

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor?: string };
  totalCount: number;
}

const DEFAULT_PAGE_SIZE = 20;

/** Cursor of an item: its position key, opaque to clients. */
const encode = (createdAt: string, id: string) =>
  Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');

function decode(cursor: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'string'))
      return v as [string, string];
  } catch {
    // fall through: reported below
  }
  throw new GatewayError('BAD_USER_INPUT', 'after: not a cursor this API returned; pass pageInfo.endCursor', {
    field: 'after',
  });
}

interface PositionKey {
  createdAt: string;
  id: string;
}

/** Newest first, then by id: a total order, so cursors stay valid while items are added. */
const before = (a: PositionKey, b: PositionKey) =>
  b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id);

/**
 * Cursor pagination (Relay connections) over an in-memory list; `keyOf` gives each item's position,
 * `map` turns only the items of the page into what is returned.
 */
export function paginate<T, R>(
  items: readonly T[],
  o: {
    keyOf: (item: T) => PositionKey;
    map: (item: T) => R;
    first?: number | null;
    after?: string | null;
    maxPageSize: number;
  },
): Page<R> {
  const first = o.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > o.maxPageSize)
    throw new GatewayError('BAD_USER_INPUT', `first: must be between 1 and ${o.maxPageSize}`, {
      field: 'first',
    });
  const keyed = items.map((item) => ({ item, key: o.keyOf(item) }));
  keyed.sort((a, b) => before(a.key, b.key));
  let start = 0;
  if (o.after) {
    const [createdAt, id] = decode(o.after);
    const idx = keyed.findIndex((x) => before({ createdAt, id }, x.key) < 0);
    start = idx === -1 ? keyed.length : idx;
  }
  const page = keyed.slice(start, start + first);
  const edges = page.map(({ item, key }) => ({ cursor: encode(key.createdAt, key.id), node: o.map(item) }));
  return {
    edges,
    pageInfo: { hasNextPage: start + first < keyed.length, endCursor: edges.at(-1)?.cursor },
    totalCount: keyed.length,
  };
}
