// The notes service behind an HTTP API with a JWT authorizer (payload 2.0):
// the caller is the verified token's cognito:username claim.
exports.handler = async (event) => {
  const claims = event.requestContext.authorizer.jwt.claims;
  // Id tokens carry cognito:username; access tokens carry username.
  const username = claims['cognito:username'] || claims.username;
  return {
    title: 'Notes for ' + username,
    version: event.version,
    routeKey: event.routeKey,
    notes: [{ title: 'note 1', contents: 'this is just a test note' }],
  };
};
