import { celString } from './fields';
import { s, type FieldError } from './schema';

/**
 * Image registry allow-lists (ADR 12): which images a tenant's workloads may run. An entry is a
 * prefix of the image's *normalised* reference and ends with '/': `registry.example/acme/` allows
 * `registry.example/acme/train:1.4` and `registry.example/acme/team/x@sha256:…`, never
 * `registry.example/acme-evil/x` nor `registry.example.evil.io/acme/x`. Short Docker Hub names are
 * normalised the way the container runtime resolves them before matching (`ubuntu:22.04` is
 * `docker.io/library/ubuntu:22.04`), so an entry sees what will really be pulled.
 */

// A host (DNS name with at least one dot, an IPv4 address, or localhost), an optional port, then
// zero or more lower-case path components, each followed by '/'. Read the same by RE2 and JS.
const DOMAIN_COMPONENT = '[a-z0-9]([a-z0-9-]*[a-z0-9])?';
const PATH_COMPONENT = '[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*';
export const IMAGE_REGISTRY_PREFIX = `^(localhost|${DOMAIN_COMPONENT}(\\.${DOMAIN_COMPONENT})+)(:[0-9]{1,5})?/(${PATH_COMPONENT}/)*$`;

const PREFIX_MESSAGE =
  'must be a registry host, optionally with a repository path, ending with "/" (e.g. registry.example/acme/ or docker.io/library/); lower-case, no scheme';

/** One entry of an allow-list, as a Tenant's spec.imageRegistries holds it. */
export function imageRegistryPrefix() {
  return s.string({ maxLength: 253, minLength: 1 }).rule({
    cel: `self.matches(${celString(IMAGE_REGISTRY_PREFIX)})`,
    message: PREFIX_MESSAGE,
    check: (v) => new RegExp(IMAGE_REGISTRY_PREFIX).test(v),
  });
}

/** Problems with a global allow-list (controller and gateway flags): each entry as the Tenant field's. */
export function registryListProblems(entries: readonly string[], what: string): string[] {
  const re = new RegExp(IMAGE_REGISTRY_PREFIX);
  return entries.filter((e) => !re.test(e)).map((e) => `${what} entry "${e}" ${PREFIX_MESSAGE}`);
}

// The reference grammar of distribution/reference (what containerd and Docker parse).
const DOMAIN_NAME_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(
  `^(?:${DOMAIN_NAME_COMPONENT}(?:\\.${DOMAIN_NAME_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`,
);
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

export interface ImageReference {
  /** Registry host (lower-cased) and port; `docker.io` for Docker Hub. */
  domain: string;
  /** Repository path; `library/…` for official Docker Hub images. */
  repository: string;
  /** `domain/repository[:tag][@digest]`: what an allow-list entry is matched against. */
  normalised: string;
}

/** `name[:tag][@digest]` split into its parts (a ':' after the last '/' starts the tag). */
function splitReference(ref: string): { name: string; tag?: string; digest?: string } {
  const at = ref.indexOf('@');
  const digest = at === -1 ? undefined : ref.slice(at + 1);
  const nameAndTag = at === -1 ? ref : ref.slice(0, at);
  const colon = nameAndTag.lastIndexOf(':');
  if (colon <= nameAndTag.lastIndexOf('/')) return { name: nameAndTag, digest };
  return { name: nameAndTag.slice(0, colon), tag: nameAndTag.slice(colon + 1), digest };
}

/**
 * distribution/reference's splitDockerDomain: a first component without '.' or ':' that is not
 * localhost (and is lower-case) is a Docker Hub repository, not a host; Hub names get `library/`.
 */
function splitDomain(name: string): { domain: string; repository: string } | string {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  const isHost =
    slash !== -1 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase());
  if (isHost && !DOMAIN.test(first)) return 'has an invalid registry host';
  const host = isHost ? first.toLowerCase() : 'docker.io';
  const domain = host === 'index.docker.io' ? 'docker.io' : host;
  const path = isHost ? name.slice(slash + 1) : name;
  const repository = domain === 'docker.io' && !path.includes('/') ? `library/${path}` : path;
  return { domain, repository };
}

/**
 * Parses and normalises an image reference as the container runtime does; a string saying what is
 * wrong when it is no valid reference (e.g. an upper-case repository or a `..` component).
 */
export function parseImageReference(ref: string): ImageReference | string {
  const { name, tag, digest } = splitReference(ref);
  if (digest !== undefined && !DIGEST.test(digest)) return 'has an invalid digest (expected sha256:<hex>)';
  if (tag !== undefined && !TAG.test(tag)) return 'has an invalid tag';
  const split = splitDomain(name);
  if (typeof split === 'string') return split;
  const { domain, repository } = split;
  if (!REPOSITORY.test(repository))
    return 'has an invalid repository path (lower-case letters, digits and single separators ".", "_", "-" between "/")';
  const suffix = (tag !== undefined ? `:${tag}` : '') + (digest !== undefined ? `@${digest}` : '');
  return { domain, repository, normalised: `${domain}/${repository}${suffix}` };
}

/** The allow-list in force for a tenant: its own when it has one, else the global one; undefined: any image. */
export function registriesFor(
  tenant: readonly string[] | undefined,
  global: readonly string[] | undefined,
): readonly string[] | undefined {
  if (tenant !== undefined) return tenant;
  return global !== undefined && global.length > 0 ? global : undefined;
}

/** Normalises an entry the way references are (host lower-cased, index.docker.io → docker.io). */
function normaliseEntry(entry: string): string {
  const slash = entry.indexOf('/');
  const host = entry.slice(0, slash).toLowerCase();
  return `${host === 'index.docker.io' ? 'docker.io' : host}${entry.slice(slash)}`;
}

/** Whether an image may run under an allow-list (undefined: any image). */
export function imageAllowed(image: string, allowed: readonly string[] | undefined): boolean {
  return imageProblem(image, allowed) === undefined;
}

/**
 * Why an image may not run under an allow-list (naming the prefixes and the fix), or undefined.
 * `list` names the list in the message, e.g. "tenant acme's image allow-list".
 */
export function imageProblem(
  image: string,
  allowed: readonly string[] | undefined,
  list = 'the image allow-list',
): string | undefined {
  if (allowed === undefined) return undefined;
  const ref = parseImageReference(image);
  if (typeof ref === 'string') return `"${image}" ${ref}`;
  const prefixes = allowed.map(normaliseEntry);
  if (prefixes.some((p) => ref.normalised.startsWith(p))) return undefined;
  const resolved = ref.normalised === image ? `"${image}"` : `"${image}" (${ref.normalised})`;
  return `${resolved} is not from a registry that ${list} allows (${allowed.join(', ')}): use an image under one of these prefixes, or ask the platform team to allow its registry`;
}

/**
 * The template's images that an allow-list refuses, each as an error at its field:
 * `spec.template.image`, or `spec.template.images.<vendor>` for a per-vendor build.
 */
export function imageRegistryErrors(
  template: { image?: string; images?: Record<string, string> },
  allowed: readonly string[] | undefined,
  list?: string,
): FieldError[] {
  const images: [string, string][] = [
    ...(template.image !== undefined ? [['spec.template.image', template.image] as [string, string]] : []),
    ...Object.entries(template.images ?? {}).map(
      ([vendor, image]) => [`spec.template.images.${vendor}`, image] as [string, string],
    ),
  ];
  return images.flatMap(([field, image]) => {
    const problem = imageProblem(image, allowed, list);
    return problem ? [{ field, message: problem }] : [];
  });
}
