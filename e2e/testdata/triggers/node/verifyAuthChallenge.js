// The verify auth challenge response example of the Cognito developer guide.
exports.handler = async (event) => {
  if (event.request.privateChallengeParameters.answer == event.request.challengeAnswer) {
    event.response.answerCorrect = true;
  } else {
    event.response.answerCorrect = false;
  }
  return event;
};
