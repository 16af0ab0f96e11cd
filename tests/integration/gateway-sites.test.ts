// The gateway's per-site figures over real HTTP, against the sandbox's API server: `capacity.sites`
// from Site and AcceleratorPool objects (written here, no controller runs), with an unreachable
// site offering no free devices; and `transparency.sites` from a real (embedded) usage ledger,
// where the sites' figures add up to the report's totals.
import { randomBytes } from 'node:crypto';
import type { AcceleratorPool, Site } from '@kentaur/api';
import { AcceleratorPools, type KubeClient, Sites, waitFor } from '@kentaur/k8s-runtime';
import { type Accounting, type Ledger, openLedger } from '@kentaur/ledger';
import { createTestNamespace, deleteTestNamespace, testClient } from '../support/cluster';
import { installCrds } from '../support/crds';
import { gql, startTestGateway, type TestGateway } from '../support/gateway';
import type { SiteCapacity } from '../../apps/gateway/src/graphql/capacity/capacity';

const HOUR = 3_600_000;
/** 2025-03-01T00:00:00Z: the day the ledger's usage lies in. */
const DAY = Date.UTC(2025, 2, 1);

interface CapacityAnswer {
  capacity: { entries: { site: string; free: number }[]; sites: SiteCapacity[] };
}

const CAPACITY = `{ capacity {
  entries { site free }
  sites { name country reachable pue gridCarbonGramsPerKWh pricePerKWhEUR pools total allocated free }
} }`;

interface Figures {
  energyKWh: number;
  measuredEnergyShare: number;
  co2eKg: number;
  facilityOverheadKWh: number;
  heatReusedKWh: number;
  deviceHours: number;
}

interface SiteFigures extends Figures {
  site: string;
  country: string | null;
  pue: number | null;
  devices: number;
  utilisation: number;
}

const FIGURES = 'energyKWh measuredEnergyShare co2eKg facilityOverheadKWh heatReusedKWh deviceHours';
const TRANSPARENCY = `query($at: String) { transparency(period: DAY, at: $at) {
  ${FIGURES}
  sites { site country pue devices utilisation ${FIGURES} }
} }`;

describe('gateway: capacity and transparency by site', () => {
  // Cluster-scoped names get a suffix so that runs never collide.
  const id = randomBytes(3).toString('hex');
  const fi = `gws-${id}-fi`;
  const se = `gws-${id}-se`;
  const dk = `gws-${id}-dk`;
  let client: KubeClient;
  let ledger: Ledger;
  let gw: TestGateway;
  let url: string;
  let token: string;
  let system: string;
  const poolNames: string[] = [];

  /** A declared pool whose selector matches no node (no controller runs here to discover it). */
  async function createPool(name: string, site: string, devices: { allocatable: number; allocated: number }) {
    const pool: AcceleratorPool = {
      apiVersion: 'kentaur.io/v1alpha1',
      kind: 'AcceleratorPool',
      metadata: { name },
      spec: {
        site,
        vendor: 'amd',
        model: 'MI300X',
        nodeSelector: { 'kentaur.test/gateway-sites': id },
        resourceName: 'amd.com/gpu',
        computeUnitsPerDevice: 1.31,
        precisions: ['bf16'],
      },
    };
    await client.create(AcceleratorPools, pool);
    poolNames.push(name);
    await client.patch(
      AcceleratorPools,
      name,
      { status: { nodes: 2, nodesReady: 2, devices: { capacity: devices.allocatable, ...devices } } },
      { subresource: 'status' },
    );
  }

  async function createSite(name: string, spec: Site['spec'], status?: Site['status']) {
    await client.create<Site>(Sites, {
      apiVersion: 'kentaur.io/v1alpha1',
      kind: 'Site',
      metadata: { name },
      spec,
    });
    if (status) await client.patch(Sites, name, { status }, { subresource: 'status' });
  }

  /** One admission of `devices` devices on `site`, accounted from `fromH` to `toH` hours into DAY. */
  function usage(o: {
    uid: string;
    site: string;
    devices: number;
    fromH: number;
    toH: number;
    kWhPerHour: number;
    co2eKgPerHour: number;
    energySource: 'measured' | 'catalog';
  }): Accounting {
    return {
      uid: `${id}-${o.uid}`,
      attempt: 1,
      tenant: 'acme',
      namespace: 'tenant-acme',
      name: o.uid,
      site: o.site,
      pool: `${o.site}-amd`,
      vendor: 'amd',
      model: 'MI300X',
      tier: 'sme',
      priorityClass: 'standard',
      devices: o.devices,
      computeUnits: o.devices * 1.31,
      admittedAtMs: DAY + o.fromH * HOUR,
      untilMs: DAY + o.toH * HOUR,
      rates: { eurPerHour: 1, kWhPerHour: o.kWhPerHour, co2eKgPerHour: o.co2eKgPerHour },
      energySource: o.energySource,
    };
  }

  const capacity = async () => {
    const r = await gql<CapacityAnswer>(url, token, CAPACITY);
    expect(r.errors).toBeUndefined();
    return r.data!.capacity;
  };

  beforeAll(async () => {
    client = testClient();
    await installCrds(client);
    system = await createTestNamespace(client, 'kentaur-system');
    await createSite(
      fi,
      { country: 'FI', pue: 1.1, gridCarbonGramsPerKWh: 80, heatReuseFraction: 0.2, pricePerKWhEUR: 0.09 },
      { reachable: true },
    );
    // A site without pools, and one the controller has not reported on.
    await createSite(se, { country: 'SE' });
    await createPool(`${fi}-amd`, fi, { allocatable: 16, allocated: 4 });
    await createPool(`${fi}-amd-b`, fi, { allocatable: 8, allocated: 8 });
    // A site with a pool but no Site object.
    await createPool(`${dk}-amd`, dk, { allocatable: 8, allocated: 1 });

    ledger = await openLedger();
    // fi: 8 devices × 3 h, 10 kWh/h measured → 30 kWh, 6 kg CO2e, 24 device-hours.
    await ledger.account(
      usage({
        uid: 'a',
        site: fi,
        devices: 8,
        fromH: 6,
        toH: 9,
        kWhPerHour: 10,
        co2eKgPerHour: 2,
        energySource: 'measured',
      }),
    );
    // dk: 4 devices × 2 h, 5 kWh/h from the catalog → 10 kWh, 2 kg, 8 device-hours.
    await ledger.account(
      usage({
        uid: 'b',
        site: dk,
        devices: 4,
        fromH: 10,
        toH: 12,
        kWhPerHour: 5,
        co2eKgPerHour: 1,
        energySource: 'catalog',
      }),
    );
    // Half of it inside the day: 1 h before midnight, 1 h after (4 devices, 2 kWh/h, 0.5 kg/h).
    await ledger.account(
      usage({
        uid: 'c',
        site: dk,
        devices: 4,
        fromH: -1,
        toH: 1,
        kWhPerHour: 2,
        co2eKgPerHour: 0.5,
        energySource: 'catalog',
      }),
    );

    gw = await startTestGateway({ namespace: system, ledger });
    url = gw.gateway.url;
    token = await gw.token({ admin: true });
    await waitFor('the sites and pools cached by the gateway', async () => {
      const c = await capacity();
      const mine = c.sites.filter((s) => [fi, se, dk].includes(s.name));
      return mine.length === 3 && mine.find((s) => s.name === fi)?.reachable === true ? c : undefined;
    });
  });

  afterAll(async () => {
    await gw?.stop();
    await ledger?.close();
    for (const name of poolNames) await client.delete(AcceleratorPools, name).catch(() => undefined);
    for (const name of [fi, se]) await client.delete(Sites, name).catch(() => undefined);
    if (system) await deleteTestNamespace(client, system);
    client?.close();
  });

  it("reports each site's Site figures and the devices summed over its pools", async () => {
    const c = await capacity();
    expect(c.sites.filter((s) => [fi, se, dk].includes(s.name))).toEqual([
      {
        name: dk,
        country: null,
        reachable: null,
        pue: null,
        gridCarbonGramsPerKWh: null,
        pricePerKWhEUR: null,
        pools: 1,
        total: 8,
        allocated: 1,
        free: 7,
      },
      {
        name: fi,
        country: 'FI',
        reachable: true,
        pue: 1.1,
        gridCarbonGramsPerKWh: 80,
        pricePerKWhEUR: 0.09,
        pools: 2,
        total: 24,
        allocated: 12,
        free: 12,
      },
      {
        name: se,
        country: 'SE',
        reachable: null,
        pue: null,
        gridCarbonGramsPerKWh: null,
        pricePerKWhEUR: null,
        pools: 0,
        total: 0,
        allocated: 0,
        free: 0,
      },
    ]);
    // Sorted by name, each site once, and its free devices are those of its entries.
    const names = c.sites.map((s) => s.name);
    expect(names).toEqual([...new Set(names)].sort());
    for (const s of c.sites)
      expect({ site: s.name, free: s.free }).toEqual({
        site: s.name,
        free: c.entries.filter((e) => e.site === s.name).reduce((a, e) => a + e.free, 0),
      });
  });

  it('an unreachable site offers no free devices, and offers them again once reachable', async () => {
    await client.patch(Sites, fi, { status: { reachable: false } }, { subresource: 'status' });
    const down = await waitFor('the unreachable site seen by the gateway', async () => {
      const c = await capacity();
      return c.sites.find((s) => s.name === fi)?.reachable === false ? c : undefined;
    });
    expect(down.sites.find((s) => s.name === fi)).toMatchObject({ total: 24, allocated: 12, free: 0 });
    expect(down.entries.filter((e) => e.site === fi).map((e) => e.free)).toEqual([0]);
    // The other sites are not affected.
    expect(down.sites.find((s) => s.name === dk)).toMatchObject({ free: 7 });

    await client.patch(Sites, fi, { status: { reachable: true } }, { subresource: 'status' });
    const up = await waitFor('the site reachable again', async () => {
      const c = await capacity();
      return c.sites.find((s) => s.name === fi)?.reachable === true ? c : undefined;
    });
    expect(up.sites.find((s) => s.name === fi)).toMatchObject({ free: 12 });
  });

  it('publishes transparency figures by site from the ledger, summing to the totals', async () => {
    const r = await gql<{ transparency: Figures & { sites: SiteFigures[] } }>(url, undefined, TRANSPARENCY, {
      at: '2025-03-01T12:00:00Z',
    });
    expect(r.errors).toBeUndefined();
    const t = r.data!.transparency;
    // The ledger holds only this file's usage: 30 + 10 + 2 kWh, 6 + 2 + 0.5 kg, 24 + 8 + 4 device-hours.
    expect(t.energyKWh).toBeCloseTo(42, 9);
    expect(t.co2eKg).toBeCloseTo(8.5, 9);
    expect(t.deviceHours).toBeCloseTo(36, 9);
    expect(t.measuredEnergyShare).toBeCloseTo(30 / 42, 9);

    const byName = new Map(t.sites.map((s) => [s.site, s]));
    const defaultPue = gw.config.snapshotDefaults.pue;
    expect(byName.get(fi)).toEqual({
      site: fi,
      country: 'FI',
      pue: 1.1,
      devices: 24,
      // 24 device-hours of 24 devices × 24 h.
      utilisation: expect.closeTo(24 / (24 * 24), 9),
      energyKWh: expect.closeTo(30, 9),
      measuredEnergyShare: expect.closeTo(1, 9),
      co2eKg: expect.closeTo(6, 9),
      facilityOverheadKWh: expect.closeTo(30 * (1 - 1 / 1.1), 9),
      heatReusedKWh: expect.closeTo(6, 9),
      deviceHours: expect.closeTo(24, 9),
    });
    expect(byName.get(dk)).toEqual({
      site: dk,
      country: null,
      pue: null,
      devices: 8,
      utilisation: expect.closeTo(12 / (8 * 24), 9),
      energyKWh: expect.closeTo(12, 9),
      measuredEnergyShare: 0,
      co2eKg: expect.closeTo(2.5, 9),
      // Without a Site object, the gateway's default PUE.
      facilityOverheadKWh: expect.closeTo(12 * (1 - 1 / defaultPue), 9),
      heatReusedKWh: 0,
      deviceHours: expect.closeTo(12, 9),
    });
    expect(byName.get(se)).toMatchObject({ country: 'SE', energyKWh: 0, deviceHours: 0, devices: 0 });

    const total = (f: (s: SiteFigures) => number) => t.sites.reduce((a, s) => a + f(s), 0);
    expect(total((s) => s.energyKWh)).toBeCloseTo(t.energyKWh, 9);
    expect(total((s) => s.energyKWh * s.measuredEnergyShare)).toBeCloseTo(
      t.energyKWh * t.measuredEnergyShare,
      9,
    );
    expect(total((s) => s.co2eKg)).toBeCloseTo(t.co2eKg, 9);
    expect(total((s) => s.facilityOverheadKWh)).toBeCloseTo(t.facilityOverheadKWh, 9);
    expect(total((s) => s.heatReusedKWh)).toBeCloseTo(t.heatReusedKWh, 9);
    expect(total((s) => s.deviceHours)).toBeCloseTo(t.deviceHours, 9);
  });

  it('/transparency.json carries the same sites, without a token', async () => {
    const res = await fetch(`${url}/transparency.json?period=day&at=2025-03-01T12:00:00Z`);
    expect(res.status).toBe(200);
    const report = (await res.json()) as { energyKWh: number; sites: SiteFigures[] };
    const fiFigures = report.sites.find((s) => s.site === fi);
    expect(fiFigures).toMatchObject({ country: 'FI', pue: 1.1, devices: 24 });
    expect(fiFigures!.energyKWh).toBeCloseTo(30, 9);
    expect(report.sites.reduce((a, s) => a + s.energyKWh, 0)).toBeCloseTo(report.energyKWh, 9);
  });
});
