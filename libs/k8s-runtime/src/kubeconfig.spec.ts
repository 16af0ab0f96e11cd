import { stringify } from 'yaml';
import { KubeconfigError, parseKubeconfig } from './kubeconfig';

const config = (user: Record<string, unknown>, cluster: Record<string, unknown> = {}) =>
  stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'site',
    contexts: [{ name: 'site', context: { cluster: 'c', user: 'u' } }],
    clusters: [{ name: 'c', cluster: { server: 'https://10.0.0.1:6443/', ...cluster } }],
    users: [{ name: 'u', user }],
  });

describe('parseKubeconfig (a Site Secret)', () => {
  it('resolves inline certificates and tokens', () => {
    const c = parseKubeconfig(
      config(
        { token: 's3cret', 'client-key-data': Buffer.from('KEY').toString('base64') },
        { 'certificate-authority-data': Buffer.from('CA').toString('base64') },
      ),
      { source: 'Secret kentaur-system/site-fi-1 key kubeconfig' },
    );
    expect(c.server).toBe('https://10.0.0.1:6443');
    expect(c.token).toBe('s3cret');
    expect(c.caData?.toString()).toBe('CA');
    expect(c.keyData?.toString()).toBe('KEY');
  });

  it('refuses file references without a directory, naming the source and the fix', () => {
    expect(() =>
      parseKubeconfig(config({ 'client-certificate': '/etc/cert.pem' }), { source: 'Secret s' }),
    ).toThrow(
      new KubeconfigError(
        'Secret s: refers to a file (/etc/cert.pem); put certificates and tokens inline (*-data, token)',
      ),
    );
  });

  it('never quotes the content in its errors', () => {
    const secretText = 'token: hunter2-very-secret\n  - : [';
    let message = '';
    try {
      parseKubeconfig(secretText, { source: 'Secret s' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe('Secret s: not a kubeconfig (not YAML)');
    expect(() => parseKubeconfig('', { source: 'Secret s' })).toThrow(
      'Secret s: not a kubeconfig (empty or not YAML)',
    );
    expect(() => parseKubeconfig(config({ exec: { command: 'x' } }), { source: 'Secret s' })).toThrow(
      /uses an exec or auth-provider plugin/,
    );
  });
});
