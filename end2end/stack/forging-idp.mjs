// An attacker's identity provider for the sign-in attack tests: it speaks just enough OIDC (discovery,
// JWKS, an authorization endpoint that answers at once, a token endpoint that checks PKCE) and hands
// out the ID token the current mode asks for. In mode `valid` its token is correct, which proves a
// refusal in any other mode is Berth's check and not a broken flow.
// Env: FORGER_PORT (5557), FORGER_CLIENT_SECRET, FORGER_REDIRECT_URI. Control: POST /__mode {"mode"},
// GET /__log (what each token request carried). Mode `down` drops every connection (an outage).
import http from 'node:http';
import { createHash, createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';

const PORT = Number(process.env.FORGER_PORT || 5557);
const ISSUER = `http://127.0.0.1:${PORT}`;
const CLIENT_ID = 'berth';
const CLIENT_SECRET = process.env.FORGER_CLIENT_SECRET || 'forger-client-secret';
const REDIRECT_URI = process.env.FORGER_REDIRECT_URI;

const trusted = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwks = { keys: [{ ...trusted.publicKey.export({ format: 'jwk' }), kid: 'forger-1', use: 'sig', alg: 'RS256' }] };

const b64url = (data) => Buffer.from(data).toString('base64url');
const codes = new Map();
const log = [];
let mode = 'valid';
let lastValidToken = null;

function jwt(header, payload, signWith) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${signWith(input)}`;
}
const rs256 = (key) => (input) => sign('sha256', Buffer.from(input), key).toString('base64url');

function idToken(grant) {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: ISSUER, aud: CLIENT_ID, sub: 'mallory', preferred_username: 'mallory', name: 'Mallory',
    groups: ['berth-admins', 'team-alpha'], iat: now, exp: now + 300, nonce: grant.nonce,
  };
  const header = { alg: 'RS256', typ: 'JWT', kid: 'forger-1' };
  const signed = (c = claims, h = header) => jwt(h, c, rs256(trusted.privateKey));
  switch (mode) {
    case 'valid': return (lastValidToken = signed());
    case 'wrong-issuer': return signed({ ...claims, iss: 'http://127.0.0.1:5556' });
    case 'wrong-audience': return signed({ ...claims, aud: 'some-other-client' });
    case 'expired': return signed({ ...claims, iat: now - 3600, exp: now - 600 });
    case 'not-yet-valid': return signed({ ...claims, nbf: now + 3600, exp: now + 7200 });
    case 'issued-in-the-future': return signed({ ...claims, iat: now + 3600, exp: now + 7200 });
    case 'alg-none': return `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}.`;
    case 'bad-signature': {
      const [h, p, s] = signed().split('.');
      const bytes = Buffer.from(s, 'base64url');
      bytes[0] ^= 0x01;
      return `${h}.${p}.${bytes.toString('base64url')}`;
    }
    // The trusted key's id on a token the stranger's key signed, and the stranger's own id.
    case 'known-kid-other-key': return jwt(header, claims, rs256(stranger.privateKey));
    case 'unknown-key': return jwt({ ...header, kid: 'forger-2' }, claims, rs256(stranger.privateKey));
    // Key confusion: the public key's PEM used as an HMAC secret.
    case 'hs256-public-key': return jwt({ alg: 'HS256', typ: 'JWT', kid: 'forger-1' }, claims,
      (input) => createHmac('sha256', trusted.publicKey.export({ type: 'spki', format: 'pem' })).update(input).digest('base64url'));
    case 'nonce-mismatch': return signed({ ...claims, nonce: b64url(randomBytes(16)) });
    case 'nonce-missing': { const { nonce, ...rest } = claims; return signed(rest); }
    // A correct token from an earlier sign-in (its nonce belongs to that sign-in), played again.
    case 'nonce-replay': return lastValidToken;
    default: throw new Error(`unknown mode ${mode}`);
  }
}

function body(req) {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (c) => { data += c; });
    req.on('end', () => resolve(data));
  });
}

function json(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(value));
}

http.createServer(async (req, res) => {
  const url = new URL(req.url, ISSUER);
  // Mode `down`: an outage, every connection dropped without an answer (the controls still answer).
  if (mode === 'down' && !url.pathname.startsWith('/__')) return req.socket.destroy();
  if (url.pathname === '/.well-known/openid-configuration') {
    return json(res, 200, {
      issuer: ISSUER, authorization_endpoint: `${ISSUER}/authorize`, token_endpoint: `${ISSUER}/token`,
      jwks_uri: `${ISSUER}/jwks`, response_types_supported: ['code'], subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'], scopes_supported: ['openid', 'profile', 'email', 'groups'],
      token_endpoint_auth_methods_supported: ['client_secret_basic'], code_challenge_methods_supported: ['S256'],
    });
  }
  if (url.pathname === '/jwks') return json(res, 200, jwks);
  if (url.pathname === '/authorize') {
    const p = url.searchParams;
    if (p.get('client_id') !== CLIENT_ID || (REDIRECT_URI && p.get('redirect_uri') !== REDIRECT_URI)) return json(res, 400, { error: 'invalid_request' });
    const code = b64url(randomBytes(24));
    codes.set(code, { nonce: p.get('nonce'), challenge: p.get('code_challenge'), method: p.get('code_challenge_method') });
    const back = new URL(p.get('redirect_uri'));
    back.searchParams.set('code', code);
    back.searchParams.set('state', p.get('state') ?? '');
    res.writeHead(302, { location: back.toString() });
    return res.end();
  }
  if (url.pathname === '/token' && req.method === 'POST') {
    const form = new URLSearchParams(await body(req));
    const [id, secret] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':').map(decodeURIComponent);
    const grant = codes.get(form.get('code'));
    codes.delete(form.get('code'));
    const verifier = form.get('code_verifier');
    const pkce = Boolean(grant && verifier && grant.method === 'S256'
      && createHash('sha256').update(verifier).digest('base64url') === grant.challenge);
    log.push({ mode, clientAuthenticated: id === CLIENT_ID && secret === CLIENT_SECRET, verifierSent: Boolean(verifier), pkce });
    if (id !== CLIENT_ID || secret !== CLIENT_SECRET) return json(res, 401, { error: 'invalid_client' });
    if (!grant || !pkce) return json(res, 400, { error: 'invalid_grant' });
    return json(res, 200, { access_token: b64url(randomBytes(24)), token_type: 'Bearer', expires_in: 300, id_token: idToken(grant) });
  }
  if (url.pathname === '/__mode' && req.method === 'POST') {
    mode = JSON.parse(await body(req)).mode;
    return json(res, 200, { mode });
  }
  if (url.pathname === '/__log') return json(res, 200, log);
  json(res, 404, { error: 'not_found' });
}).listen(PORT, '127.0.0.1', () => console.log(`forging idp ready: ${ISSUER}`));
