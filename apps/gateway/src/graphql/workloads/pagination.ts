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

/** Where an item stands in the pages: newest first, then by id. */
export interface PositionKey {
  createdAt: string;
  id: string;
}

/** An item with its position key, as `inPageOrder` sorts them and `paginateInOrder` pages through them. */
export interface Positioned<T> {
  readonly item: T;
  readonly key: PositionKey;
}

/** Newest first, then by id: a total order, so cursors stay valid while items are added. */
const before = (a: PositionKey, b: PositionKey) =>
  b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id);

/** `items` with their keys, in page order (a new array). */
export function inPageOrder<T>(items: readonly T[], keyOf: (item: T) => PositionKey): Positioned<T>[] {
  return items.map((item) => ({ item, key: keyOf(item) })).sort((a, b) => before(a.key, b.key));
}

/** Several lists of positioned items as one, in page order (a new array). */
export function mergeInPageOrder<T>(lists: readonly (readonly Positioned<T>[])[]): Positioned<T>[] {
  return lists.flat().sort((a, b) => before(a.key, b.key));
}

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
  return paginateInOrder(inPageOrder(items, o.keyOf), o);
}

/**
 * `paginate` over items already in page order (from `inPageOrder`, or a cache of its result): the
 * page starts after the cursor, found by binary search. Cursors are encoded only when a client asks
 * for them (getters), as most pages are read without.
 */
export function paginateInOrder<T, R>(
  ordered: readonly Positioned<T>[],
  o: { map: (item: T) => R; first?: number | null; after?: string | null; maxPageSize: number },
): Page<R> {
  const first = o.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > o.maxPageSize)
    throw new GatewayError('BAD_USER_INPUT', `first: must be between 1 and ${o.maxPageSize}`, {
      field: 'first',
    });
  let start = 0;
  if (o.after) {
    const [createdAt, id] = decode(o.after);
    start = firstAfter(ordered, { createdAt, id });
  }
  const page = ordered.slice(start, start + first);
  const last = page.at(-1)?.key;
  return {
    edges: page.map(({ item, key }) => new Edge(o.map(item), key)),
    pageInfo: {
      hasNextPage: start + first < ordered.length,
      get endCursor() {
        return last && encode(last.createdAt, last.id);
      },
    },
    totalCount: ordered.length,
  };
}

/** An edge whose cursor is encoded when read (a getter on the prototype: no closure per edge). */
class Edge<R> {
  constructor(
    readonly node: R,
    private readonly key: PositionKey,
  ) {}

  get cursor(): string {
    return encode(this.key.createdAt, this.key.id);
  }
}

/** Index of the first item that comes after `cursor` in page order (`ordered.length` if none). */
function firstAfter<T>(ordered: readonly Positioned<T>[], cursor: PositionKey): number {
  let lo = 0;
  let hi = ordered.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(cursor, ordered[mid]!.key) < 0) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
