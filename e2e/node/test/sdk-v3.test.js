'use strict';

// The AWS SDK for JavaScript v3 against a running Cognate, changing only the
// endpoint (see cognito.test.js for the environment it needs).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const {
  CognitoIdentityProviderClient, AdminGetUserCommand, ListUsersCommand, InitiateAuthCommand,
  GetUserCommand, DescribeUserPoolCommand,
} = require('@aws-sdk/client-cognito-identity-provider');
const { LambdaClient, InvokeCommand } = require('@aws-sdk/client-lambda');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through go test ./e2e`);
  return v;
};
const endpoint = env('COGNATE_URL');
const POOL_ID = env('POOL_ID');
const CLIENT_ID = env('CLIENT_ID');
const USERNAME = env('COGNATE_USERNAME');
const PASSWORD = env('COGNATE_PASSWORD');
// The server under test may check signatures (COGNATE_ENFORCED=1): then
// COGNATE_ACCESS_KEY_ID/COGNATE_SECRET_ACCESS_KEY are its root key.
const ENFORCED = process.env.COGNATE_ENFORCED === '1';
const credentials = {
  accessKeyId: process.env.COGNATE_ACCESS_KEY_ID || 'AKIDCOGNATE',
  secretAccessKey: process.env.COGNATE_SECRET_ACCESS_KEY || 'secret',
};
const config = { endpoint, region: 'us-east-1', credentials };

test('client-cognito-identity-provider: admin reads, password sign-in, GetUser, AWS errors', async () => {
  const idp = new CognitoIdentityProviderClient(config);
  const pool = await idp.send(new DescribeUserPoolCommand({ UserPoolId: POOL_ID }));
  assert.equal(pool.UserPool.Name, 'notes-users');
  const user = await idp.send(new AdminGetUserCommand({ UserPoolId: POOL_ID, Username: USERNAME }));
  assert.equal(user.UserStatus, 'CONFIRMED');
  assert.ok(user.UserCreateDate instanceof Date);
  const list = await idp.send(new ListUsersCommand({ UserPoolId: POOL_ID, Filter: `username = "${USERNAME}"` }));
  assert.equal(list.Users.length, 1);

  const auth = await idp.send(new InitiateAuthCommand({
    AuthFlow: 'USER_PASSWORD_AUTH', ClientId: CLIENT_ID, AuthParameters: { USERNAME, PASSWORD },
  }));
  assert.ok(auth.AuthenticationResult.AccessToken);
  const me = await idp.send(new GetUserCommand({ AccessToken: auth.AuthenticationResult.AccessToken }));
  assert.equal(me.Username, USERNAME);

  await assert.rejects(
    idp.send(new AdminGetUserCommand({ UserPoolId: POOL_ID, Username: 'no-such-user' })),
    (err) => err.name === 'UserNotFoundException' && err.$metadata.httpStatusCode === 400,
  );
});

test('client-lambda: invoke a function', async () => {
  const lambda = new LambdaClient(config);
  const out = await lambda.send(new InvokeCommand({
    FunctionName: 'listAccountNotes', Payload: Buffer.from(JSON.stringify({ policyContext: { username: 'v3' } })),
  }));
  assert.equal(out.StatusCode, 200);
  assert.equal(JSON.parse(Buffer.from(out.Payload).toString()).title, 'Notes for v3');
});

test('signatures: a wrong secret and an unknown key are refused with AWS errors', { skip: !ENFORCED && 'the server runs without credentials (COGNATE_ENFORCED unset): any signature is accepted' }, async () => {
  const wrong = new CognitoIdentityProviderClient({ ...config, credentials: { ...credentials, secretAccessKey: 'not-the-secret-0000' } });
  await assert.rejects(
    wrong.send(new AdminGetUserCommand({ UserPoolId: POOL_ID, Username: USERNAME })),
    (err) => err.name === 'InvalidSignatureException' && /The Canonical String for this request should have been/.test(err.message),
  );
  const unknown = new LambdaClient({ ...config, credentials: { accessKeyId: 'AKIDNOBODYKNOWS0001', secretAccessKey: 'x'.repeat(20) } });
  await assert.rejects(
    unknown.send(new InvokeCommand({ FunctionName: 'listAccountNotes' })),
    (err) => err.name === 'UnrecognizedClientException' && err.$metadata.httpStatusCode === 403,
  );
  // Public operations need no credentials at all, as on AWS.
  const anonymous = new CognitoIdentityProviderClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: '', secretAccessKey: '' }, signer: { sign: async (r) => r } });
  await assert.rejects(
    anonymous.send(new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: CLIENT_ID, AuthParameters: { USERNAME, PASSWORD: 'wrong-password' } })),
    (err) => err.name === 'NotAuthorizedException',
  );
  await assert.rejects(
    anonymous.send(new AdminGetUserCommand({ UserPoolId: POOL_ID, Username: USERNAME })),
    (err) => err.name === 'MissingAuthenticationTokenException',
  );
});
