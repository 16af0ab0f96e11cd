import { NodeLevels } from './node-levels';
import { fragmentationWaste, pickNodes } from './scoring';

describe('NodeLevels', () => {
  const levels = () => new NodeLevels({ initial: [8, 3, 0, 8, 5], maxLevel: 8 });

  const counts: [string, number, number][] = [
    ['every node for k = 0', 0, 5],
    ['nodes with at least 1', 1, 4],
    ['nodes with at least 4', 4, 3],
    ['nodes with at least 8', 8, 2],
    ['nothing above the largest capacity', 9, 0],
  ];
  it.each(counts)('counts %s', (_name, k, expected) => expect(levels().countAtLeast(k)).toBe(expected));

  it('keeps counts current when levels change', () => {
    const l = levels();
    l.add(0, -8);
    l.set(2, 6);
    l.add(4, 10); // clamped to maxLevel
    expect([0, 1, 2, 3, 4].map((n) => l.level(n))).toEqual([0, 3, 6, 8, 8]);
    expect([1, 4, 6, 8].map((k) => l.countAtLeast(k))).toEqual([4, 3, 3, 2]);
    expect(l.countExactly(8)).toBe(2);
    expect(l.highest()).toBe(8);
    expect([...l.nodesAt(0)]).toEqual([0]);
  });

  it('reports the highest level, 0 for an empty pool', () => {
    expect(new NodeLevels({ initial: [2, 5, 1], maxLevel: 8 }).highest()).toBe(5);
    expect(new NodeLevels({ initial: [], maxLevel: 0 }).highest()).toBe(0);
  });
});

describe('best fit', () => {
  const free = () => new NodeLevels({ initial: [8, 3, 4, 8, 5], maxLevel: 8 });
  const cases: [string, [replicas: number, devices: number], number[], number][] = [
    ['a 4-device replica takes the node with exactly 4 free', [1, 4], [2], 0],
    ['a 3-device replica takes the node with 3 free', [1, 3], [1], 0],
    ['two 4-device replicas: 4 then 5 free', [2, 4], [2, 4], 1],
    ['two 8-device replicas take both full nodes', [2, 8], [0, 3], 0],
    ['a 2-device replica leaves 1 device on the 3-free node', [1, 2], [1], 1],
  ];
  it.each(cases)('%s', (_name, [replicas, d], nodes, waste) => {
    expect(pickNodes(free(), replicas, d).sort()).toEqual(nodes);
    expect(fragmentationWaste(free(), replicas, d)).toBe(waste);
  });
});
