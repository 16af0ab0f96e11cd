import { parseDuration } from '@kentaur/api';
import type { FieldProblem } from '../../errors';
import type { SubmitWorkloadInput, WorkloadSpecInput } from './workload.inputs';

/**
 * What the CRD's schema cannot say about GraphQL input: the fields that exist only here (the
 * idempotency key, sandbox run times), duplicates that a map would silently merge, and vendors the
 * factory does not know. Everything else is checked by the CRD's own rules (validateResource).
 */

const MAX_KEY_LENGTH = 256;

/** `spec.template.image` (a CRD path) → `input.spec.template.image` (the GraphQL input path). */
export function toInputField(crdField: string, root = 'input'): string {
  if (crdField === 'metadata.name') return `${root}.name`;
  if (crdField === '' || crdField === 'spec') return `${root}.spec`;
  return `${root}.${crdField.replace(/^\.?spec\./, 'spec.')}`;
}

export function specProblems(
  spec: WorkloadSpecInput,
  knownVendors: readonly string[],
  root: string,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const known = new Set(knownVendors);
  const hint = `known vendors: ${knownVendors.join(', ')}`;
  spec.accelerators.vendors?.forEach((v, i) => {
    if (!known.has(v))
      problems.push({
        field: `${root}.accelerators.vendors[${i}]`,
        message: `unknown vendor "${v}" (${hint})`,
      });
  });
  const seen = new Set<string>();
  spec.template.images?.forEach((img, i) => {
    const field = `${root}.template.images[${i}].vendor`;
    if (!known.has(img.vendor)) problems.push({ field, message: `unknown vendor "${img.vendor}" (${hint})` });
    else if (seen.has(img.vendor))
      problems.push({ field, message: `vendor "${img.vendor}" has two images: keep one entry per vendor` });
    seen.add(img.vendor);
  });
  return problems;
}

function sandboxProblems(input: SubmitWorkloadInput, sandbox: boolean): FieldProblem[] {
  const run = input.sandbox;
  if (!run) return [];
  if (!sandbox)
    return [{ field: 'input.sandbox', message: 'is accepted only by a sandbox gateway; remove it' }];
  const problems: FieldProblem[] = [];
  const seconds =
    run.runFor.length <= 32 && /^([0-9]+(ms|s|m|h))+$/.test(run.runFor)
      ? parseDuration(run.runFor)
      : undefined;
  if (seconds === undefined || seconds > 720 * 3600)
    problems.push({
      field: 'input.sandbox.runFor',
      message: 'must be a duration up to 720h, e.g. "30s" or "2m"',
    });
  if (run.exitCode !== undefined && run.exitCode !== null && (run.exitCode < 0 || run.exitCode > 255))
    problems.push({ field: 'input.sandbox.exitCode', message: 'must be between 0 and 255' });
  return problems;
}

export function inputProblems(
  input: SubmitWorkloadInput,
  o: { sandbox: boolean; knownVendors: readonly string[] },
): FieldProblem[] {
  const problems = specProblems(input.spec, o.knownVendors, 'input.spec');
  const key = input.idempotencyKey;
  if (
    key !== undefined &&
    key !== null &&
    (key.length === 0 || key.length > MAX_KEY_LENGTH || /[\p{Cc}\p{Cf}]/u.test(key))
  )
    problems.push({
      field: 'input.idempotencyKey',
      message: `must be 1–${MAX_KEY_LENGTH} printable characters, e.g. a UUID`,
    });
  return [...problems, ...sandboxProblems(input, o.sandbox)];
}
