import { admissionObjectName, WORKLOAD_LABEL, workloadKeyOfObject } from './labels';

describe('workloadKeyOfObject', () => {
  it('is the namespace and the workload label of an object Kentaur made', () => {
    const job = {
      metadata: {
        name: admissionObjectName('train', 2),
        namespace: 'team-a',
        labels: { [WORKLOAD_LABEL]: 'train' },
      },
    };
    expect(workloadKeyOfObject(job)).toBe('team-a/train');
  });

  it('is undefined for an object without the workload label, or with an empty one', () => {
    expect(workloadKeyOfObject({ metadata: { namespace: 'team-a', labels: {} } })).toBeUndefined();
    expect(
      workloadKeyOfObject({ metadata: { namespace: 'team-a', labels: { [WORKLOAD_LABEL]: '' } } }),
    ).toBeUndefined();
    expect(workloadKeyOfObject({})).toBeUndefined();
  });
});
