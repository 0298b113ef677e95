'use strict';

// SAML federation in a real browser: oidc-client-ts in headless Chromium
// starts sign-in, the managed login page offers "Continue with Corp" (a SAML
// identity provider of the pool), the IdP (crewjam/saml in the Go test
// process) asks who signs in and auto-submits its HTTP-POST form to
// /saml2/idpresponse, and the app gets its tokens. Chromium trusts Cognate's
// local CA by its SPKI hash. Run by e2e/saml_test.go (TestBrowserSAMLSignIn).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { chromium } = require('playwright-core');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through go test ./e2e`);
  return v;
};
const APP = env('APP_URL');
const IDP = env('IDP_URL');
const SPKI = env('CA_SPKI');
const SHOTS = env('SCREENSHOT_DIR');

async function shot(tab, name) {
  await tab.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: true });
}

test('sign in through a SAML identity provider from the managed login page', async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', `--ignore-certificate-errors-spki-list=${SPKI}`],
  });
  try {
    const tab = await browser.newPage();
    await tab.goto(APP + '/');
    await tab.getByRole('button', { name: 'Sign in' }).click();
    await tab.waitForURL(/\/login\?/);
    await shot(tab, 'saml-provider-button');
    await tab.getByRole('link', { name: 'Continue with Corp' }).click();
    // The IdP's own page, reached by the HTTP-Redirect binding.
    await tab.waitForURL((u) => u.href.startsWith(IDP + '/sso?') && u.searchParams.has('SAMLRequest') && u.searchParams.has('RelayState'));
    await shot(tab, 'saml-idp-sign-in');
    await tab.getByLabel('Username').fill('gwen@corp.example');
    await tab.getByRole('button', { name: 'Sign in to Corp' }).click();
    // The IdP posts the assertion back; Cognate redirects to the app with a code.
    await tab.waitForURL(/\/callback\.html/);
    const out = await tab.locator('#out').filter({ hasText: '{' }).textContent({ timeout: 15000 });
    const user = JSON.parse(out);
    assert.equal(user.email, 'gwen@corp.example');
    assert.match(user.scope, /openid/);
    await shot(tab, 'saml-signed-in-app');
  } finally {
    await browser.close();
  }
});
