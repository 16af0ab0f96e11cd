import type { Workload, WorkloadSpec } from '@kentaur/api';

type Accelerators = WorkloadSpec['accelerators'];
type Template = WorkloadSpec['template'];

/**
 * Fluent Workload builder: `makeWorkload('train', 'team-a').replicas(2).accelerators({ count: 8 }).obj()`.
 * Defaults make a valid one-replica Batch workload of one device with a single image.
 */
export class WorkloadBuilder {
  private readonly workload: Workload;

  constructor(name: string, namespace: string) {
    this.workload = {
      apiVersion: 'kentaur.io/v1alpha1',
      kind: 'Workload',
      metadata: { name, namespace },
      spec: {
        kind: 'Batch',
        replicas: 1,
        accelerators: { count: 1 },
        template: { image: 'registry.example/team/train:1.0' },
        maxDuration: '6h',
      },
    };
  }

  kind(kind: WorkloadSpec['kind']): this {
    this.workload.spec.kind = kind;
    return this;
  }

  replicas(n: number): this {
    this.workload.spec.replicas = n;
    return this;
  }

  /** Merges into spec.accelerators (count stays 1 unless given). */
  accelerators(accelerators: Partial<Accelerators>): this {
    this.workload.spec.accelerators = { ...this.workload.spec.accelerators, ...accelerators };
    return this;
  }

  /** Sets the image for every vendor; `undefined` removes it (to test per-vendor images alone). */
  image(image: string | undefined): this {
    return this.template({ image });
  }

  images(images: Record<string, string>): this {
    return this.template({ images });
  }

  command(...command: string[]): this {
    return this.template({ command });
  }

  args(...args: string[]): this {
    return this.template({ args });
  }

  /** Tenant env vars, in the order given. */
  env(env: Record<string, string>): this {
    return this.template({ env: Object.entries(env).map(([name, value]) => ({ name, value })) });
  }

  memory(memory: string | number): this {
    return this.template({ memory });
  }

  cpu(cpu: string | number): this {
    return this.template({ cpu });
  }

  maxDuration(duration: string | undefined): this {
    this.workload.spec.maxDuration = duration;
    return this;
  }

  template(template: Partial<Template>): this {
    const merged: Template = { ...this.workload.spec.template, ...template };
    for (const key of Object.keys(merged) as (keyof Template)[])
      if (merged[key] === undefined) delete merged[key];
    this.workload.spec.template = merged;
    return this;
  }

  spec(): WorkloadSpec {
    return structuredClone(this.workload.spec);
  }

  obj(): Workload {
    return structuredClone(this.workload);
  }
}

export function makeWorkload(name: string, namespace = 'default'): WorkloadBuilder {
  return new WorkloadBuilder(name, namespace);
}
