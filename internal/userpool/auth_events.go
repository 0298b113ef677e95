package userpool

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/awsjson"
	"github.com/cognate-dev/cognate/internal/store"
)

// User auth events (AdminListUserAuthEvents, AdminUpdateAuthEventFeedback,
// UpdateAuthEventFeedback). As on AWS, a pool records them only with threat
// protection on (UserPoolAddOns.AdvancedSecurityMode AUDIT or ENFORCED):
// sign-ins that pass or fail their password, sign-ups and forgotten
// passwords, each with the caller's IP address and device (its
// User-Agent), and the challenges answered. Cognate has no risk engine:
// every event's risk is NoRisk / Low. Events are store items (every node
// sees them), newest first per user, kept for authEventTTL.

const (
	itemAuthEvent = "auth-event"
	// authEventTTL is how long events are kept (AWS keeps the history for 90 days).
	authEventTTL = 90 * 24 * time.Hour

	excAddOnNotEnabled = "UserPoolAddOnNotEnabledException"

	evSignIn         = "SignIn"
	evSignUp         = "SignUp"
	evForgotPassword = "ForgotPassword"
)

// authEventRecord is a stored event.
type authEventRecord struct {
	EventID       string
	EventType     string
	CreationDate  time.Time
	EventResponse string
	Challenges    []challengeResponse `json:",omitempty"`
	IP            string
	Device        string
	FeedbackHash  string
	Feedback      *eventFeedback `json:",omitempty"`
}

type challengeResponse struct {
	ChallengeName     string
	ChallengeResponse string
}

type eventFeedback struct {
	FeedbackValue string
	Provider      string
	FeedbackDate  *epoch
}

// auditing reports whether the pool records auth events.
func (p *pool) auditing() bool {
	if len(p.cfg.UserPoolAddOns) == 0 {
		return false
	}
	var a struct{ AdvancedSecurityMode string }
	_ = json.Unmarshal(p.cfg.UserPoolAddOns, &a)
	return a.AdvancedSecurityMode == "AUDIT" || a.AdvancedSecurityMode == "ENFORCED"
}

// eventUserPrefix is the key prefix of one user's events (a hash: usernames
// may hold any character).
func eventUserPrefix(username string) string {
	sum := sha256.Sum256([]byte(username))
	return hex.EncodeToString(sum[:12]) + "/"
}

// eventKey orders a user's events newest first.
func eventKey(username string, at time.Time, id string) string {
	return fmt.Sprintf("%s%016x/%s", eventUserPrefix(username), uint64(1<<62-at.UnixNano()), id)
}

// recordAuthEvent stores an event of username when the pool audits; a
// failure to store it is logged, never the caller's failure.
func (s *Service) recordAuthEvent(ctx context.Context, p *pool, username, kind, response string, challenges ...challengeResponse) {
	if !p.auditing() || username == "" {
		return
	}
	now := s.clock()
	token := randomString(alnumMixed, 32)
	ev := authEventRecord{EventID: newUUID(), EventType: kind, CreationDate: now, EventResponse: response, Challenges: challenges,
		IP: awsjson.SourceIP(ctx), Device: deviceOf(sdkVersionOf(ctx)), FeedbackHash: tokenHash(token)}
	raw, err := json.Marshal(ev)
	if err == nil {
		err = s.store.CreateItem(ctx, store.Item{Kind: itemAuthEvent, Key: eventKey(username, now, ev.EventID), PoolID: p.ID, Data: raw,
			CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(authEventTTL)})
	}
	if err != nil {
		s.log.WarnContext(ctx, "record auth event", "pool", p.ID, "err", err)
		return
	}
	// The feedback token reaches the user in AWS's risk notification
	// email; Cognate sends none, so it shows at debug level, as codes do.
	s.log.DebugContext(ctx, "auth event recorded", "pool", p.ID, "username", username, "event_id", ev.EventID, "type", kind,
		"response", response, "feedback_token", token)
}

// deviceOf names the caller's device from its SDK ("aws-sdk-go-v2-1.36.3").
func deviceOf(sdk string) string {
	if sdk == unknownSDKVersion || sdk == "" {
		return "Other, Other"
	}
	return sdk
}

type listAuthEventsInput struct {
	UserPoolId string
	Username   string
	MaxResults int
	NextToken  string
}

type authEventType struct {
	EventId            string
	EventType          string
	CreationDate       *epoch
	EventResponse      string
	EventRisk          map[string]any
	ChallengeResponses []challengeResponse
	EventContextData   map[string]string
	EventFeedback      *eventFeedback `json:",omitempty"`
}

type listAuthEventsOutput struct {
	AuthEvents []authEventType
	NextToken  string `json:",omitempty"`
}

func (s *Service) adminListUserAuthEvents(ctx context.Context, in *listAuthEventsInput) (*listAuthEventsOutput, error) {
	if in.MaxResults < 0 || in.MaxResults > 60 {
		return nil, invalidParameter("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 60", in.MaxResults)
	}
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if in.Username == "" {
		return nil, missing("Username")
	}
	u, err := s.store.GetUser(ctx, p.ID, p.normalize(in.Username))
	if errors.Is(err, store.ErrNotFound) {
		return nil, userNotFound()
	}
	if err != nil {
		return nil, wrap("get user", err)
	}
	if !p.auditing() {
		return nil, apiErr(excAddOnNotEnabled, "Threat protection (AdvancedSecurityMode) is not enabled for user pool %s.", p.ID)
	}
	limit := in.MaxResults
	if limit == 0 {
		limit = 60
	}
	prefix := eventUserPrefix(u.Username)
	after := prefix
	if in.NextToken != "" {
		if after, err = decodeToken(in.NextToken); err != nil || !strings.HasPrefix(after, prefix) {
			return nil, invalidParameter("Invalid NextToken")
		}
	}
	now := s.clock()
	out := &listAuthEventsOutput{AuthEvents: []authEventType{}}
	for len(out.AuthEvents) < limit {
		items, err := s.store.ListItems(ctx, itemAuthEvent, p.ID, store.Page{After: after, Limit: 60})
		if err != nil {
			return nil, wrap("list auth events", err)
		}
		done := len(items) < 60
		for _, it := range items {
			if !strings.HasPrefix(it.Key, prefix) {
				done = true
				break
			}
			after = it.Key
			if !it.ExpiresAt.IsZero() && it.ExpiresAt.Before(now) {
				continue
			}
			var ev authEventRecord
			if err := json.Unmarshal(it.Data, &ev); err != nil {
				return nil, wrap("decode auth event", err)
			}
			out.AuthEvents = append(out.AuthEvents, eventView(ev))
			if len(out.AuthEvents) == limit {
				out.NextToken = encodeToken(it.Key)
				break
			}
		}
		if done {
			break
		}
	}
	return out, nil
}

func eventView(ev authEventRecord) authEventType {
	ch := ev.Challenges
	if ch == nil {
		ch = []challengeResponse{}
	}
	created := epoch(ev.CreationDate)
	return authEventType{EventId: ev.EventID, EventType: ev.EventType, CreationDate: &created, EventResponse: ev.EventResponse,
		EventRisk:          map[string]any{"RiskDecision": "NoRisk", "RiskLevel": "Low", "CompromisedCredentialsDetected": false},
		ChallengeResponses: ch, EventContextData: map[string]string{"IpAddress": ev.IP, "DeviceName": ev.Device},
		EventFeedback: ev.Feedback}
}

type eventFeedbackInput struct {
	UserPoolId    string
	Username      string
	EventId       string
	FeedbackToken string
	FeedbackValue string
}

// findEvent locates a user's event by id (the key holds the time, so it is
// found by walking the user's events, at most authEventScan of them).
func (s *Service) findEvent(ctx context.Context, p *pool, username, eventID string) (store.Item, authEventRecord, error) {
	prefix := eventUserPrefix(username)
	after := prefix
	for range authEventScan / 60 {
		items, err := s.store.ListItems(ctx, itemAuthEvent, p.ID, store.Page{After: after, Limit: 60})
		if err != nil {
			return store.Item{}, authEventRecord{}, wrap("list auth events", err)
		}
		for _, it := range items {
			if !strings.HasPrefix(it.Key, prefix) {
				return store.Item{}, authEventRecord{}, apiErr(excResourceNotFound, "Auth event not found.")
			}
			after = it.Key
			if strings.HasSuffix(it.Key, "/"+eventID) {
				var ev authEventRecord
				if err := json.Unmarshal(it.Data, &ev); err != nil {
					return store.Item{}, authEventRecord{}, wrap("decode auth event", err)
				}
				return it, ev, nil
			}
		}
		if len(items) < 60 {
			break
		}
	}
	return store.Item{}, authEventRecord{}, apiErr(excResourceNotFound, "Auth event not found.")
}

// authEventScan bounds the events findEvent reads.
const authEventScan = 6000

func (s *Service) updateEventFeedback(ctx context.Context, in *eventFeedbackInput, needToken bool) (*empty, error) {
	if in.FeedbackValue != "Valid" && in.FeedbackValue != "Invalid" {
		return nil, invalidParameter("1 validation error detected: Value '%s' at 'feedbackValue' failed to satisfy constraint: Member must satisfy enum value set: [Valid, Invalid]", in.FeedbackValue)
	}
	if in.EventId == "" {
		return nil, missing("EventId")
	}
	if needToken && in.FeedbackToken == "" {
		return nil, missing("FeedbackToken")
	}
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(ctx, p.ID, p.normalize(in.Username))
	if errors.Is(err, store.ErrNotFound) {
		if needToken {
			// The public operation does not tell users apart from tokens.
			return nil, notAuthorized("Invalid feedback token.")
		}
		return nil, userNotFound()
	}
	if err != nil {
		return nil, wrap("get user", err)
	}
	if !p.auditing() {
		return nil, apiErr(excAddOnNotEnabled, "Threat protection (AdvancedSecurityMode) is not enabled for user pool %s.", p.ID)
	}
	it, ev, err := s.findEvent(ctx, p, u.Username, in.EventId)
	if err != nil {
		if needToken && isAPIError(err) {
			return nil, notAuthorized("Invalid feedback token.")
		}
		return nil, err
	}
	if needToken && !constantTimeEqual(tokenHash(in.FeedbackToken), ev.FeedbackHash) {
		return nil, notAuthorized("Invalid feedback token.")
	}
	provider := "Admin"
	if needToken {
		provider = "User"
	}
	at := epoch(s.clock())
	_, err = s.store.UpdateItem(ctx, itemAuthEvent, it.Key, func(it store.Item) (store.Item, error) {
		var cur authEventRecord
		if err := json.Unmarshal(it.Data, &cur); err != nil {
			return it, err
		}
		cur.Feedback = &eventFeedback{FeedbackValue: in.FeedbackValue, Provider: provider, FeedbackDate: &at}
		raw, err := json.Marshal(cur)
		if err != nil {
			return it, err
		}
		it.Data, it.UpdatedAt = raw, s.clock()
		return it, nil
	})
	if err != nil {
		return nil, wrap("update auth event", err)
	}
	return &empty{}, nil
}

func (s *Service) adminUpdateAuthEventFeedback(ctx context.Context, in *eventFeedbackInput) (*empty, error) {
	return s.updateEventFeedback(ctx, in, false)
}

func (s *Service) updateAuthEventFeedback(ctx context.Context, in *eventFeedbackInput) (*empty, error) {
	return s.updateEventFeedback(ctx, in, true)
}
