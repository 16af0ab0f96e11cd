import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Secret } from 'kubernetes-types/core/v1';
import { Informer, isNotFound, type KubeClient, Secrets } from '@kentaur/k8s-runtime';
import type { Principal } from './principal';

/**
 * API keys: `kt_<id>_<secret>`, 256 random bits of secret. Only an HMAC-SHA-256 of the secret (with
 * a server-side pepper) is stored, in one Secret per key in the gateway's namespace; the key itself
 * is shown once, when created. Deleting the Secret revokes the key on every replica as soon as their
 * watches see it. A fast hash is right here: the secret is random, not a password (ADR 7).
 */
export const API_KEY_PREFIX = 'kt_';
export const API_KEY_LABEL = 'kentaur.io/api-key';
const KEY_PATTERN = /^kt_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$/;

export interface ApiKeyInfo {
  id: string;
  tenant: string | undefined;
  role: 'tenant' | 'admin';
  description: string;
  createdAt: string;
}

export class InvalidApiKey extends Error {}

const secretName = (id: string) => `kentaur-api-key-${id}`;
const idOf = (s: Secret) => s.metadata!.name!.slice(secretName('').length);
const field = (s: Secret, name: string) =>
  s.data?.[name] === undefined ? undefined : Buffer.from(s.data[name], 'base64').toString('utf8');

export class ApiKeyStore {
  readonly informer: Informer<Secret>;
  /** Keys this replica revoked, refused at once even before the watch reports the deletion. */
  private readonly revoked = new Set<string>();

  constructor(private readonly o: { client: KubeClient; namespace: string; pepper: string | undefined }) {
    this.informer = new Informer<Secret>({
      client: o.client,
      type: Secrets,
      namespace: o.namespace,
      labelSelector: `${API_KEY_LABEL}=true`,
    });
    this.informer.addHandlers({ onDelete: (s) => this.revoked.delete(idOf(s)) });
  }

  get enabled(): boolean {
    return this.o.pepper !== undefined;
  }

  private hash(secret: string): Buffer {
    return createHmac('sha256', this.o.pepper!).update(secret).digest();
  }

  async create(req: { tenant?: string; role: 'tenant' | 'admin'; description: string }): Promise<{
    key: string;
    info: ApiKeyInfo;
  }> {
    if (!this.enabled) throw new Error('API keys are not configured (no pepper)');
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const s: Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: secretName(id),
        namespace: this.o.namespace,
        labels: { [API_KEY_LABEL]: 'true' },
      },
      type: 'Opaque',
      stringData: {
        hash: this.hash(secret).toString('hex'),
        role: req.role,
        description: req.description,
        ...(req.tenant ? { tenant: req.tenant } : {}),
      },
    };
    const created = await this.o.client.create<Secret>(Secrets, s);
    return { key: `${API_KEY_PREFIX}${id}_${secret}`, info: toInfo(created, id) };
  }

  /**
   * The key's Secret: from the cache, or — for a key created a moment ago on this or another replica,
   * before the watch delivered it — from the API server.
   */
  private async secretOf(id: string): Promise<Secret | undefined> {
    if (this.revoked.has(id)) return undefined;
    const cached = this.informer.get(`${this.o.namespace}/${secretName(id)}`);
    if (cached) return cached;
    try {
      return await this.o.client.get<Secret>(Secrets, secretName(id), this.o.namespace);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** The principal of a presented key; InvalidApiKey for a malformed, unknown, revoked or wrong key. */
  async verify(key: string): Promise<Principal> {
    const m = KEY_PATTERN.exec(key);
    if (!m || !this.enabled) throw new InvalidApiKey('API key is not valid');
    const [, id, secret] = m;
    const stored = await this.secretOf(id!);
    const expected = stored && field(stored, 'hash');
    const actual = this.hash(secret!);
    const ok =
      expected !== undefined &&
      expected.length === actual.length * 2 &&
      timingSafeEqual(Buffer.from(expected, 'hex'), actual);
    if (!ok) throw new InvalidApiKey('API key is not valid or was revoked');
    const info = toInfo(stored!, id!);
    return { subject: `api-key:${id}`, role: info.role, tenant: info.tenant, via: 'api-key' };
  }

  list(tenant?: string): ApiKeyInfo[] {
    return this.informer
      .list()
      .filter((s) => !this.revoked.has(idOf(s)))
      .map((s) => toInfo(s, idOf(s)))
      .filter((k) => tenant === undefined || k.tenant === tenant)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async get(id: string): Promise<ApiKeyInfo | undefined> {
    if (!/^[a-f0-9]{16}$/.test(id)) return undefined;
    const s = await this.secretOf(id);
    return s && toInfo(s, id);
  }

  /** Deletes the key's Secret; false when there was none. */
  async revoke(id: string): Promise<boolean> {
    if (!/^[a-f0-9]{16}$/.test(id)) return false;
    try {
      await this.o.client.delete(Secrets, secretName(id), { namespace: this.o.namespace });
      this.revoked.add(id);
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }
}

function toInfo(s: Secret, id: string): ApiKeyInfo {
  return {
    id,
    tenant: field(s, 'tenant'),
    role: field(s, 'role') === 'admin' ? 'admin' : 'tenant',
    description: field(s, 'description') ?? '',
    createdAt: s.metadata?.creationTimestamp ?? '',
  };
}
