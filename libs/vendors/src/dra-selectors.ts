// CEL for DRA device selectors (accelerator-vendors.md §3.2–3.4). Referencing an attribute a device
// does not publish is an evaluation error that aborts allocation, so every access is guarded with `in`.
import { celString } from '@kentaur/api';

/**
 * Nominal memory classes are not usable bytes: GFD reports 81559 MiB (≈79.6 GiB) for an 80 GB H100 and
 * 143771 MiB for a 141 GB H200, because the driver reserves some. Requiring 98% of the nominal GiB keeps
 * every device of a class eligible without admitting the next-smaller class.
 */
export const USABLE_MEMORY_SHARE = 0.98;

export function usableMemoryMi(minMemoryGB: number): number {
  return Math.floor(minMemoryGB * 1024 * USABLE_MEMORY_SHARE);
}

const attribute = (domain: string, name: string) => `device.attributes[${celString(domain)}].${name}`;
const hasAttribute = (domain: string, name: string) =>
  `${celString(name)} in device.attributes[${celString(domain)}]`;

/** `device.capacity[domain].memory` of at least the usable share of `minMemoryGB`. */
export function memoryAtLeast(domain: string, minMemoryGB: number): string {
  const capacity = `device.capacity[${celString(domain)}]`;
  return `'memory' in ${capacity} && ${capacity}.memory.compareTo(quantity('${usableMemoryMi(minMemoryGB)}Mi')) >= 0`;
}

export function attributeEquals(domain: string, name: string, value: string): string {
  return `${hasAttribute(domain, name)} && ${attribute(domain, name)} == ${celString(value)}`;
}

export function attributeTrue(domain: string, name: string): string {
  return `${hasAttribute(domain, name)} && ${attribute(domain, name)}`;
}

/** A version attribute (NVIDIA publishes compute capability 9.0 as semver 9.0.0) at least `version`. */
export function versionAtLeast(domain: string, name: string, version: string): string {
  return `${hasAttribute(domain, name)} && ${attribute(domain, name)}.compareTo(semver(${celString(version)})) >= 0`;
}
