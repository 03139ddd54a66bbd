import { test, expect } from '@playwright/test';
import { kubectl, signIn, setDownload, spawnBerth, stopProcess } from './helpers';

// A replica allowing 2 push-secret downloads per user per minute; the registered redirect URI's port.
const port = Number((process.env.REPLICA_PORTS ?? '3103,3104').split(',')[0]);
const base = `http://127.0.0.1:${port}`;

test('repeated downloads are refused once the limit is reached, with Retry-After, and audited', async ({ page }) => {
  setDownload('alpha', true);
  const replica = spawnBerth(port, { BERTH_PUBLIC_URL: base, BERTH_DOWNLOAD_LIMIT: '2', BERTH_DOWNLOAD_WINDOW_SECS: '60' });
  try {
    await expect.poll(() => fetch(`${base}/healthz`).then((r) => r.status, () => 0), { timeout: 20_000 }).toBe(200);
    await signIn(page, 'bob', '/teams/alpha', base);
    const download = (file: string) => page.request.get(`${base}/teams/alpha/downloads/${file}`);
    expect((await download('password.txt')).status()).toBe(200);
    expect((await download('docker-config.json')).status()).toBe(200);
    // Every format counts: the third download within the minute is refused before the secret is read.
    const refused = await download('auth.json');
    expect(refused.status()).toBe(429);
    const retryAfter = Number(refused.headers()['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const body = await refused.text();
    expect(body).toContain('Too many downloads');
    expect(body).not.toContain('"password"');
    // The refusal is an audit record like any other.
    await expect.poll(() => {
      const events = JSON.parse(kubectl('get', 'events', '-n', 'default', '-l', 'berth.dev/action=push-secret-download,berth.dev/result=denied', '-o', 'json'));
      return events.items.some((e: any) => e.metadata.annotations?.['berth.dev/actor'] === 'bob' && e.metadata.annotations?.['berth.dev/detail'] === 'containers-auth, rate limited');
    }, { timeout: 10_000 }).toBe(true);
  } finally {
    await stopProcess(replica);
  }
});
