// How the live suite reads the API server's answers as verdicts, and when it calls lint and admission agreed.
import { describe, expect, it } from '@jest/globals';
import { admissionVerdict, expectedVerdict, verdictsAgree } from './admission.ts';

const denied = (policy: string) => ({
  status: 422,
  body: {
    message: `deployments.apps "shop" is forbidden: ValidatingAdmissionPolicy '${policy}' with binding '${policy}-strict' denied request: runs 1 replica(s)`,
  },
  warnings: [],
});
const warned = (...policies: string[]) => ({
  status: 201,
  body: {},
  warnings: policies.map(
    (p) => `Validation failed for ValidatingAdmissionPolicy '${p}' with binding '${p}-baseline': no probes`,
  ),
});

describe('admission verdicts', () => {
  it('names the policy that denied, and the policies that warned', () => {
    expect(admissionVerdict(denied('mayday-replicas'))).toMatchObject({ denied: 'mayday-replicas', warned: [] });
    expect(admissionVerdict(warned('mayday-probes', 'mayday-image-tag'))).toEqual({
      warned: ['mayday-image-tag', 'mayday-probes'],
    });
    expect(admissionVerdict({ status: 400, body: { message: 'bad' }, warnings: [] }).denied).toBe(
      '(not a policy: 400)',
    );
  });

  it('agrees only when denied by one of lint errors, or admitted with exactly lint warnings', () => {
    const lint = (findings: Record<string, string>) => expectedVerdict(findings);
    expect(
      verdictsAgree(
        lint({ 'mayday-replicas': 'error', 'mayday-pdb': 'error' }),
        admissionVerdict(denied('mayday-pdb')),
      ),
    ).toBe(true);
    expect(verdictsAgree(lint({ 'mayday-replicas': 'error' }), admissionVerdict(denied('mayday-pdb')))).toBe(false);
    expect(verdictsAgree(lint({}), admissionVerdict(denied('mayday-pdb')))).toBe(false);
    expect(verdictsAgree(lint({ 'mayday-probes': 'warning' }), admissionVerdict(warned('mayday-probes')))).toBe(true);
    expect(verdictsAgree(lint({ 'mayday-probes': 'warning' }), admissionVerdict(warned()))).toBe(false);
    expect(verdictsAgree(lint({ 'mayday-probes': 'info' }), admissionVerdict(warned()))).toBe(true);
  });
});
