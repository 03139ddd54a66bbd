// The local identity provider: npm `oidc-provider` (OpenID Certified) with the demo users of users.json,
// one confidential client (Berth), PKCE required, a plain login form and RP-initiated logout.
// Env: OIDC_PORT (5556), OIDC_HOST (127.0.0.1), OIDC_ISSUER, OIDC_CLIENT_SECRET, BERTH_URL, OIDC_STATE_DIR,
// OIDC_CLIENT_AUTH_METHOD (set: the only way the token endpoint takes the client's secret, and the only
// one discovery lists; client_secret_basic or client_secret_post).
import Provider from 'oidc-provider';
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const PORT = Number(process.env.OIDC_PORT || 5556);
const HOST = process.env.OIDC_HOST || '127.0.0.1';
const ISSUER = process.env.OIDC_ISSUER || `http://${HOST}:${PORT}`;
const BERTH_URLS = (process.env.BERTH_URL || 'http://127.0.0.1:3000').split(',');
const users = JSON.parse(readFileSync(join(here, 'users.json'), 'utf8'));
const CLIENT_AUTH = process.env.OIDC_CLIENT_AUTH_METHOD;
const stateDir = process.env.OIDC_STATE_DIR || join(here, '..', '..', '.stack');
mkdirSync(stateDir, { recursive: true });

const clients = [{
  client_id: 'berth',
  client_secret: process.env.OIDC_CLIENT_SECRET || 'berth-demo-client-secret',
  redirect_uris: BERTH_URLS.map((u) => `${u}/auth/callback`),
  post_logout_redirect_uris: BERTH_URLS.map((u) => `${u}/signed-out`),
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: CLIENT_AUTH || 'client_secret_basic',
  id_token_signed_response_alg: 'RS256',
}];

// The signing key survives restarts, so a restarted provider still validates for a running Berth.
const jwksPath = join(stateDir, 'oidc-jwks.json');
if (!existsSync(jwksPath)) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'berth-demo-rs256', use: 'sig', alg: 'RS256' };
  writeFileSync(jwksPath, JSON.stringify({ keys: [jwk] }), { mode: 0o600 });
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}input,button{display:block;margin:.5rem 0;padding:.5rem;width:100%}</style></head><body>${body}</body></html>`;

const provider = new Provider(ISSUER, {
  clients,
  jwks: JSON.parse(readFileSync(jwksPath, 'utf8')),
  cookies: { keys: [randomBytes(32).toString('hex')] },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'], groups: ['groups'] },
  // Scope-granted claims (groups among them) go into the ID token, as Keycloak's and Dex's do.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  ...(CLIENT_AUTH ? { clientAuthMethods: [CLIENT_AUTH] } : {}),
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page('Sign out', `${form}<button id="logout-yes" type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
<script>document.getElementById('logout-yes').click()</script>`);
      },
      async postLogoutSuccessSource(ctx) { ctx.body = page('Signed out', '<p id="signed-out">Signed out</p>'); },
    },
  },
  ttl: { AccessToken: 600, IdToken: 600, RefreshToken: 86400, Session: 86400, Grant: 86400, Interaction: 600 },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const u = users.find((x) => x.sub === id);
    if (!u) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, name: u.name, preferred_username: u.username, email: u.email, email_verified: true, groups: u.groups };
      },
    };
  },
});

function readBody(req) {
  return new Promise((resolve, reject) => {
    let d = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { d += c; if (d.length > 1e5) reject(new Error('body too large')); });
    req.on('end', () => resolve(new URLSearchParams(d)));
    req.on('error', reject);
  });
}

const loginForm = (uid, error) => page('Sign in', `<h1>Sign in to the demo identity provider</h1>${error ? `<p id="error" role="alert">${esc(error)}</p>` : ''}
<form id="login-form" method="post" action="/interaction/${esc(uid)}/login">
<label for="username">Username</label><input id="username" name="username" autocomplete="username" autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">
<button id="submit" type="submit">Sign in</button></form>`);

// Login against users.json, then automatic consent (Berth is a first-party client).
provider.use(async (ctx, next) => {
  const m = ctx.path.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (!m) return next();
  ctx.set('cache-control', 'no-store');
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { uid, prompt, params, session } = details;
  if (prompt.name === 'login') {
    if (ctx.method === 'POST' && m[2]) {
      const body = await readBody(ctx.req);
      const u = users.find((x) => x.username === body.get('username') && x.password === body.get('password'));
      if (!u) { ctx.status = 401; ctx.type = 'html'; ctx.body = loginForm(uid, 'Invalid username or password'); return; }
      ctx.respond = false;
      return provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: u.sub } }, { mergeWithLastSubmission: false });
    }
    ctx.type = 'html';
    ctx.body = loginForm(uid);
    return;
  }
  if (prompt.name === 'consent') {
    const grant = details.grantId ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const d = prompt.details;
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    if (d.missingResourceScopes) for (const [ind, sc] of Object.entries(d.missingResourceScopes)) grant.addResourceScope(ind, sc.join(' '));
    const grantId = await grant.save();
    ctx.respond = false;
    return provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  ctx.throw(501, `prompt ${prompt.name} is not handled`);
});

provider.listen(PORT, HOST, () => console.log(`oidc-provider ready: ${ISSUER}`));
