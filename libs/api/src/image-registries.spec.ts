import {
  imageAllowed,
  imageProblem,
  imageRegistryErrors,
  parseImageReference,
  registriesFor,
  registryListProblems,
} from './image-registries';

describe('parseImageReference', () => {
  it.each([
    ['registry.example/acme/train:1.4', 'registry.example/acme/train:1.4'],
    ['ubuntu', 'docker.io/library/ubuntu'],
    ['ubuntu:22.04', 'docker.io/library/ubuntu:22.04'],
    ['acme/train', 'docker.io/acme/train'],
    ['index.docker.io/acme/train:1', 'docker.io/acme/train:1'],
    ['docker.io/ubuntu', 'docker.io/library/ubuntu'],
    ['localhost/x', 'localhost/x'],
    ['localhost:5000/team/x:dev', 'localhost:5000/team/x:dev'],
    ['REGISTRY.Example/acme/x', 'registry.example/acme/x'],
    ['10.0.0.1:5000/x', '10.0.0.1:5000/x'],
    [`r.example/a/b@sha256:${'a'.repeat(64)}`, `r.example/a/b@sha256:${'a'.repeat(64)}`],
    [`r.example/a/b:1@sha256:${'a'.repeat(64)}`, `r.example/a/b:1@sha256:${'a'.repeat(64)}`],
  ])('%s normalises to %s', (ref, normalised) =>
    expect(parseImageReference(ref)).toMatchObject({ normalised }),
  );

  it.each([
    ['registry.example/acme/../evil/x', /repository path/],
    ['registry.example/Acme/x', /repository path/],
    ['registry.example//x', /repository path/],
    ['registry.example/acme/x@sha256:short', /digest/],
    ['registry.example/acme/x:-bad', /tag/],
    ['-registry.example/x', /registry host/],
  ])('refuses %s', (ref, why) => expect(parseImageReference(ref)).toMatch(why));
});

describe('image allow-lists', () => {
  const acme = ['registry.example/acme/'];

  it.each([
    ['registry.example/acme/train:1.4', acme, true],
    ['registry.example/acme/team/train@sha256:' + 'b'.repeat(64), acme, true],
    // A prefix ends at a path boundary: a look-alike repository or host never matches.
    ['registry.example/acme-evil/train:1', acme, false],
    ['registry.example/acmex/train:1', acme, false],
    ['registry.example.evil.io/acme/train:1', acme, false],
    ['registry.example:443/acme/train:1', acme, false],
    ['evil.io/registry.example/acme/train:1', acme, false],
    ['registry.example/acme/../evil/x:1', acme, false],
    // Hosts are case-insensitive; paths are lower-case by the grammar.
    ['Registry.Example/acme/train:1', acme, true],
    // Docker Hub short names are normalised before matching.
    ['ubuntu:22.04', ['docker.io/library/'], true],
    ['ubuntu:22.04', acme, false],
    ['acme/train:1', ['docker.io/library/'], false],
    ['acme/train:1', ['docker.io/acme/'], true],
    ['index.docker.io/library/ubuntu', ['docker.io/library/'], true],
    ['docker.io/library/ubuntu', ['index.docker.io/library/'], true],
    // A whole host.
    ['registry.example/anything/x:1', ['registry.example/'], true],
    // No list: anything, even what does not parse (the CRD's own image rule still applies).
    ['registry.example/Acme/x', undefined, true],
  ] as [string, string[] | undefined, boolean][])('%s under %j: %s', (image, list, allowed) =>
    expect(imageAllowed(image, list)).toBe(allowed),
  );

  it('names the normalised reference, the allowed prefixes and the fix', () => {
    expect(imageProblem('ubuntu:22.04', acme)).toBe(
      '"ubuntu:22.04" (docker.io/library/ubuntu:22.04) is not from a registry that the image allow-list allows (registry.example/acme/): use an image under one of these prefixes, or ask the platform team to allow its registry',
    );
  });

  it('reports each refused image at its field', () => {
    expect(
      imageRegistryErrors(
        { image: 'evil.io/x:1', images: { amd: 'registry.example/acme/x:rocm', nvidia: 'evil.io/x:cuda' } },
        acme,
      ),
    ).toEqual([
      { field: 'spec.template.image', message: expect.stringMatching(/^"evil.io\/x:1" is not from/) },
      { field: 'spec.template.images.nvidia', message: expect.stringMatching(/^"evil.io\/x:cuda" is not/) },
    ]);
    expect(imageRegistryErrors({ image: 'evil.io/x:1' }, undefined)).toEqual([]);
  });

  it("uses the tenant's list, else the global one; an empty global list allows anything", () => {
    expect(registriesFor(['a.example/'], ['b.example/'])).toEqual(['a.example/']);
    expect(registriesFor(undefined, ['b.example/'])).toEqual(['b.example/']);
    expect(registriesFor(undefined, [])).toBeUndefined();
    expect(registriesFor(undefined, undefined)).toBeUndefined();
  });

  it('checks global list entries like the Tenant field', () => {
    expect(registryListProblems(['registry.example/acme/', 'localhost:5000/'], '--image-registries')).toEqual(
      [],
    );
    expect(registryListProblems(['registry.example'], '--image-registries')).toEqual([
      expect.stringMatching(/^--image-registries entry "registry.example" must be .*ending with "\/"/),
    ]);
  });
});
