import { test, expect } from '@playwright/test';
import { type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { signIn, spawnBerth, stopProcess } from './helpers';

// Several replicas: two more Berth processes (UI only, like the replicas that do not hold the Lease),
// both keeping sessions in the stack's Redis and signing cookies with the same key. A user signed in
// through one is signed in at the other, and stays so when the first is killed.
const [firstPort, secondPort] = (process.env.REPLICA_PORTS ?? '3103,3104').split(',').map(Number);
const url = (port: number) => `http://127.0.0.1:${port}`;

function startReplica(port: number): ChildProcess {
  const redisUrl = process.env.STACK_REDIS_URL;
  if (!redisUrl) throw new Error('STACK_REDIS_URL is not set: run through `make test`');
  // Behind one address in a real cluster; here the first replica's is the registered redirect URI.
  return spawnBerth(port, { BERTH_PUBLIC_URL: url(firstPort), BERTH_REDIS_URL: redisUrl });
}

async function readiness(port: number): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url(port)}/readyz`);
  return { status: response.status, body: await response.json() };
}

test('a session lives in Redis: it works on every replica and survives the one that made it', async ({ page }) => {
  const first = startReplica(firstPort);
  const second = startReplica(secondPort);
  try {
    for (const port of [firstPort, secondPort]) {
      await expect.poll(async () => (await readiness(port).catch(() => ({ status: 0, body: null }))).status, { timeout: 20_000 }).toBe(200);
      const { body } = await readiness(port);
      expect(body.checks.sessions.ok).toBe(true);
      expect(body.checks.sessions.detail).toMatch(/^Redis answered in \d+ ms$/);
    }

    await signIn(page, 'bob', '/teams/alpha', url(firstPort));
    await expect(page.locator('h1')).toContainText('alpha');

    // The next request reaches the other replica (cookies are per host, not per port).
    await page.goto(`${url(secondPort)}/teams/alpha`);
    await expect(page.locator('#signed-in-as')).toContainText('bob');
    await expect(page.locator('h1')).toContainText('alpha');

    // The replica that signed bob in dies without a chance to clean up.
    await stopProcess(first);
    await expect.poll(() => fetch(`${url(firstPort)}/healthz`).then(() => 'up', () => 'down')).toBe('down');
    await page.reload();
    await expect(page.locator('#signed-in-as')).toContainText('bob');
    await expect(page.locator('h1')).toContainText('alpha');
  } finally {
    await Promise.all([stopProcess(first), stopProcess(second)]);
  }
});

test('a session cookie without the shared key\'s signature is refused', async ({ page, context }) => {
  const replica = startReplica(secondPort);
  try {
    await expect.poll(async () => (await readiness(secondPort).catch(() => ({ status: 0 }))).status, { timeout: 20_000 }).toBe(200);
    // A session id without the signature every replica checks (a guessed id, or a cookie signed with
    // another key) is no session: the visitor is sent to sign in.
    await context.addCookies([{ name: 'berth_session', value: 'AAAAAAAAAAAAAAAAAAAAAA', url: url(secondPort) }]);
    await page.goto(`${url(secondPort)}/teams/alpha`);
    await expect(page.locator('#username')).toBeVisible();
    await expect(page.locator('#signed-in-as')).toHaveCount(0);
  } finally {
    await stopProcess(replica);
  }
});

test('Redis not answering makes a replica unready, and ready again when it returns', async () => {
  const replica = startReplica(secondPort);
  const redisPid = Number(readFileSync(`${process.env.STACK}/redis.pid`, 'utf8'));
  try {
    await expect.poll(async () => (await readiness(secondPort).catch(() => ({ status: 0 }))).status, { timeout: 20_000 }).toBe(200);
    process.kill(redisPid, 'SIGSTOP');
    try {
      const started = Date.now();
      const { status, body } = await readiness(secondPort);
      expect(status).toBe(503);
      expect(body.checks.sessions.ok).toBe(false);
      expect(body.checks.sessions.detail).toMatch(/Redis did not answer within \d+ s/);
      expect(Date.now() - started).toBeLessThan(6_000);
    } finally {
      process.kill(redisPid, 'SIGCONT');
    }
    await expect.poll(async () => (await readiness(secondPort)).status, { timeout: 20_000 }).toBe(200);
  } finally {
    await stopProcess(replica);
  }
});

test('Redis not answering: a signed-in user and a new sign-in get a clear 503, nobody is signed in, and the session made before works again once Redis answers', async ({ page }) => {
  const replica = startReplica(firstPort);
  const redisPid = Number(readFileSync(`${process.env.STACK}/redis.pid`, 'utf8'));
  try {
    await expect.poll(async () => (await readiness(firstPort).catch(() => ({ status: 0 }))).status, { timeout: 20_000 }).toBe(200);
    await signIn(page, 'bob', '/teams/alpha', url(firstPort));
    await expect(page.locator('h1')).toContainText('alpha');
    process.kill(redisPid, 'SIGSTOP');
    try {
      // bob's session cannot be read: an outage page, not a sign-in that could not finish anyway.
      const page503 = await page.goto(`${url(firstPort)}/teams/alpha`);
      expect(page503?.status()).toBe(503);
      await expect(page.locator('body')).toContainText("Berth's session store is not answering");
      await expect(page.locator('#signed-in-as')).toHaveCount(0);
      // A new visitor's sign-in cannot keep its pending state: the same answer, before the IdP is asked.
      const login = await fetch(`${url(firstPort)}/auth/login`, { redirect: 'manual' });
      expect(login.status).toBe(503);
      expect(await login.text()).toContain('session store is not answering');
      // A server function answers with the outage too, not with "please sign in".
      const call = await page.request.post(`${url(firstPort)}/api/current_user`, { headers: { origin: url(firstPort) } });
      expect(call.status()).toBe(502);
    } finally {
      process.kill(redisPid, 'SIGCONT');
    }
    await page.goto(`${url(firstPort)}/teams/alpha`);
    await expect(page.locator('#signed-in-as')).toContainText('bob');
    await expect(page.locator('h1')).toContainText('alpha');
  } finally {
    await stopProcess(replica);
  }
});
