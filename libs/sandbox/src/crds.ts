import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  CustomResourceDefinitions,
  isAlreadyExists,
  type KubeClient,
  type KubeObject,
  waitFor,
} from '@kentaur/k8s-runtime';

/** The generated CRDs of kentaur.io (libs/api/generated), as the Helm chart installs them. */
export const CRD_FILE = join(__dirname, '..', '..', 'api', 'generated', 'kentaur-crds.yaml');

interface Crd extends KubeObject {
  status?: { conditions?: { type: string; status: string }[] };
}

/** Installs or updates Kentaur's CRDs and waits until the API server serves them (Established). */
export async function installCrds(client: KubeClient, file = CRD_FILE): Promise<void> {
  const crds = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Crd);
  for (const crd of crds) {
    try {
      await client.create(CustomResourceDefinitions, crd);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const current = await client.get<Crd>(CustomResourceDefinitions, crd.metadata!.name!);
      await client.replace(CustomResourceDefinitions, {
        ...crd,
        metadata: { ...crd.metadata, resourceVersion: current.metadata!.resourceVersion },
      });
    }
  }
  for (const crd of crds) {
    await waitFor(`CRD ${crd.metadata!.name} to be Established`, async () => {
      const c = await client.get<Crd>(CustomResourceDefinitions, crd.metadata!.name!);
      return c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True')
        ? true
        : undefined;
    });
  }
}
