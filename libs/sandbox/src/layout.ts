import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository's deploy/sandbox folder: build script, versions, fleets and KWOK stages. */
export const deployDir = resolve(__dirname, '../../../deploy/sandbox');

export interface ComponentVersions {
  kubernetes: string;
  etcd: string;
  kwok: string;
  helm: string;
}

/** Reads deploy/sandbox/versions.env, the one place the versions are pinned. */
export function readVersions(file = join(deployDir, 'versions.env')): ComponentVersions {
  const vars = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_]+_VERSION)=(.+)$/.exec(line.trim());
    if (m) vars.set(m[1]!, m[2]!.trim());
  }
  const need = (key: string) => {
    const v = process.env[key] ?? vars.get(key);
    if (!v) throw new Error(`${file}: ${key} is not set`);
    return v;
  };
  return {
    kubernetes: need('KUBE_VERSION'),
    etcd: need('ETCD_VERSION'),
    kwok: need('KWOK_VERSION'),
    helm: need('HELM_VERSION'),
  };
}

export function binCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.KENTAUR_BIN_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kentaur', 'bin');
}

export interface BinaryPaths {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
  kwok: string;
  helm: string;
}

export function binaryPaths(v: ComponentVersions = readVersions(), cache = binCacheDir()): BinaryPaths {
  const k8s = join(cache, `kubernetes-v${v.kubernetes}`);
  return {
    etcd: join(cache, `etcd-v${v.etcd}`, 'etcd'),
    kubeApiserver: join(k8s, 'kube-apiserver'),
    kubeControllerManager: join(k8s, 'kube-controller-manager'),
    kubeScheduler: join(k8s, 'kube-scheduler'),
    kubectl: join(k8s, 'kubectl'),
    kwok: join(cache, `kwok-v${v.kwok}`, 'kwok'),
    helm: join(cache, `helm-v${v.helm}`, 'helm'),
  };
}

/** Files of one sandbox instance, all under one directory (default: .kentaur/sandbox in the cwd). */
export class SandboxLayout {
  constructor(readonly root: string) {}

  static forCwd(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): SandboxLayout {
    return new SandboxLayout(resolve(env.KENTAUR_SANDBOX_DIR ?? join(cwd, '.kentaur', 'sandbox')));
  }

  get kubeconfig() {
    return join(this.root, 'kubeconfig');
  }
  get state() {
    return join(this.root, 'state.json');
  }
  get pki() {
    return join(this.root, 'pki');
  }
  get logs() {
    return join(this.root, 'logs');
  }
  get etcdData() {
    return join(this.root, 'etcd-data');
  }
  get config() {
    return join(this.root, 'config');
  }
  log(component: string) {
    return join(this.logs, `${component}.log`);
  }
  /** The files of one site's cluster in a federation sandbox: the same layout under sites/<name>. */
  site(name: string): SandboxLayout {
    return new SandboxLayout(join(this.root, 'sites', name));
  }
}
