import { test, expect } from '@playwright/test';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { answering, apiSignIn, spawnBerth, stopProcess } from './helpers';

// Providers that take the client secret only one way (oidc-provider with `clientAuthMethods` of one
// method, which discovery then lists alone). Berth sends it as the provider's discovery document offers
// (Basic first, then the form body), or as BERTH_OIDC_CLIENT_AUTH forces.
const cases = [
  { method: 'client_secret_post', setting: 'auto', signsIn: true, idpPort: 5561, berthPort: 3111 },
  { method: 'client_secret_basic', setting: 'auto', signsIn: true, idpPort: 5562, berthPort: 3112 },
  { method: 'client_secret_post', setting: 'post', signsIn: true, idpPort: 5563, berthPort: 3113 },
  { method: 'client_secret_basic', setting: 'post', signsIn: false, idpPort: 5564, berthPort: 3114 },
];

for (const c of cases) {
  test(`a provider taking only ${c.method}, BERTH_OIDC_CLIENT_AUTH=${c.setting}: ${c.signsIn ? 'signs in' : 'refused, and Berth says so'}`, async ({}, info) => {
    test.skip(info.project.name !== 'js-on', 'the exchange is server to server: one project covers it');
    const idp = `http://127.0.0.1:${c.idpPort}`;
    const berth = `http://127.0.0.1:${c.berthPort}`;
    const provider = spawn('node', [fileURLToPath(new URL('../stack/oidc-provider.mjs', import.meta.url))], {
      env: { ...process.env, OIDC_PORT: String(c.idpPort), OIDC_ISSUER: idp, BERTH_URL: berth, OIDC_CLIENT_AUTH_METHOD: c.method },
      stdio: 'ignore',
    });
    const replica = spawnBerth(c.berthPort, {
      BERTH_PUBLIC_URL: berth, BERTH_OIDC_ISSUER: idp, BERTH_OIDC_CLIENT_AUTH: c.setting,
    });
    try {
      await answering(`${idp}/.well-known/openid-configuration`);
      const discovery = await (await fetch(`${idp}/.well-known/openid-configuration`)).json();
      expect(discovery.token_endpoint_auth_methods_supported).toEqual([c.method]);
      await answering(`${berth}/healthz`);
      if (c.signsIn) {
        const session = await apiSignIn('bob', berth);
        const page = await session.get(`${berth}/teams/alpha`);
        expect(page.status()).toBe(200);
        expect(await page.text()).toContain('bob');
        await session.dispose();
      } else {
        const failed = apiSignIn('bob', berth);
        await expect(failed).rejects.toThrow();
      }
    } finally {
      await Promise.all([stopProcess(replica, 'SIGTERM'), stopProcess(provider, 'SIGTERM')]);
    }
  });
}
