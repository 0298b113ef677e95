// A TOKEN authorizer in the tutorial's style (legacy context.succeed and
// context.fail). The test version accepts the token "allow-me" instead of
// verifying a JWT, so that it needs no npm package.
function generatePolicy(principalId, effect, resource) {
  return {
    principalId: principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
    },
    context: { username: 'alice', email: 'alice@example.com' },
  };
}

exports.handler = function (event, context) {
  const token = (event.authorizationToken || '').replace(/^Bearer /, '');
  if (token !== 'allow-me') {
    console.log('rejecting token');
    context.fail('Unauthorized');
    return;
  }
  context.succeed(generatePolicy('user-123', 'Allow', event.methodArn));
};
