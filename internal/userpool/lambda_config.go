package userpool

import (
	"regexp"
	"strings"
)

// lambdaVersionConfig is AWS's PreTokenGenerationVersionConfigType,
// CustomSMSLambdaVersionConfigType and CustomEmailLambdaVersionConfigType.
type lambdaVersionConfig struct {
	LambdaArn     string
	LambdaVersion string
}

// lambdaConfig is AWS's LambdaConfigType: the pool's triggers.
type lambdaConfig struct {
	PreSignUp                   string               `json:",omitempty"`
	CustomMessage               string               `json:",omitempty"`
	PostConfirmation            string               `json:",omitempty"`
	PreAuthentication           string               `json:",omitempty"`
	PostAuthentication          string               `json:",omitempty"`
	DefineAuthChallenge         string               `json:",omitempty"`
	CreateAuthChallenge         string               `json:",omitempty"`
	VerifyAuthChallengeResponse string               `json:",omitempty"`
	PreTokenGeneration          string               `json:",omitempty"`
	UserMigration               string               `json:",omitempty"`
	PreTokenGenerationConfig    *lambdaVersionConfig `json:",omitempty"`
	CustomSMSSender             *lambdaVersionConfig `json:",omitempty"`
	CustomEmailSender           *lambdaVersionConfig `json:",omitempty"`
	// InboundFederation is kept and echoed: Cognate has no federated sign-in.
	InboundFederation *lambdaVersionConfig `json:",omitempty"`
	KMSKeyID          string               `json:",omitempty"`
}

// lambdaARN is the pattern AWS validates trigger ARNs against.
var lambdaARN = regexp.MustCompile(`^arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?$`)

const lambdaARNPattern = `arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?`

func checkARN(field, arn string) error {
	if len(arn) < 20 || len(arn) > 2048 {
		return invalidParameter("1 validation error detected: Value '%s' at 'lambdaConfig.%s' failed to satisfy constraint: Member must have length between 20 and 2048", arn, field)
	}
	if !lambdaARN.MatchString(arn) {
		return invalidParameter("1 validation error detected: Value '%s' at 'lambdaConfig.%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", arn, field, lambdaARNPattern)
	}
	return nil
}

// normalizeLambdaConfig validates lc as CreateUserPool and UpdateUserPool
// do and fills PreTokenGeneration and PreTokenGenerationConfig from each
// other, as DescribeUserPool shows them. tier is the pool's feature plan.
func normalizeLambdaConfig(lc *lambdaConfig, tier string) error {
	if lc == nil {
		return nil
	}
	plain := []struct {
		field string
		arn   string
	}{
		{"preSignUp", lc.PreSignUp}, {"customMessage", lc.CustomMessage}, {"postConfirmation", lc.PostConfirmation},
		{"preAuthentication", lc.PreAuthentication}, {"postAuthentication", lc.PostAuthentication},
		{"defineAuthChallenge", lc.DefineAuthChallenge}, {"createAuthChallenge", lc.CreateAuthChallenge},
		{"verifyAuthChallengeResponse", lc.VerifyAuthChallengeResponse}, {"preTokenGeneration", lc.PreTokenGeneration},
		{"userMigration", lc.UserMigration},
	}
	for _, f := range plain {
		if f.arn != "" {
			if err := checkARN(f.field, f.arn); err != nil {
				return err
			}
		}
	}
	versioned := []struct {
		field    string
		cfg      *lambdaVersionConfig
		versions []string
	}{
		{"preTokenGenerationConfig", lc.PreTokenGenerationConfig, []string{"V1_0", "V2_0", "V3_0"}},
		{"customSMSSender", lc.CustomSMSSender, []string{"V1_0"}},
		{"customEmailSender", lc.CustomEmailSender, []string{"V1_0"}},
		{"inboundFederation", lc.InboundFederation, []string{"V1_0"}},
	}
	for _, f := range versioned {
		if f.cfg == nil {
			continue
		}
		if f.cfg.LambdaArn == "" {
			return missing("LambdaArn")
		}
		if err := checkARN(f.field+".lambdaArn", f.cfg.LambdaArn); err != nil {
			return err
		}
		if !contains(f.versions, f.cfg.LambdaVersion) {
			return invalidParameter("1 validation error detected: Value '%s' at 'lambdaConfig.%s.lambdaVersion' failed to satisfy constraint: Member must satisfy enum value set: [%s]",
				f.cfg.LambdaVersion, f.field, strings.Join(f.versions, ", "))
		}
	}
	if ptc := lc.PreTokenGenerationConfig; ptc != nil {
		if lc.PreTokenGeneration != "" && lc.PreTokenGeneration != ptc.LambdaArn {
			return invalidParameter("PreTokenGeneration and PreTokenGenerationConfig.LambdaArn must be the same.")
		}
		lc.PreTokenGeneration = ptc.LambdaArn
		if ptc.LambdaVersion != "V1_0" && tier == "LITE" {
			return apiErr(excFeatureUnavailableInTier, "Access token customization is not available in the LITE feature plan.")
		}
	} else if lc.PreTokenGeneration != "" {
		lc.PreTokenGenerationConfig = &lambdaVersionConfig{LambdaArn: lc.PreTokenGeneration, LambdaVersion: "V1_0"}
	}
	if (lc.CustomSMSSender != nil || lc.CustomEmailSender != nil) && lc.KMSKeyID == "" {
		return invalidParameter("KMSKeyID must be provided when CustomSMSSender or CustomEmailSender is configured.")
	}
	if lc.KMSKeyID != "" && !kmsKeyID.MatchString(lc.KMSKeyID) {
		return invalidParameter("1 validation error detected: Value '%s' at 'lambdaConfig.kMSKeyID' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", lc.KMSKeyID, lambdaARNPattern)
	}
	return nil
}

// kmsKeyID accepts a key ARN as AWS does.
var kmsKeyID = lambdaARN

// functionRef is the Cognate function a trigger ARN designates.
type functionRef struct {
	Name      string
	Qualifier string
	// OK is false when the ARN does not name a Lambda function.
	OK bool
}

// parseFunctionARN reads arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER].
func parseFunctionARN(arn string) functionRef {
	parts := strings.Split(arn, ":")
	if len(parts) < 7 || len(parts) > 8 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "function" || parts[6] == "" {
		return functionRef{}
	}
	ref := functionRef{Name: parts[6], OK: true}
	if len(parts) == 8 {
		ref.Qualifier = parts[7]
	}
	return ref
}
