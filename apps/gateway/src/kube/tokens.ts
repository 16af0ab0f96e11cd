/** Injection tokens of the gateway's shared collaborators. */
export const VENDOR_REGISTRY = Symbol('VENDOR_REGISTRY');
