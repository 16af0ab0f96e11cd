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

const CRD_FILE = join(__dirname, '../../libs/api/generated/kentaur-crds.yaml');

interface Crd extends KubeObject {
  status?: { conditions?: { type: string; status: string }[] };
}

/** Installs (or updates) the generated CRDs from the checked-in file and waits until they are Established. */
export async function installCrds(client: KubeClient): Promise<void> {
  const crds = parseAllDocuments(readFileSync(CRD_FILE, 'utf8')).map((d) => d.toJS() as Crd);
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
