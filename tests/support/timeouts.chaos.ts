// Chaos scenarios run whole workload streams through the controller under injected faults.
jest.setTimeout(300_000);
