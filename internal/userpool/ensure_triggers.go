package userpool

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/cognate-dev/cognate/internal/store"
)

// TriggerSpec declares a pool's LambdaConfig for EnsureTriggers.
type TriggerSpec struct {
	// ARNs maps LambdaConfigType field names (PreSignUp, CustomEmailSender ...)
	// to function ARNs.
	ARNs map[string]string
	// PreTokenGenerationVersion is V1_0 (when empty), V2_0 or V3_0.
	PreTokenGenerationVersion string
	// KMSKeyID is the key custom sender codes are encrypted with.
	KMSKeyID string
}

// EnsureTriggers makes the pool's LambdaConfig what spec declares
// (replacing the triggers it had), validated as UpdateUserPool does.
func (s *Service) EnsureTriggers(ctx context.Context, poolID string, spec TriggerSpec) error {
	p, err := s.loadPool(ctx, poolID)
	if err != nil {
		return err
	}
	lc := &lambdaConfig{KMSKeyID: spec.KMSKeyID}
	for name, arn := range spec.ARNs {
		switch name {
		case trigPreSignUp:
			lc.PreSignUp = arn
		case trigPostConfirmation:
			lc.PostConfirmation = arn
		case trigPreAuthentication:
			lc.PreAuthentication = arn
		case trigPostAuthentication:
			lc.PostAuthentication = arn
		case trigPreTokenGeneration:
			v := spec.PreTokenGenerationVersion
			if v == "" {
				v = "V1_0"
			}
			lc.PreTokenGenerationConfig = &lambdaVersionConfig{LambdaArn: arn, LambdaVersion: v}
		case trigUserMigration:
			lc.UserMigration = arn
		case trigCustomMessage:
			lc.CustomMessage = arn
		case trigDefineAuth:
			lc.DefineAuthChallenge = arn
		case trigCreateAuth:
			lc.CreateAuthChallenge = arn
		case trigVerifyAuth:
			lc.VerifyAuthChallengeResponse = arn
		case trigCustomEmailSender:
			lc.CustomEmailSender = &lambdaVersionConfig{LambdaArn: arn, LambdaVersion: "V1_0"}
		case trigCustomSMSSender:
			lc.CustomSMSSender = &lambdaVersionConfig{LambdaArn: arn, LambdaVersion: "V1_0"}
		default:
			return fmt.Errorf("unknown trigger %q", name)
		}
	}
	if err := normalizeLambdaConfig(lc, p.cfg.UserPoolTier); err != nil {
		return fmt.Errorf("lambdaConfig: %w", err)
	}
	if reflect.DeepEqual(p.cfg.LambdaConfig, lc) {
		return nil
	}
	_, err = s.store.UpdatePool(ctx, poolID, func(sp store.Pool) (store.Pool, error) {
		var cfg poolConfig
		if err := json.Unmarshal(sp.Config, &cfg); err != nil {
			return sp, fmt.Errorf("decode pool config: %w", err)
		}
		cfg.LambdaConfig = lc
		raw, err := json.Marshal(cfg)
		if err != nil {
			return sp, err
		}
		sp.Config, sp.UpdatedAt = raw, s.clock()
		return sp, nil
	})
	s.cache.forget(poolID, "")
	if err != nil {
		return wrap("update pool triggers", err)
	}
	return nil
}
