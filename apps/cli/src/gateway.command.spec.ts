import { DEFAULT_RATE_LIMIT, DEFAULT_RESPONSE_CACHE } from '@kentaur/gateway';
import { gatewayConfigFrom, rateLimitFrom, responseCacheFrom } from './gateway.command';

describe('kentaur gateway configuration', () => {
  const defaults = DEFAULT_RATE_LIMIT;

  it('rate limit: the defaults when nothing is given', () => {
    expect(gatewayConfigFrom([], {}).rateLimit).toEqual(defaults);
  });

  it('rate limit: flags win over the environment, and either may be given alone', () => {
    const env = { KENTAUR_RATE_LIMIT_PER_SECOND: '20', KENTAUR_RATE_LIMIT_BURST: '40' };
    expect(gatewayConfigFrom([], env).rateLimit).toEqual({ perSecond: 20, burst: 40 });
    expect(gatewayConfigFrom(['--rate-limit-per-second', '2.5'], env).rateLimit).toEqual({
      perSecond: 2.5,
      burst: 40,
    });
    expect(gatewayConfigFrom(['--rate-limit-burst=500'], {}).rateLimit).toEqual({
      perSecond: defaults.perSecond,
      burst: 500,
    });
  });

  it.each([
    [
      { 'rate-limit-per-second': '0' },
      {},
      /--rate-limit-per-second \(or KENTAUR_RATE_LIMIT_PER_SECOND\) "0"/,
    ],
    [
      { 'rate-limit-burst': 'lots' },
      {},
      /--rate-limit-burst \(or KENTAUR_RATE_LIMIT_BURST\) "lots".*--rate-limit-burst 100/,
    ],
    [
      {},
      { KENTAUR_RATE_LIMIT_PER_SECOND: '-5' },
      /KENTAUR_RATE_LIMIT_PER_SECOND\) "-5" is not a positive number/,
    ],
  ])('rate limit: %j %j stops start-up, naming the flag and the fix', (values, env, message) => {
    expect(() => rateLimitFrom(values, env)).toThrow(message);
  });

  it('response cache: the default, a size in MiB from the flag or the environment, 0 to turn it off', () => {
    expect(gatewayConfigFrom([], {}).responseCache).toEqual(DEFAULT_RESPONSE_CACHE);
    expect(gatewayConfigFrom(['--response-cache-mb', '64'], {}).responseCache.maxBytes).toBe(
      64 * 1024 * 1024,
    );
    expect(gatewayConfigFrom([], { KENTAUR_RESPONSE_CACHE_MB: '0.5' }).responseCache.maxBytes).toBe(
      512 * 1024,
    );
    expect(
      gatewayConfigFrom(['--response-cache-mb=0'], { KENTAUR_RESPONSE_CACHE_MB: '8' }).responseCache,
    ).toEqual({
      ...DEFAULT_RESPONSE_CACHE,
      maxBytes: 0,
    });
  });

  it.each([['-1'], ['lots'], ['']])(
    'response cache: %j stops start-up, naming the flag and the fix',
    (value) => {
      expect(() => responseCacheFrom({ 'response-cache-mb': value }, {})).toThrow(
        /--response-cache-mb \(or KENTAUR_RESPONSE_CACHE_MB\) ".*" is not a number of MiB, 0 or more: give e\.g\. --response-cache-mb 16/,
      );
    },
  );
});
