'use strict';

// The MFA and passkey steps of the managed login pages in a real browser:
// Debian's Chromium, headless, driven by playwright-core, following plain
// authorization-code redirects (PKCE) to http://localhost:PORT/POOL/login.
// 1. A user of a pool requiring MFA signs in with a password, sets up an
//    authenticator app from the secret shown beside the QR code (the code
//    computed here), and signs in again with a TOTP code.
// 2. A user of a passkey pool signs in with a password, accepts the passkey
//    registration prompt (a CDP virtual authenticator answers), and signs in
//    again with the passkey alone.
// Every sign-in ends at the callback with a code that the token endpoint
// exchanges. Run by e2e/login_mfa_test.go.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { totp } = require('../mfa/totp.js');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through go test ./e2e`);
  return v;
};
const BASE = env('BASE_URL');
const CALLBACK = env('CALLBACK_URL');
const SHOTS = process.env.SCREENSHOT_DIR;

function authorize(poolId, clientId) {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const state = crypto.randomBytes(8).toString('hex');
  const q = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: CALLBACK, scope: 'openid email',
    state, code_challenge: challenge, code_challenge_method: 'S256' });
  return { url: `${BASE}/${poolId}/oauth2/authorize?${q}`, verifier, state };
}

// signedIn waits for the callback and exchanges its code for tokens.
async function signedIn(tab, poolId, clientId, req) {
  await tab.waitForURL((u) => u.href.startsWith(CALLBACK), { timeout: 15000 });
  const cb = new URL(tab.url());
  assert.equal(cb.searchParams.get('state'), req.state);
  const code = cb.searchParams.get('code');
  assert.ok(code, 'a code at the callback');
  const res = await fetch(`${BASE}/${poolId}/oauth2/token`, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, code, redirect_uri: CALLBACK, code_verifier: req.verifier }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return JSON.parse(Buffer.from(body.id_token.split('.')[1], 'base64url').toString());
}

async function shot(tab, name) {
  if (SHOTS) await tab.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

test('managed login: MFA set-up with an authenticator app, then a TOTP code', async () => {
  const poolId = env('TOTP_POOL_ID');
  const clientId = env('TOTP_CLIENT_ID');
  const browser = await launch();
  try {
    const context = await browser.newContext();
    const tab = await context.newPage();
    let req = authorize(poolId, clientId);
    await tab.goto(req.url);
    await tab.getByLabel('Username').fill('tina');
    await tab.getByLabel('Password').fill('Tina-Passw0rd!');
    await tab.getByRole('button', { name: 'Sign in', exact: true }).click();
    await tab.getByRole('heading', { name: 'Set up an authenticator app' }).waitFor();
    assert.ok(await tab.getByRole('img', { name: 'QR code of the authenticator secret' }).isVisible(), 'the QR code shows');
    await shot(tab, 'mfa-setup-totp');
    const secret = (await tab.locator('#totp-secret').textContent()).trim();
    assert.match(secret, /^[A-Z2-7]+$/);
    await tab.getByLabel('Code from the app').fill(totp(secret));
    await tab.getByRole('button', { name: 'Verify and sign in' }).click();
    const first = await signedIn(tab, poolId, clientId, req);
    assert.equal(first['cognito:username'], 'tina');

    // A new browser session: the password, then the TOTP step.
    await context.clearCookies();
    req = authorize(poolId, clientId);
    await tab.goto(req.url);
    await tab.getByLabel('Username').fill('tina');
    await tab.getByLabel('Password').fill('Tina-Passw0rd!');
    await tab.getByRole('button', { name: 'Sign in', exact: true }).click();
    await tab.getByRole('heading', { name: 'Verify your sign-in' }).waitFor();
    await shot(tab, 'mfa-totp-code');
    await tab.getByLabel('Code').fill('000000');
    await tab.getByRole('button', { name: 'Sign in' }).click();
    await tab.getByRole('alert').waitFor();
    assert.match(await tab.getByRole('alert').textContent(), /Invalid code/);
    await tab.getByLabel('Code').fill(totp(secret, 1));
    await tab.getByRole('button', { name: 'Sign in' }).click();
    const second = await signedIn(tab, poolId, clientId, req);
    assert.equal(second['cognito:username'], 'tina');
  } finally {
    await browser.close();
  }
});

test('managed login: the passkey registration prompt, then sign-in with the passkey', async () => {
  const poolId = env('PASSKEY_POOL_ID');
  const clientId = env('PASSKEY_CLIENT_ID');
  const browser = await launch();
  try {
    const context = await browser.newContext();
    const tab = await context.newPage();
    const logs = [];
    tab.on('console', (m) => logs.push(m.text()));
    const cdp = await context.newCDPSession(tab);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
        isUserVerified: true, automaticPresenceSimulation: true },
    });
    let req = authorize(poolId, clientId);
    await tab.goto(req.url);
    await tab.getByLabel('Username').fill('pat');
    await tab.getByLabel('Password').fill('Pat-Passw0rd!');
    await tab.getByRole('button', { name: 'Sign in', exact: true }).click();
    await tab.getByRole('heading', { name: 'Sign in faster with a passkey' }).waitFor();
    await shot(tab, 'passkey-prompt');
    await tab.getByRole('button', { name: 'Add a passkey' }).click();
    const first = await signedIn(tab, poolId, clientId, req).catch((err) => { throw new Error(`${err.message}\nconsole:\n${logs.join('\n')}`); });
    assert.equal(first['cognito:username'], 'pat');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1, 'the virtual authenticator holds the new passkey');
    assert.equal(credentials[0].rpId, 'localhost');

    // Signed out (no session cookie): the username, then the passkey.
    await context.clearCookies();
    req = authorize(poolId, clientId);
    await tab.goto(req.url);
    await tab.getByLabel('Username').fill('pat');
    await tab.getByRole('button', { name: 'Sign in with passkey' }).click();
    await tab.getByRole('heading', { name: 'Sign in with a passkey' }).waitFor();
    await shot(tab, 'passkey-sign-in');
    await tab.getByRole('button', { name: 'Continue with passkey' }).click();
    const second = await signedIn(tab, poolId, clientId, req).catch((err) => { throw new Error(`${err.message}\nconsole:\n${logs.join('\n')}`); });
    assert.equal(second['cognito:username'], 'pat');
    const after = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.ok(after.credentials[0].signCount >= 1, 'the authenticator signed an assertion');
  } finally {
    await browser.close();
  }
});
