import { randomBytes } from 'node:crypto';
import { KubeClient } from '@kentaur/k8s-runtime';
import { API_KEY_PREFIX, ApiKeyStore, InvalidApiKey } from './api-keys';

// Only what needs no API server: the store's informer is never started, and every case here is
// answered before the client would be called (the address is unreachable on purpose, so a call
// would fail with a connection error, not with the refusal asserted). Stored keys are covered by
// the integration tests.
const client = new KubeClient({
  credentials: { server: 'https://127.0.0.1:1', insecureSkipTlsVerify: true },
});
afterAll(() => client.close());

const store = (pepper: string | undefined) =>
  new ApiKeyStore({ client, namespace: 'kentaur-system', pepper });

const ID = 'a1b2c3d4e5f60718';
const SECRET = randomBytes(32).toString('base64url');
const WELL_FORMED = `${API_KEY_PREFIX}${ID}_${SECRET}`;

describe('ApiKeyStore.verify', () => {
  it.each([
    { name: 'empty', key: '' },
    { name: 'only the prefix', key: 'kt_' },
    { name: 'another prefix', key: `ak_${ID}_${SECRET}` },
    { name: 'an upper-case id', key: `kt_${ID.toUpperCase()}_${SECRET}` },
    { name: 'a short id', key: `kt_${ID.slice(1)}_${SECRET}` },
    { name: 'a long id', key: `kt_${ID}0_${SECRET}` },
    { name: 'a short secret', key: `kt_${ID}_${SECRET.slice(1)}` },
    { name: 'a long secret', key: `${WELL_FORMED}A` },
    { name: 'base64 (not base64url) characters', key: `kt_${ID}_${'+'.repeat(43)}` },
    { name: 'padding', key: `kt_${ID}_${SECRET.slice(0, 42)}=` },
    { name: 'surrounding whitespace', key: ` ${WELL_FORMED} ` },
    { name: 'a trailing newline', key: `${WELL_FORMED}\n` },
    { name: 'with its Bearer scheme', key: `Bearer ${WELL_FORMED}` },
  ])('refuses a malformed key: $name', async ({ key }) => {
    const verified = store('pepper').verify(key);
    await expect(verified).rejects.toBeInstanceOf(InvalidApiKey);
    await expect(verified).rejects.toThrow('API key is not valid');
  });

  it('refuses every key, even a well-formed one, when no pepper is configured', async () => {
    const s = store(undefined);
    expect(s.enabled).toBe(false);
    const verified = s.verify(WELL_FORMED);
    await expect(verified).rejects.toBeInstanceOf(InvalidApiKey);
    await expect(verified).rejects.toThrow('API key is not valid');
  });

  it('is enabled with a pepper', () => {
    expect(store('pepper').enabled).toBe(true);
  });
});

describe('ApiKeyStore without an API server', () => {
  it('refuses to create keys when no pepper is configured', async () => {
    await expect(store(undefined).create({ role: 'tenant', description: 'ci' })).rejects.toThrow(
      'API keys are not configured (no pepper)',
    );
  });

  const notIds = [
    { name: 'empty', id: '' },
    { name: 'a path', id: '../kentaur-gateway' },
    { name: 'upper-case hex', id: ID.toUpperCase() },
    { name: 'too short', id: ID.slice(1) },
  ];

  it.each(notIds)('revoking an id that is not one ($name) is false', async ({ id }) => {
    await expect(store('pepper').revoke(id)).resolves.toBe(false);
  });

  it.each(notIds)('getting an id that is not one ($name) is undefined', async ({ id }) => {
    await expect(store('pepper').get(id)).resolves.toBeUndefined();
  });

  it('lists no keys before its informer has synced', () => {
    expect(store('pepper').list()).toEqual([]);
  });
});
