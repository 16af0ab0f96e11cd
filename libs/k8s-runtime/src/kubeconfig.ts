import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';

/** What a client needs to reach one API server as one user: the resolved current context. */
export interface ClusterCredentials {
  readonly server: string;
  readonly caData?: Buffer;
  readonly certData?: Buffer;
  readonly keyData?: Buffer;
  readonly token?: string;
  readonly insecureSkipTlsVerify?: boolean;
}

/** A kubeconfig list entry: `{ name, cluster | user | context: {...} }`. */
type NamedEntry = { name: string } & Record<string, unknown>;

interface RawKubeconfig {
  clusters?: NamedEntry[];
  users?: NamedEntry[];
  contexts?: NamedEntry[];
  'current-context'?: string;
}

export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
}

function pick(list: NamedEntry[] | undefined, name: string, what: string, file: string) {
  const entry = list?.find((e) => e.name === name);
  if (!entry) throw new KubeconfigError(`${file}: ${what} "${name}" is not defined in the kubeconfig`);
  return (entry[what] ?? {}) as Record<string, unknown>;
}

/**
 * Reads a kubeconfig file and resolves one context (default: current-context) into credentials.
 * Supports what the sandbox and ordinary clusters use: CA, client certificates and bearer tokens,
 * inline (`*-data`) or by file path relative to the kubeconfig. Exec plugins are not supported; the
 * error says so rather than failing later with an authentication error.
 */
export function loadKubeconfig(path: string, contextName?: string): ClusterCredentials {
  return parseKubeconfig(readFileSync(path, 'utf8'), {
    source: path,
    baseDir: dirname(resolve(path)),
    context: contextName,
  });
}

/**
 * Resolves a kubeconfig given as text (a Site's kubeconfig Secret) into credentials. `source` names
 * it in errors; without `baseDir`, file references are refused: such a kubeconfig must stand alone
 * (certificates and tokens inline). Errors never quote the kubeconfig's content.
 */
export function parseKubeconfig(
  text: string,
  o: { source: string; baseDir?: string; context?: string },
): ClusterCredentials {
  const path = o.source;
  let raw: RawKubeconfig | null;
  try {
    raw = parse(text) as RawKubeconfig | null;
  } catch {
    throw new KubeconfigError(`${path}: not a kubeconfig (not YAML)`);
  }
  if (!raw || typeof raw !== 'object')
    throw new KubeconfigError(`${path}: not a kubeconfig (empty or not YAML)`);
  const ctxName = o.context ?? raw['current-context'];
  if (!ctxName) throw new KubeconfigError(`${path}: no context given and current-context is not set`);
  const ctx = pick(raw.contexts, ctxName, 'context', path);
  const clusterName = typeof ctx.cluster === 'string' ? ctx.cluster : '';
  const userName = typeof ctx.user === 'string' ? ctx.user : undefined;
  const cluster = pick(raw.clusters, clusterName, 'cluster', path);
  const user = userName === undefined ? {} : pick(raw.users, userName, 'user', path);
  if (user.exec || user['auth-provider']) {
    throw new KubeconfigError(
      `${path}: user "${userName}" uses an exec or auth-provider plugin, which Kentaur does not run; ` +
        'use a kubeconfig with a token or client certificate (e.g. a ServiceAccount token).',
    );
  }
  if (typeof cluster.server !== 'string')
    throw new KubeconfigError(`${path}: cluster "${clusterName}" has no server`);
  const baseDir = o.baseDir;
  const file = (name: string) => {
    if (baseDir === undefined)
      throw new KubeconfigError(
        `${path}: refers to a file (${name}); put certificates and tokens inline (*-data, token)`,
      );
    return resolve(baseDir, name);
  };
  const material = (section: Record<string, unknown>, key: string): Buffer | undefined => {
    const data = section[`${key}-data`];
    if (typeof data === 'string') return Buffer.from(data, 'base64');
    const name = section[key];
    if (typeof name === 'string') return readFileSync(file(name));
    return undefined;
  };
  const tokenFile = typeof user.tokenFile === 'string' ? user.tokenFile : undefined;
  const token =
    typeof user.token === 'string'
      ? user.token
      : tokenFile
        ? readFileSync(file(tokenFile), 'utf8').trim()
        : undefined;
  return {
    server: cluster.server.replace(/\/+$/, ''),
    caData: material(cluster, 'certificate-authority'),
    certData: material(user, 'client-certificate'),
    keyData: material(user, 'client-key'),
    token,
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
  };
}

/** Credentials of the pod a controller runs in (the ServiceAccount mount), for in-cluster use. */
export function inClusterCredentials(env: NodeJS.ProcessEnv = process.env): ClusterCredentials {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new KubeconfigError('not running in a cluster: KUBERNETES_SERVICE_HOST is not set');
  const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    caData: readFileSync(`${dir}/ca.crt`),
    token: readFileSync(`${dir}/token`, 'utf8').trim(),
  };
}
