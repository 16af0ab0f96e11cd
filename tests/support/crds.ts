// The tests install the CRDs the same way `kentaur up` does.
export { installCrds } from '@kentaur/sandbox';
