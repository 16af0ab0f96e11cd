import fc from 'fast-check';
import { GatewayError } from '../../errors';
import { paginate, type Page } from './pagination';

interface Item {
  id: string;
  createdAt: string;
}

const MAX = 100;

/** `n` items, one second apart: item-0 is the oldest, item-(n-1) the newest. */
function items(n: number): Item[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `item-${String(i).padStart(3, '0')}`,
    createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(),
  }));
}

function page(list: readonly Item[], o: { first?: number | null; after?: string | null } = {}): Page<string> {
  return paginate(list, { keyOf: (i) => i, map: (i) => i.id, maxPageSize: MAX, ...o });
}

/** Every page from the start, following endCursor, in order. */
function walk(list: readonly Item[], first: number): string[] {
  const seen: string[] = [];
  let after: string | undefined;
  for (let guard = 0; guard <= list.length + 1; guard++) {
    const p = page(list, { first, after });
    seen.push(...p.edges.map((e) => e.node));
    if (!p.pageInfo.hasNextPage) return seen;
    after = p.pageInfo.endCursor;
  }
  throw new Error('pagination did not end');
}

/** Newest first; equal timestamps by id. */
const expectedOrder = (list: readonly Item[]) =>
  [...list]
    .sort((a, b) =>
      a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? 1 : -1,
    )
    .map((i) => i.id);

function thrown(f: () => unknown): GatewayError {
  try {
    f();
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  throw new Error('expected a GatewayError');
}

describe('paginate', () => {
  it.each([
    { name: 'default page size is 20', count: 45, first: undefined, size: 20, hasNextPage: true },
    { name: 'null first means the default', count: 45, first: null, size: 20, hasNextPage: true },
    { name: 'a page of one', count: 3, first: 1, size: 1, hasNextPage: true },
    { name: 'exactly the remaining items', count: 5, first: 5, size: 5, hasNextPage: false },
    { name: 'more asked than there are', count: 5, first: 10, size: 5, hasNextPage: false },
    { name: 'the largest page', count: 150, first: MAX, size: MAX, hasNextPage: true },
    { name: 'an empty list', count: 0, first: 10, size: 0, hasNextPage: false },
  ])('$name', ({ count, first, size, hasNextPage }) => {
    const p = page(items(count), { first });
    expect(p.edges).toHaveLength(size);
    expect(p.pageInfo.hasNextPage).toBe(hasNextPage);
    expect(p.totalCount).toBe(count);
    expect(p.pageInfo.endCursor).toBe(p.edges.at(-1)?.cursor);
  });

  it.each([
    { name: 'zero', first: 0 },
    { name: 'negative', first: -1 },
    { name: 'above maxPageSize', first: MAX + 1 },
    { name: 'not an integer', first: 1.5 },
    { name: 'NaN', first: Number.NaN },
  ])('refuses first $name with BAD_USER_INPUT on field first', ({ first }) => {
    const e = thrown(() => page(items(3), { first }));
    expect(e.code).toBe('BAD_USER_INPUT');
    expect(e.extensions['field']).toBe('first');
  });

  it.each([
    { name: 'not base64 JSON', after: 'not-a-cursor' },
    { name: 'JSON but not a pair', after: Buffer.from('["only-one"]').toString('base64url') },
    { name: 'a pair of numbers', after: Buffer.from('[1,2]').toString('base64url') },
    { name: 'an object', after: Buffer.from('{"createdAt":"x","id":"y"}').toString('base64url') },
    { name: 'a triple of strings', after: Buffer.from('["a","b","c"]').toString('base64url') },
  ])('refuses an after that is $name with BAD_USER_INPUT on field after', ({ after }) => {
    const e = thrown(() => page(items(3), { after }));
    expect(e.code).toBe('BAD_USER_INPUT');
    expect(e.extensions['field']).toBe('after');
  });

  it('orders newest first, equal timestamps by id', () => {
    const t = '2025-01-01T00:00:00Z';
    const list: Item[] = [
      { id: 'b', createdAt: t },
      { id: 'old', createdAt: '2024-12-31T23:59:59Z' },
      { id: 'new', createdAt: '2025-01-01T00:00:01Z' },
      { id: 'a', createdAt: t },
    ];
    expect(page(list).edges.map((e) => e.node)).toEqual(['new', 'a', 'b', 'old']);
  });

  it('continues after the cursor of the previous page', () => {
    const list = items(5);
    const first = page(list, { first: 2 });
    const second = page(list, { first: 2, after: first.pageInfo.endCursor });
    expect(first.edges.map((e) => e.node)).toEqual(['item-004', 'item-003']);
    expect(second.edges.map((e) => e.node)).toEqual(['item-002', 'item-001']);
    expect(second.pageInfo.hasNextPage).toBe(true);
  });

  it('round-trips every cursor: after an edge comes the edge that followed it', () => {
    const list = items(7);
    const all = page(list, { first: MAX }).edges;
    all.forEach((edge, i) => {
      const next = page(list, { first: 1, after: edge.cursor });
      expect(next.edges.map((e) => e.node)).toEqual(all.slice(i + 1, i + 2).map((e) => e.node));
    });
  });

  it('a null after starts from the beginning', () => {
    expect(page(items(3), { after: null }).edges[0]?.node).toBe('item-002');
  });

  it('a cursor past the oldest item gives an empty last page', () => {
    const list = items(3);
    const last = page(list, { first: 3 }).pageInfo.endCursor;
    const p = page(list, { after: last });
    expect(p.edges).toEqual([]);
    expect(p.pageInfo).toEqual({ hasNextPage: false, endCursor: undefined });
  });

  it('items added between pages neither repeat nor push older items out', () => {
    const list = items(6);
    const first = page(list, { first: 3 });
    const newer: Item[] = [
      { id: 'newest', createdAt: '2026-01-01T00:00:00.000Z' },
      { id: 'item-004a', createdAt: list[4]!.createdAt },
    ];
    const second = page([...newer, ...list], { first: 3, after: first.pageInfo.endCursor });
    expect(first.edges.map((e) => e.node)).toEqual(['item-005', 'item-004', 'item-003']);
    expect(second.edges.map((e) => e.node)).toEqual(['item-002', 'item-001', 'item-000']);
  });

  it('maps only the items of the page', () => {
    const list = items(10);
    const map = jest.fn((i: Item) => i.id);
    paginate(list, { keyOf: (i) => i, map, first: 3, maxPageSize: MAX });
    expect(map.mock.calls.map(([i]) => i.id)).toEqual(['item-009', 'item-008', 'item-007']);
  });

  it('keyOf may derive the key from any shape', () => {
    const list = items(2).map((i) => ({ name: i.id, created: i.createdAt }));
    const p = paginate(list, {
      keyOf: (x) => ({ createdAt: x.created, id: x.name }),
      map: (x) => x.name.toUpperCase(),
      maxPageSize: MAX,
    });
    expect(p.edges.map((e) => e.node)).toEqual(['ITEM-001', 'ITEM-000']);
  });

  // Few distinct timestamps, so equal createdAt is common; ids are unique as namespace/name are.
  const itemLists = fc
    .uniqueArray(fc.stringMatching(/^[a-z0-9]{1,6}$/), { maxLength: 60 })
    .chain((ids) =>
      fc.tuple(
        fc.constant(ids),
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: ids.length, maxLength: ids.length }),
      ),
    )
    .map(([ids, seconds]) =>
      ids.map((id, i) => ({ id, createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, seconds[i])).toISOString() })),
    );

  it('walking all pages visits every item exactly once, newest first', () => {
    fc.assert(
      fc.property(itemLists, fc.integer({ min: 1, max: 25 }), (list, first) => {
        expect(walk(list, first)).toEqual(expectedOrder(list));
      }),
    );
  });

  it('items added between pages never repeat an item already seen nor skip an older one', () => {
    fc.assert(
      fc.property(itemLists, itemLists, fc.integer({ min: 1, max: 10 }), (before, added, first) => {
        const beforeIds = new Set(before.map((i) => i.id));
        const extra = added.filter((i) => !beforeIds.has(i.id));
        const p1 = page(before, { first });
        const seen = p1.edges.map((e) => e.node);
        const rest = walkFrom([...extra, ...before], first, p1.pageInfo.endCursor);
        const all = [...seen, ...rest];
        expect(new Set(all).size).toBe(all.length);
        for (const id of beforeIds) expect(all).toContain(id);
      }),
    );
  });
});

function walkFrom(list: readonly Item[], first: number, after: string | undefined): string[] {
  if (after === undefined) return [];
  const out: string[] = [];
  for (let cursor: string | undefined = after; cursor !== undefined;) {
    const p = page(list, { first, after: cursor });
    out.push(...p.edges.map((e) => e.node));
    cursor = p.pageInfo.hasNextPage ? p.pageInfo.endCursor : undefined;
  }
  return out;
}
