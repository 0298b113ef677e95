package userpool

import (
	"context"
	"encoding/json"
)

// logConfiguration is AWS's LogConfigurationType. Cognate stores and
// returns it; log export itself goes to Cognate's own logs.
type logConfiguration struct {
	LogLevel                    string
	EventSource                 string
	CloudWatchLogsConfiguration json.RawMessage `json:",omitempty"`
	S3Configuration             json.RawMessage `json:",omitempty"`
	FirehoseConfiguration       json.RawMessage `json:",omitempty"`
}

type logDeliveryConfiguration struct {
	UserPoolId        string
	LogConfigurations []logConfiguration
}

type logDeliveryOutput struct {
	LogDeliveryConfiguration logDeliveryConfiguration
}

type setLogDeliveryInput struct {
	UserPoolId        string
	LogConfigurations []logConfiguration
}

func (s *Service) setLogDeliveryConfiguration(ctx context.Context, in *setLogDeliveryInput) (*logDeliveryOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if n := len(in.LogConfigurations); n > 2 {
		return nil, invalidParameter("1 validation error detected: Value at 'logConfigurations' failed to satisfy constraint: Member must have length less than or equal to 2")
	}
	seen := map[string]bool{}
	for i, c := range in.LogConfigurations {
		switch c.LogLevel {
		case "ERROR", "INFO":
		default:
			return nil, invalidParameter("1 validation error detected: Value '%s' at 'logConfigurations.%d.member.logLevel' failed to satisfy constraint: Member must satisfy enum value set: [ERROR, INFO]", c.LogLevel, i+1)
		}
		switch c.EventSource {
		case "userNotification", "userAuthEvents":
		default:
			return nil, invalidParameter("1 validation error detected: Value '%s' at 'logConfigurations.%d.member.eventSource' failed to satisfy constraint: Member must satisfy enum value set: [userNotification, userAuthEvents]", c.EventSource, i+1)
		}
		if seen[c.EventSource] {
			return nil, invalidParameter("Duplicate log configuration for event source %s.", c.EventSource)
		}
		seen[c.EventSource] = true
		dest := 0
		for _, d := range []json.RawMessage{c.CloudWatchLogsConfiguration, c.S3Configuration, c.FirehoseConfiguration} {
			if len(d) > 0 && string(d) != "null" {
				dest++
			}
		}
		if dest != 1 {
			return nil, invalidParameter("Exactly one of CloudWatchLogsConfiguration, S3Configuration or FirehoseConfiguration must be set.")
		}
		if c.EventSource == "userNotification" && c.LogLevel != "ERROR" {
			return nil, invalidParameter("userNotification logs can only be delivered at the ERROR level.")
		}
		if c.EventSource == "userAuthEvents" && c.LogLevel != "INFO" {
			return nil, invalidParameter("userAuthEvents logs can only be delivered at the INFO level.")
		}
	}
	if err := s.updatePoolConfig(ctx, p.ID, func(cfg *poolConfig) error {
		cfg.LogDelivery = in.LogConfigurations
		return nil
	}); err != nil {
		return nil, apiOrWrap("set log delivery", err)
	}
	return &logDeliveryOutput{LogDeliveryConfiguration: logDeliveryConfiguration{UserPoolId: p.ID,
		LogConfigurations: nonNil(in.LogConfigurations)}}, nil
}

func (s *Service) getLogDeliveryConfiguration(ctx context.Context, in *poolIDInput) (*logDeliveryOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	return &logDeliveryOutput{LogDeliveryConfiguration: logDeliveryConfiguration{UserPoolId: p.ID,
		LogConfigurations: nonNil(p.cfg.LogDelivery)}}, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// riskConfiguration is AWS's RiskConfigurationType (threat protection
// settings). Cognate stores and returns it; it does not score sign-ins.
type riskConfiguration struct {
	UserPoolId                              string
	ClientId                                string          `json:",omitempty"`
	CompromisedCredentialsRiskConfiguration json.RawMessage `json:",omitempty"`
	AccountTakeoverRiskConfiguration        json.RawMessage `json:",omitempty"`
	RiskExceptionConfiguration              json.RawMessage `json:",omitempty"`
	LastModifiedDate                        *epoch          `json:",omitempty"`
}

type setRiskInput struct {
	UserPoolId                              string
	ClientId                                string
	CompromisedCredentialsRiskConfiguration json.RawMessage
	AccountTakeoverRiskConfiguration        json.RawMessage
	RiskExceptionConfiguration              json.RawMessage
}

type riskOutput struct {
	RiskConfiguration riskConfiguration
}

func (s *Service) setRiskConfiguration(ctx context.Context, in *setRiskInput) (*riskOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if in.ClientId != "" {
		if _, _, err := s.loadPoolClient(ctx, p.ID, in.ClientId); err != nil {
			return nil, err
		}
	}
	if err := checkRiskExceptions(in.RiskExceptionConfiguration); err != nil {
		return nil, err
	}
	rc := &riskConfiguration{UserPoolId: p.ID, ClientId: in.ClientId,
		CompromisedCredentialsRiskConfiguration: in.CompromisedCredentialsRiskConfiguration,
		AccountTakeoverRiskConfiguration:        in.AccountTakeoverRiskConfiguration,
		RiskExceptionConfiguration:              in.RiskExceptionConfiguration,
		LastModifiedDate:                        ts(s.clock())}
	if err := s.updatePoolConfig(ctx, p.ID, func(cfg *poolConfig) error {
		if cfg.Risk == nil {
			cfg.Risk = map[string]*riskConfiguration{}
		}
		cfg.Risk[in.ClientId] = rc
		return nil
	}); err != nil {
		return nil, apiOrWrap("set risk configuration", err)
	}
	return &riskOutput{RiskConfiguration: *rc}, nil
}

// checkRiskExceptions validates RiskExceptionConfiguration's IP range lists.
func checkRiskExceptions(raw json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	var rec struct {
		BlockedIPRangeList []string
		SkippedIPRangeList []string
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return invalidParameter("Invalid RiskExceptionConfiguration")
	}
	if len(rec.BlockedIPRangeList) > 200 || len(rec.SkippedIPRangeList) > 200 {
		return invalidParameter("IP range lists can have at most 200 entries.")
	}
	return nil
}

type describeRiskInput struct {
	UserPoolId string
	ClientId   string
}

// describeRiskConfiguration returns the client's settings, else the pool's.
func (s *Service) describeRiskConfiguration(ctx context.Context, in *describeRiskInput) (*riskOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if in.ClientId != "" {
		if _, _, err := s.loadPoolClient(ctx, p.ID, in.ClientId); err != nil {
			return nil, err
		}
		if rc := p.cfg.Risk[in.ClientId]; rc != nil {
			return &riskOutput{RiskConfiguration: *rc}, nil
		}
	}
	if rc := p.cfg.Risk[""]; rc != nil {
		return &riskOutput{RiskConfiguration: *rc}, nil
	}
	return &riskOutput{RiskConfiguration: riskConfiguration{UserPoolId: p.ID, ClientId: in.ClientId}}, nil
}
