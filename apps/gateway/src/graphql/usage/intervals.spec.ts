import type { Site, Workload, WorkloadStatus } from '@kentaur/api';
import { amdPool, makeWorkload } from '@kentaur/testing';
import { hoursWithin, usageInterval, type IntervalContext } from './intervals';

const HOUR = 3_600_000;
const ADMITTED = '2025-03-01T10:00:00.000Z';
const ADMITTED_MS = Date.parse(ADMITTED);
const NOW_MS = ADMITTED_MS + 3 * HOUR;

const pool = {
  ...amdPool(),
  spec: { ...amdPool().spec, pricePerDeviceHourEUR: 2.5, powerWattsPerDevice: 750 },
};

const site: Site = {
  apiVersion: 'kentaur.io/v1alpha1',
  kind: 'Site',
  metadata: { name: 'dk-1' },
  spec: { country: 'DK', pue: 1.2, gridCarbonGramsPerKWh: 100, heatReuseFraction: 0.25 },
};

const defaults = { pricePerDeviceHourEUR: 1, pue: 1.5, gridCarbonGramsPerKWh: 300 };

function context(o: Partial<IntervalContext> = {}): IntervalContext {
  return {
    pools: new Map([[pool.metadata.name!, pool]]),
    sites: new Map([[site.metadata.name!, site]]),
    defaults,
    nowMs: NOW_MS,
    ...o,
  };
}

const admission = {
  site: 'dk-1',
  pool: 'dk-1-amd-mi300x',
  vendor: 'amd',
  model: 'MI300X',
  computeUnits: 10.48,
  admittedAt: ADMITTED,
};

/** 2 replicas × 4 devices, admitted at ADMITTED, with `status` merged over a Running status. */
function workload(status: Partial<WorkloadStatus> = {}): Workload {
  const w = makeWorkload('train', 'team-a').replicas(2).accelerators({ count: 4 }).obj();
  return { ...w, status: { phase: 'Running', admission, ...status } };
}

const finished = (at: string, status: 'True' | 'False' = 'True') => ({
  conditions: [{ type: 'Finished', status, reason: 'Succeeded', message: '', lastTransitionTime: at }],
});

describe('usageInterval', () => {
  it.each([
    { name: 'no status', w: { ...workload(), status: undefined } },
    { name: 'queued, no admission', w: workload({ phase: 'Queued', admission: undefined }) },
    { name: 'an unreadable admittedAt', w: workload({ admission: { ...admission, admittedAt: 'soon' } }) },
  ])('is undefined with $name', ({ w }) => {
    expect(usageInterval(w, context())).toBeUndefined();
  });

  it.each([
    { name: 'running: until now', status: {}, endMs: NOW_MS },
    {
      name: 'finished: until the Finished condition',
      status: { phase: 'Succeeded' as const, ...finished('2025-03-01T11:30:00Z') },
      endMs: ADMITTED_MS + 1.5 * HOUR,
    },
    {
      name: 'a Finished condition that is not True: until now',
      status: finished('2025-03-01T11:30:00Z', 'False'),
      endMs: NOW_MS,
    },
    {
      name: 'an unreadable Finished time: until now',
      status: finished('yesterday'),
      endMs: NOW_MS,
    },
    {
      name: 'finished before the current admission: an empty interval',
      status: finished('2025-03-01T09:00:00Z'),
      endMs: ADMITTED_MS,
    },
  ])('ends $name', ({ status, endMs }) => {
    const i = usageInterval(workload(status), context());
    expect(i?.startMs).toBe(ADMITTED_MS);
    expect(i?.endMs).toBe(endMs);
  });

  it('describes the admission and prices it with its pool and site', () => {
    // 8 devices: 8 × 2.5 €/h = 20 €/h; 8 × 750 W × 0.8 × PUE 1.2 ÷ 1000 = 5.76 kWh/h;
    // 5.76 kWh × 100 g/kWh ÷ 1000 = 0.576 kg/h.
    const i = usageInterval(workload({ portable: true }), context());
    expect(i).toEqual({
      namespace: 'team-a',
      workload: 'train',
      priorityClass: 'standard',
      site: 'dk-1',
      vendor: 'amd',
      model: 'MI300X',
      pool: 'dk-1-amd-mi300x',
      devices: 8,
      computeUnits: 10.48,
      portable: true,
      startMs: ADMITTED_MS,
      endMs: NOW_MS,
      eurPerHour: 20,
      kWhPerHour: expect.closeTo(5.76, 9),
      co2eKgPerHour: expect.closeTo(0.576, 9),
      pue: 1.2,
      heatReuseFraction: 0.25,
    });
  });

  it.each([
    {
      name: 'unknown pool and site: the defaults, no power figure',
      ctx: { pools: new Map(), sites: new Map() },
      rates: { eurPerHour: 8, kWhPerHour: 0, co2eKgPerHour: 0, pue: 1.5, heatReuseFraction: 0 },
    },
    {
      // 8 × 750 × 0.8 × 1.5 ÷ 1000 = 7.2 kWh/h; × 300 g ÷ 1000 = 2.16 kg/h.
      name: 'unknown site: the default PUE and grid carbon',
      ctx: { sites: new Map() },
      rates: { eurPerHour: 20, kWhPerHour: 7.2, co2eKgPerHour: 2.16, pue: 1.5, heatReuseFraction: 0 },
    },
    {
      // 8 × 1 € = 8 €/h; power 0 → no energy; PUE still from the site.
      name: 'unknown pool: the default price',
      ctx: { pools: new Map() },
      rates: { eurPerHour: 8, kWhPerHour: 0, co2eKgPerHour: 0, pue: 1.2, heatReuseFraction: 0.25 },
    },
  ])('$name', ({ ctx, rates }) => {
    const i = usageInterval(workload(), context(ctx));
    expect(i?.eurPerHour).toBeCloseTo(rates.eurPerHour, 9);
    expect(i?.kWhPerHour).toBeCloseTo(rates.kWhPerHour, 9);
    expect(i?.co2eKgPerHour).toBeCloseTo(rates.co2eKgPerHour, 9);
    expect(i?.pue).toBe(rates.pue);
    expect(i?.heatReuseFraction).toBe(rates.heatReuseFraction);
  });

  it('takes the priority class from the spec', () => {
    const w = workload();
    w.spec.priorityClass = 'preemptible';
    expect(usageInterval(w, context())?.priorityClass).toBe('preemptible');
  });
});

describe('hoursWithin', () => {
  const i = { startMs: 10 * HOUR, endMs: 14 * HOUR };
  it.each([
    { name: 'the window holds the interval', from: 0, to: 24 * HOUR, hours: 4 },
    { name: 'the interval holds the window', from: 11 * HOUR, to: 12 * HOUR, hours: 1 },
    { name: 'the window cuts the start', from: 12 * HOUR, to: 24 * HOUR, hours: 2 },
    { name: 'the window cuts the end', from: 0, to: 11.5 * HOUR, hours: 1.5 },
    { name: 'the window ends at the start', from: 0, to: 10 * HOUR, hours: 0 },
    { name: 'the window starts at the end', from: 14 * HOUR, to: 20 * HOUR, hours: 0 },
    { name: 'the window is before', from: 0, to: 5 * HOUR, hours: 0 },
    { name: 'the window is after', from: 15 * HOUR, to: 20 * HOUR, hours: 0 },
    { name: 'an empty window', from: 12 * HOUR, to: 12 * HOUR, hours: 0 },
  ])('$name: $hours h', ({ from, to, hours }) => {
    expect(hoursWithin(i, from, to)).toBe(hours);
  });
});
