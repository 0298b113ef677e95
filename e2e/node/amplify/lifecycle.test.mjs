// Amplify v6 (aws-amplify with userPoolEndpoint only) through a whole
// session against Cognate: signUp, confirmSignUp with the code from the
// outbox, signIn, fetchAuthSession, a forced refresh
// (GetTokensFromRefreshToken), updateUserAttributes and a global signOut
// that revokes the session's tokens. Run by TestNodeAmplifyLifecycle with
// COGNATE_URL, COGNATE_BIN, POOL_ID, CLIENT_ID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Amplify } from 'aws-amplify';
import {
  signUp, confirmSignUp, signIn, signOut, fetchAuthSession, updateUserAttributes, fetchUserAttributes, getCurrentUser,
} from 'aws-amplify/auth';
import { CognitoIdentityProviderClient, GetUserCommand } from '@aws-sdk/client-cognito-identity-provider';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through go test ./e2e`);
  return v;
};
const URL_ = env('COGNATE_URL');
const POOL_ID = env('POOL_ID');
const USERNAME = 'amp-life';
const PASSWORD = 'Amp-L1fe-Passw0rd!';

Amplify.configure({ Auth: { Cognito: { userPoolId: POOL_ID, userPoolClientId: env('CLIENT_ID'), userPoolEndpoint: URL_ } } });

const sdk = new CognitoIdentityProviderClient({
  region: POOL_ID.split('_')[0], endpoint: URL_,
  credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
});

test('Amplify v6: sign-up to global sign-out', async () => {
  const up = await signUp({ username: USERNAME, password: PASSWORD, options: { userAttributes: { email: 'amp-life@example.com' } } });
  assert.equal(up.isSignUpComplete, false);
  assert.equal(up.nextStep.signUpStep, 'CONFIRM_SIGN_UP');
  assert.equal(up.nextStep.codeDeliveryDetails.deliveryMedium, 'EMAIL');
  assert.equal(up.nextStep.codeDeliveryDetails.attributeName, 'email');
  assert.ok(up.userId, 'signUp returns the user sub');

  // A wrong code is refused with Cognito's error name.
  await assert.rejects(confirmSignUp({ username: USERNAME, confirmationCode: '000000' }), (err) => err.name === 'CodeMismatchException');
  const code = execFileSync(env('COGNATE_BIN'), ['outbox', '-endpoint', URL_, '-user', USERNAME, '-code', POOL_ID]).toString().trim();
  assert.match(code, /^\d{6}$/);
  const confirmed = await confirmSignUp({ username: USERNAME, confirmationCode: code });
  assert.equal(confirmed.isSignUpComplete, true);

  await assert.rejects(signIn({ username: USERNAME, password: 'Wr0ng-Passw0rd!' }), (err) => err.name === 'NotAuthorizedException');
  const signedIn = await signIn({ username: USERNAME, password: PASSWORD });
  assert.equal(signedIn.isSignedIn, true);
  assert.equal(signedIn.nextStep.signInStep, 'DONE');
  const current = await getCurrentUser();
  assert.equal(current.username, USERNAME);
  assert.equal(current.userId, up.userId);

  const first = await fetchAuthSession();
  assert.equal(first.tokens.accessToken.payload.username, USERNAME);
  assert.equal(first.tokens.idToken.payload.email, 'amp-life@example.com');
  assert.equal(first.tokens.idToken.payload.email_verified, true);
  assert.equal(first.userSub, up.userId);

  // A forced refresh: new tokens of the same sign-in.
  const refreshed = await fetchAuthSession({ forceRefresh: true });
  const a0 = first.tokens.accessToken.toString();
  const a1 = refreshed.tokens.accessToken.toString();
  assert.notEqual(a1, a0, 'forceRefresh returns a new access token');
  assert.notEqual(refreshed.tokens.accessToken.payload.jti, first.tokens.accessToken.payload.jti);
  assert.equal(refreshed.tokens.accessToken.payload.origin_jti, first.tokens.accessToken.payload.origin_jti);
  assert.equal(refreshed.tokens.idToken.payload.sub, up.userId);

  const updated = await updateUserAttributes({ userAttributes: { given_name: 'Ampy', family_name: 'Lifecycle' } });
  assert.equal(updated.given_name.isUpdated, true);
  assert.equal(updated.given_name.nextStep.updateAttributeStep, 'DONE');
  assert.equal(updated.family_name.isUpdated, true);
  const attrs = await fetchUserAttributes();
  assert.equal(attrs.given_name, 'Ampy');
  assert.equal(attrs.family_name, 'Lifecycle');
  assert.equal(attrs.sub, up.userId);

  // Both access tokens work until the global sign-out revokes the sign-in.
  for (const tok of [a0, a1]) {
    const me = await sdk.send(new GetUserCommand({ AccessToken: tok }));
    assert.equal(me.Username, USERNAME);
  }
  await signOut({ global: true });
  for (const tok of [a0, a1]) {
    await assert.rejects(sdk.send(new GetUserCommand({ AccessToken: tok })), (err) => err.name === 'NotAuthorizedException');
  }
  await assert.rejects(fetchAuthSession().then((s) => {
    if (!s.tokens) throw Object.assign(new Error('no tokens'), { name: 'NoTokens' });
    return s;
  }), (err) => err.name === 'NoTokens');
  await assert.rejects(getCurrentUser(), (err) => err.name === 'UserUnAuthenticatedException');
});
