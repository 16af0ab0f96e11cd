// End-to-end tests run whole workloads through the controller on the sandbox.
jest.setTimeout(300_000);
