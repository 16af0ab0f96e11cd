// Benchmarks at smoke size still start controllers and wait for fake pods to finish.
jest.setTimeout(300_000);
