// Integration tests wait on a real control plane (a sandbox start takes ~5 s, scheduling a few more).
jest.setTimeout(120_000);
