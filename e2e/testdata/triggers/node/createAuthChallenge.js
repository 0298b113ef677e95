// The create auth challenge example of the Cognito developer guide: a
// CAPTCHA first, then a security question.
exports.handler = async (event) => {
  if (event.request.challengeName !== "CUSTOM_CHALLENGE") {
    return event;
  }
  const customs = event.request.session.filter((c) => c.challengeName == "CUSTOM_CHALLENGE").length;
  if (customs === 0) {
    event.response.publicChallengeParameters = {};
    event.response.privateChallengeParameters = {};
    event.response.publicChallengeParameters.captchaUrl = "url/123.jpg";
    event.response.privateChallengeParameters.answer = "5";
    event.response.challengeMetadata = "CAPTCHA";
  }
  if (customs === 1) {
    event.response.publicChallengeParameters = {};
    event.response.privateChallengeParameters = {};
    event.response.publicChallengeParameters.securityQuestion = "Who is your favorite team mascot?";
    event.response.privateChallengeParameters.answer = "Peccy";
    event.response.challengeMetadata = "QUESTION";
  }
  return event;
};
