import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import {
  gatewayConfig,
  loadOrCreateDevKey,
  mintDevToken,
  startGateway,
  type GatewayConfig,
  type RunningGateway,
} from '@kentaur/gateway';
import { testKubeconfig } from './cluster';

/** A gateway on a free port of 127.0.0.1 against the cluster under test, with its dev-token key. */
export interface TestGateway {
  gateway: RunningGateway;
  config: GatewayConfig;
  /** A development token (sandbox mode only). */
  token(req: { tenant?: string; admin?: boolean; ttlSeconds?: number }): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestGateway(overrides: Partial<GatewayConfig> = {}): Promise<TestGateway> {
  const devTokenKeyFile = join(mkdtempSync(join(tmpdir(), 'kentaur-gw-')), 'dev-token.key');
  const config = gatewayConfig({
    kubeconfig: testKubeconfig(),
    port: 0,
    mode: 'sandbox',
    devTokenKeyFile,
    apiKeyPepper: 'test-pepper',
    logLevel: 'silent',
    ...overrides,
  });
  const gateway = await startGateway(config);
  return {
    gateway,
    config,
    token: (req) => mintDevToken(loadOrCreateDevKey(devTokenKeyFile), req),
    stop: () => gateway.stop(),
  };
}

export interface GqlResponse<T = Record<string, unknown>> {
  status: number;
  data: T | null | undefined;
  errors:
    | {
        message: string;
        path?: string[];
        extensions: { code: string; field?: string } & Record<string, unknown>;
      }[]
    | undefined;
  body: unknown;
}

/** One GraphQL request over real HTTP. `token` undefined: no Authorization header. */
export async function gql<T = Record<string, unknown>>(
  url: string,
  token: string | undefined,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GqlResponse<T>> {
  return rawGql<T>(url, token, JSON.stringify({ query, variables }));
}

/** A request with a body as given (batches, oversized or malformed bodies). */
export async function rawGql<T = Record<string, unknown>>(
  url: string,
  token: string | undefined,
  body: string,
  headers: Record<string, string> = {},
): Promise<GqlResponse<T>> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...headers,
    },
    body,
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  const obj = (Array.isArray(parsed) ? {} : parsed) as { data?: T | null; errors?: GqlResponse['errors'] };
  return { status: res.status, data: obj?.data, errors: obj?.errors, body: parsed };
}

/** A graphql-ws client (the `graphql-transport-ws` protocol) with the token in connection_init. */
export function wsClient(url: string, token: string | undefined): Client {
  return createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

/** A minimal valid spec: one replica, `count` devices, a generic image, one hour. */
export function aSpec(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'Batch',
    replicas: 1,
    maxDuration: '1h',
    accelerators: { count: 1 },
    template: { image: 'registry.example/acme/train:1.4' },
    ...overrides,
  };
}

export const SUBMIT = `mutation($input: SubmitWorkloadInput!) {
  submitWorkload(input: $input) { created workload { id name phase } }
}`;
