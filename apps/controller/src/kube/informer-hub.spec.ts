import { withoutManagedFields } from './informer-hub';

describe('withoutManagedFields', () => {
  it('drops metadata.managedFields and keeps everything else', () => {
    const node = {
      metadata: { name: 'n', resourceVersion: '7', labels: { a: 'b' }, managedFields: [{ manager: 'kwok' }] },
      status: { allocatable: { 'nvidia.com/gpu': '8' } },
    };
    expect(withoutManagedFields(node)).toEqual({
      metadata: { name: 'n', resourceVersion: '7', labels: { a: 'b' } },
      status: { allocatable: { 'nvidia.com/gpu': '8' } },
    });
    expect(node.metadata.managedFields).toHaveLength(1); // the input is not changed
  });

  it('returns an object without managedFields as it is', () => {
    const pod = { metadata: { name: 'p' } };
    expect(withoutManagedFields(pod)).toBe(pod);
  });
});
