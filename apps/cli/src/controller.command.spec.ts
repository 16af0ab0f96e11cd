import { federationFrom, imageRegistriesFrom, ledgerFrom, powerFrom } from './controller.command';

describe('kentaur controller configuration', () => {
  it('measured power: the environment URL (which may hold credentials) wins over the flag', () => {
    expect(
      powerFrom(
        { KENTAUR_POWER_PROMETHEUS_URL: 'http://u:p@prom:9090' },
        { url: 'http://other:9090', nodeLabel: 'kubernetes_node', window: '120' },
      ),
    ).toEqual({ prometheusUrl: 'http://u:p@prom:9090', nodeLabel: 'kubernetes_node', windowSeconds: 120 });
    expect(powerFrom({}, { url: 'http://prom:9090' })).toEqual({
      prometheusUrl: 'http://prom:9090',
      nodeLabel: undefined,
      windowSeconds: undefined,
    });
    expect(powerFrom({}, {})).toBeUndefined();
  });

  it.each([
    [{ url: 'prom:9090' }, /not an http\(s\) URL: give e\.g\. http:\/\/prometheus:9090/],
    [{ url: 'ftp://prom' }, /not an http\(s\) URL/],
    [{ url: 'http://prom', window: '0' }, /--power-window "0" is not a positive number of seconds/],
    [{ url: 'http://prom', window: '1.5' }, /--power-window 1\.5 is not a whole number of seconds/],
    [
      { url: 'http://prom', nodeLabel: 'node name' },
      /--power-node-label "node name" is not a Prometheus label name/,
    ],
  ])('refuses %j with a message naming the flag', (flags, message) => {
    expect(() => powerFrom({}, flags)).toThrow(message);
  });

  it('never puts a credential-bearing URL into an error', () => {
    let message = '';
    try {
      powerFrom({ KENTAUR_POWER_PROMETHEUS_URL: 'prom://user:s3cret@x' }, {});
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/not an http\(s\) URL/);
    expect(message).not.toContain('s3cret');
  });

  it('the ledger: a URL first, else a PGlite directory, else memory', () => {
    expect(ledgerFrom({ KENTAUR_LEDGER_URL: 'postgres://x', KENTAUR_LEDGER_DIR: 'd' })).toEqual({
      url: 'postgres://x',
    });
    expect(ledgerFrom({ KENTAUR_LEDGER_DIR: '/var/lib/kentaur' })).toEqual({ dataDir: '/var/lib/kentaur' });
    expect(ledgerFrom({})).toEqual({});
  });

  it('image allow-list: the flag wins over the environment; empty means any image', () => {
    const env = { KENTAUR_IMAGE_REGISTRIES: 'env.example/' };
    expect(imageRegistriesFrom('registry.example/acme/, docker.io/library/', env)).toEqual([
      'registry.example/acme/',
      'docker.io/library/',
    ]);
    expect(imageRegistriesFrom(undefined, env)).toEqual(['env.example/']);
    expect(imageRegistriesFrom('', env)).toBeUndefined();
    expect(imageRegistriesFrom(undefined, {})).toBeUndefined();
  });

  it('image allow-list: an entry without its trailing "/" stops start-up, naming the flag', () => {
    expect(() => imageRegistriesFrom('registry.example/acme', {})).toThrow(
      /--image-registries entry "registry.example\/acme" must be .*ending with "\/"/,
    );
  });

  it('federation: the grace and the lease in seconds, the grace longer than the lease', () => {
    expect(federationFrom({})).toEqual({});
    expect(federationFrom({ grace: '900', lease: '120' })).toEqual({
      siteFailoverGraceMs: 900_000,
      siteFenceLeaseMs: 120_000,
    });
    // Against the other's default (grace 600 s, lease 300 s).
    expect(() => federationFrom({ lease: '600' })).toThrow(
      '--site-failover-grace (600 s) must be longer than --site-fence-lease (600 s): requeued work could otherwise start while the lost site still runs it; raise the grace or lower the lease',
    );
    expect(() => federationFrom({ grace: '200' })).toThrow(/--site-failover-grace \(200 s\) must be longer/);
    expect(() => federationFrom({ grace: 'ten' })).toThrow(
      '--site-failover-grace "ten" is not a positive number of seconds: give e.g. --site-failover-grace 30',
    );
  });
});
