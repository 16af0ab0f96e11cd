// The sandbox library and the wait helper, for tests that drive sandboxes themselves.
export { isAlive, readState, SandboxLayout, sandboxDown, sandboxStatus, sandboxUp } from '@kentaur/sandbox';
export { waitFor } from '@kentaur/k8s-runtime';
