// Amplify v6 (aws-amplify with userPoolEndpoint) against Cognate: signIn and
// confirmSignIn through CONTINUE_SIGN_IN_WITH_TOTP_SETUP,
// CONFIRM_SIGN_IN_WITH_TOTP_CODE, CONFIRM_SIGN_IN_WITH_EMAIL_CODE and the
// MFA_SETUP selection with email set-up. The Go
// test TestNodeAmplifyMFA creates the pools and users and runs this file with
// COGNATE_URL, COGNATE_BIN, TOTP_POOL_ID, TOTP_CLIENT_ID, EMAIL_POOL_ID,
// EMAIL_CLIENT_ID, SETUP_POOL_ID, SETUP_CLIENT_ID, CHOICE_POOL_ID,
// CHOICE_CLIENT_ID, COGNATE_PASSWORD.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { Amplify } from 'aws-amplify';
import { signIn, confirmSignIn, signOut, fetchAuthSession } from 'aws-amplify/auth';

const require = createRequire(import.meta.url);
const { totp } = require('./totp.js');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through go test ./e2e`);
  return v;
};
const URL_ = env('COGNATE_URL');
const PASSWORD = env('COGNATE_PASSWORD');

function configure(poolId, clientId) {
  Amplify.configure({ Auth: { Cognito: { userPoolId: poolId, userPoolClientId: clientId, userPoolEndpoint: URL_ } } });
}

async function signedIn() {
  const s = await fetchAuthSession();
  assert.ok(s.tokens?.idToken, 'an id token after sign-in');
  return s.tokens;
}

test('Amplify v6: TOTP set-up during sign-in, then CONFIRM_SIGN_IN_WITH_TOTP_CODE', async () => {
  configure(env('TOTP_POOL_ID'), env('TOTP_CLIENT_ID'));
  const first = await signIn({ username: 'amp-totp', password: PASSWORD });
  assert.equal(first.nextStep.signInStep, 'CONTINUE_SIGN_IN_WITH_TOTP_SETUP');
  const secret = first.nextStep.totpSetupDetails.sharedSecret;
  assert.match(first.nextStep.totpSetupDetails.getSetupUri('Cognate').href, /^otpauth:\/\/totp\//);
  const done = await confirmSignIn({ challengeResponse: totp(secret) });
  assert.equal(done.isSignedIn, true);
  assert.equal(done.nextStep.signInStep, 'DONE');
  await signedIn();
  await signOut();

  const again = await signIn({ username: 'amp-totp', password: PASSWORD });
  assert.equal(again.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_TOTP_CODE');
  await assert.rejects(confirmSignIn({ challengeResponse: '000000' }), (err) => err.name === 'CodeMismatchException');
  const ok = await confirmSignIn({ challengeResponse: totp(secret, 1) });
  assert.equal(ok.isSignedIn, true);
  const tokens = await signedIn();
  assert.equal(tokens.accessToken.payload.username, 'amp-totp');
  await signOut();
});

test('Amplify v6: CONFIRM_SIGN_IN_WITH_EMAIL_CODE with the code from the outbox', async () => {
  const poolId = env('EMAIL_POOL_ID');
  configure(poolId, env('EMAIL_CLIENT_ID'));
  const out = await signIn({ username: 'amp-email', password: PASSWORD });
  assert.equal(out.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
  assert.equal(out.nextStep.codeDeliveryDetails.deliveryMedium, 'EMAIL');
  const code = execFileSync(env('COGNATE_BIN'), ['outbox', '-endpoint', URL_, '-user', 'amp-email', '-code', poolId]).toString().trim();
  assert.match(code, /^\d{6}$/);
  const done = await confirmSignIn({ challengeResponse: code });
  assert.equal(done.isSignedIn, true);
  await signedIn();
  await signOut();
});

test('Amplify v6: USER_AUTH first-factor selection, then the email code', async () => {
  const poolId = env('CHOICE_POOL_ID');
  configure(poolId, env('CHOICE_CLIENT_ID'));
  const out = await signIn({ username: 'amp-choice', options: { authFlowType: 'USER_AUTH' } });
  assert.equal(out.nextStep.signInStep, 'CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION');
  assert.deepEqual(out.nextStep.availableChallenges, ['PASSWORD', 'PASSWORD_SRP', 'EMAIL_OTP']);
  const chosen = await confirmSignIn({ challengeResponse: 'EMAIL_OTP' });
  assert.equal(chosen.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
  const code = execFileSync(env('COGNATE_BIN'), ['outbox', '-endpoint', URL_, '-user', 'amp-choice', '-code', poolId]).toString().trim();
  const done = await confirmSignIn({ challengeResponse: code });
  assert.equal(done.isSignedIn, true);
  await signedIn();
  await signOut();

  // The password as first factor, chosen up front.
  const pw = await signIn({ username: 'amp-choice', password: PASSWORD, options: { authFlowType: 'USER_AUTH', preferredChallenge: 'PASSWORD_SRP' } });
  assert.equal(pw.isSignedIn, true);
  await signOut();
});

test('Amplify v6: MFA set-up selection, email set-up, then CONFIRM_SIGN_IN_WITH_EMAIL_CODE', async () => {
  const poolId = env('SETUP_POOL_ID');
  configure(poolId, env('SETUP_CLIENT_ID'));
  const first = await signIn({ username: 'amp-setup', password: PASSWORD });
  assert.equal(first.nextStep.signInStep, 'CONTINUE_SIGN_IN_WITH_MFA_SETUP_SELECTION');
  assert.deepEqual([...first.nextStep.allowedMFATypes].sort(), ['EMAIL', 'TOTP']);
  const chosen = await confirmSignIn({ challengeResponse: 'EMAIL' });
  assert.equal(chosen.nextStep.signInStep, 'CONTINUE_SIGN_IN_WITH_EMAIL_SETUP');
  // A malformed address is refused and the session stays usable.
  await assert.rejects(confirmSignIn({ challengeResponse: 'not an @ address' }), (err) => err.name === 'InvalidParameterException');
  const sent = await confirmSignIn({ challengeResponse: 'amp-setup@example.test' });
  assert.equal(sent.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
  assert.equal(sent.nextStep.codeDeliveryDetails.deliveryMedium, 'EMAIL');
  const code = execFileSync(env('COGNATE_BIN'), ['outbox', '-endpoint', URL_, '-user', 'amp-setup', '-code', poolId]).toString().trim();
  assert.match(code, /^\d{6}$/);
  await assert.rejects(confirmSignIn({ challengeResponse: code === '000000' ? '111111' : '000000' }), (err) => err.name === 'CodeMismatchException');
  const done = await confirmSignIn({ challengeResponse: code });
  assert.equal(done.isSignedIn, true);
  await signedIn();
  await signOut();

  // Email MFA is now set up: the next sign-in asks for an email code.
  const again = await signIn({ username: 'amp-setup', password: PASSWORD });
  assert.equal(again.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
  const code2 = execFileSync(env('COGNATE_BIN'), ['outbox', '-endpoint', URL_, '-user', 'amp-setup', '-code', poolId]).toString().trim();
  const ok = await confirmSignIn({ challengeResponse: code2 });
  assert.equal(ok.isSignedIn, true);
  await signOut();
});
