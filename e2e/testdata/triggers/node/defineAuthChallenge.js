// The define auth challenge example of the Cognito developer guide: SRP
// first when the client asks for it (CUSTOM_WITH_SRP), then two custom
// challenges; tokens only when all were answered. Started without SRP
// (plain CUSTOM_AUTH) it goes straight to the custom challenges.
exports.handler = async (event) => {
  const session = event.request.session;
  const srp = session.length > 0 && session[0].challengeName == "SRP_A";
  const customs = session.filter((c) => c.challengeName == "CUSTOM_CHALLENGE");
  const last = session[session.length - 1];
  if (session.length == 1 && srp) {
    event.response.issueTokens = false;
    event.response.failAuthentication = false;
    event.response.challengeName = "PASSWORD_VERIFIER";
  } else if (
    (srp && session.length == 2 && last.challengeName == "PASSWORD_VERIFIER" && last.challengeResult == true) ||
    (!srp && session.length == 0)
  ) {
    event.response.issueTokens = false;
    event.response.failAuthentication = false;
    event.response.challengeName = "CUSTOM_CHALLENGE";
  } else if (customs.length == 1 && last.challengeName == "CUSTOM_CHALLENGE" && last.challengeResult == true) {
    event.response.issueTokens = false;
    event.response.failAuthentication = false;
    event.response.challengeName = "CUSTOM_CHALLENGE";
  } else if (customs.length == 2 && last.challengeName == "CUSTOM_CHALLENGE" && last.challengeResult == true) {
    event.response.issueTokens = true;
    event.response.failAuthentication = false;
  } else {
    event.response.issueTokens = false;
    event.response.failAuthentication = true;
  }
  return event;
};
