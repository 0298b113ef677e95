package userpool

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/cognate-dev/cognate/internal/awsjson"
	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/userpool/srp"
)

// Device challenge names and statuses.
const (
	excInvalidUserPoolConfiguration = "InvalidUserPoolConfigurationException"
	excDeviceKeyExists              = "DeviceKeyExistsException"

	chDeviceSRP      = "DEVICE_SRP_AUTH"
	chDeviceVerifier = "DEVICE_PASSWORD_VERIFIER"
	sessionDevice    = "device"

	remembered    = "remembered"
	notRemembered = "not_remembered"

	// maxDevices bounds the devices tracked per user (the oldest is forgotten).
	maxDevices = 50
)

// deviceConfig is AWS's DeviceConfigurationType.
type deviceConfig struct {
	ChallengeRequiredOnNewDevice     bool
	DeviceOnlyRememberedOnUserPrompt bool
}

// devices returns the pool's device tracking settings; ok is false when the
// pool does not track devices.
func (p *pool) devices() (deviceConfig, bool) {
	var dc deviceConfig
	if len(p.cfg.DeviceConfiguration) == 0 || string(p.cfg.DeviceConfiguration) == "null" {
		return dc, false
	}
	if json.Unmarshal(p.cfg.DeviceConfiguration, &dc) != nil {
		return dc, false
	}
	return dc, true
}

// device is one tracked device of a user.
type device struct {
	Key      string `json:"k"`
	GroupKey string `json:"g"`
	Name     string `json:"n,omitempty"`
	// Secret is the sealed device SRP verifier (salt and verifier), set by ConfirmDevice.
	Secret     []byte    `json:"s,omitempty"`
	Status     string    `json:"r,omitempty"`
	Created    time.Time `json:"c"`
	Modified   time.Time `json:"m"`
	LastAuthed time.Time `json:"a,omitzero"`
}

func (d *device) confirmed() bool { return len(d.Secret) > 0 }

type deviceSecret struct {
	Salt     []byte `json:"s"`
	Verifier []byte `json:"v"`
}

func deviceAAD(poolID, username, key string) []byte {
	return []byte("device|" + poolID + "|" + username + "|" + key)
}

func findDevice(f *userFactors, key string) *device {
	if f == nil || key == "" {
		return nil
	}
	for i := range f.Devices {
		if f.Devices[i].Key == key {
			return &f.Devices[i]
		}
	}
	return nil
}

// newDeviceMetadata is AWS's NewDeviceMetadataType.
type newDeviceMetadata struct {
	DeviceKey      string
	DeviceGroupKey string
}

// attachDevice gives a sign-in without a known device a new device (its
// NewDeviceMetadata in res) when the pool tracks devices, and notes the
// sign-in time of a known one.
func (s *Service) attachDevice(ctx context.Context, p *pool, u store.User, deviceKey string, res *authenticationResult) error {
	if _, ok := p.devices(); !ok {
		return nil
	}
	now := s.clock()
	var meta *newDeviceMetadata
	_, _, err := s.updateUser(ctx, p.ID, u.Username, func(p *pool, u *store.User) error {
		meta = nil
		priv, err := decodePrivate(*u)
		if err != nil {
			return err
		}
		f := factorsOf(&priv)
		if d := findDevice(f, deviceKey); d != nil && d.confirmed() {
			d.LastAuthed = now
			return encodePrivate(u, priv)
		}
		d := device{Key: s.region + "_" + newUUID(), GroupKey: "-" + randomString(deviceGroupChars, 9), Created: now, Modified: now}
		f.Devices = append(f.Devices, d)
		if len(f.Devices) > maxDevices {
			f.Devices = f.Devices[len(f.Devices)-maxDevices:]
		}
		meta = &newDeviceMetadata{DeviceKey: d.Key, DeviceGroupKey: d.GroupKey}
		return encodePrivate(u, priv)
	})
	if err != nil {
		return err
	}
	res.NewDeviceMetadata = meta
	return nil
}

const deviceGroupChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

type deviceVerifierConfig struct {
	PasswordVerifier string
	Salt             string
}

type confirmDeviceInput struct {
	AccessToken                string
	DeviceKey                  string
	DeviceName                 string
	DeviceSecretVerifierConfig *deviceVerifierConfig
}

type confirmDeviceOutput struct {
	UserConfirmationNecessary bool
}

// confirmDevice stores the device's SRP verifier; the device is remembered
// at once unless the pool remembers devices only on the user's prompt.
func (s *Service) confirmDevice(ctx context.Context, in *confirmDeviceInput) (*confirmDeviceOutput, error) {
	a, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if in.DeviceKey == "" {
		return nil, missing("DeviceKey")
	}
	cfg, ok := a.pool.devices()
	if !ok {
		return nil, apiErr(excInvalidUserPoolConfiguration, "Device tracking is not enabled for this user pool.")
	}
	vc := in.DeviceSecretVerifierConfig
	if vc == nil || vc.PasswordVerifier == "" || vc.Salt == "" {
		return nil, invalidParameter("DeviceSecretVerifierConfig with PasswordVerifier and Salt is required.")
	}
	verifier, err1 := base64.StdEncoding.DecodeString(vc.PasswordVerifier)
	salt, err2 := base64.StdEncoding.DecodeString(vc.Salt)
	if err1 != nil || err2 != nil || len(verifier) == 0 || len(verifier) > 512 || len(salt) == 0 || len(salt) > 64 {
		return nil, invalidParameter("Invalid DeviceSecretVerifierConfig.")
	}
	secret, _ := json.Marshal(deviceSecret{Salt: salt, Verifier: verifier})
	now := s.clock()
	_, _, err = s.updateUser(ctx, a.pool.ID, a.user.Username, func(p *pool, u *store.User) error {
		priv, err := decodePrivate(*u)
		if err != nil {
			return err
		}
		d := findDevice(priv.Factors, in.DeviceKey)
		if d == nil {
			return apiErr(excResourceNotFound, "Device does not exist.")
		}
		if d.confirmed() {
			return apiErr(excDeviceKeyExists, "Device already confirmed.")
		}
		d.Secret = s.sealer.Seal(secret, deviceAAD(p.ID, u.Username, d.Key))
		d.Name, d.Modified, d.LastAuthed = in.DeviceName, now, now
		d.Status = remembered
		if cfg.DeviceOnlyRememberedOnUserPrompt {
			d.Status = notRemembered
		}
		return encodePrivate(u, priv)
	})
	if err != nil {
		return nil, err
	}
	return &confirmDeviceOutput{UserConfirmationNecessary: cfg.DeviceOnlyRememberedOnUserPrompt}, nil
}

// deviceChallenge returns DEVICE_SRP_AUTH when the sign-in names a
// confirmed device of u (nil otherwise).
func (s *Service) deviceChallenge(ctx context.Context, p *pool, c *client, u store.User, admin bool) (*authOutput, error) {
	key := deviceKeyFrom(ctx)
	if key == "" || deviceVerified(ctx) {
		return nil, nil
	}
	if _, ok := p.devices(); !ok {
		return nil, nil
	}
	priv, _ := decodePrivate(u)
	d := findDevice(priv.Factors, key)
	if d == nil || !d.confirmed() {
		return nil, nil
	}
	ch := mfaChallenge{PoolID: p.ID, ClientID: c.ID, Username: u.Username, LockKey: lockKey(p, u, true, ""), Admin: admin,
		Step: chDeviceSRP, DeviceKey: key, Expires: s.clock().Add(c.authSessionValidity())}
	session, err := s.putMFA(ctx, "", ch)
	if err != nil {
		return nil, err
	}
	return &authOutput{ChallengeName: chDeviceSRP, Session: session, ChallengeParameters: map[string]string{"USERNAME": u.Username}}, nil
}

// deviceSRPState is the DEVICE_PASSWORD_VERIFIER session: the device SRP key.
type deviceSRPState struct {
	mfaChallenge
	Key []byte `json:"sk"`
}

// respondDevice answers DEVICE_SRP_AUTH (SRP_A → SRP_B, SALT, SECRET_BLOCK)
// and DEVICE_PASSWORD_VERIFIER (the device's SRP proof). A remembered
// device then skips MFA.
func (s *Service) respondDevice(ctx context.Context, p *pool, c *client, in *respondInput, admin bool) (*authOutput, error) {
	resp := in.ChallengeResponses
	for _, k := range []string{"USERNAME", "DEVICE_KEY"} {
		if resp[k] == "" {
			return nil, missing(k)
		}
	}
	if err := c.checkSecretHash(resp["SECRET_HASH"], resp["USERNAME"]); err != nil {
		return nil, err
	}
	if in.ChallengeName == chDeviceSRP {
		if in.Session == "" {
			return nil, missing("Session")
		}
		if resp["SRP_A"] == "" {
			return nil, missing("SRP_A")
		}
		ch, ok, err := s.takeMFA(ctx, in.Session)
		if err != nil {
			return nil, err
		}
		if !ok || ch.Step != chDeviceSRP || ch.PoolID != p.ID || ch.ClientID != c.ID || ch.Admin != admin || ch.DeviceKey != resp["DEVICE_KEY"] {
			return nil, notAuthorized(msgInvalidSession)
		}
		u, err := s.store.GetUser(ctx, p.ID, ch.Username)
		if err != nil {
			return nil, notAuthorized(msgInvalidSession)
		}
		priv, _ := decodePrivate(u)
		d := findDevice(priv.Factors, ch.DeviceKey)
		if d == nil || !d.confirmed() {
			return nil, notAuthorized("Device does not exist.")
		}
		raw, err := s.sealer.Open(d.Secret, deviceAAD(p.ID, u.Username, d.Key))
		if err != nil {
			return nil, wrap("open device secret", err)
		}
		var sec deviceSecret
		if err := json.Unmarshal(raw, &sec); err != nil {
			return nil, wrap("decode device secret", err)
		}
		ss, err := srp.NewServerSession(sec.Verifier, resp["SRP_A"])
		if errors.Is(err, srp.ErrInvalidA) || errors.Is(err, srp.ErrZeroU) {
			return nil, invalidParameter("Invalid SRP_A")
		}
		if err != nil {
			return nil, wrap("srp session", err)
		}
		key, err := ss.Key(d.GroupKey, d.Key)
		if err != nil {
			return nil, wrap("srp key", err)
		}
		block := base64.StdEncoding.EncodeToString(randomBytes(64))
		ch.Step = chDeviceVerifier
		st := deviceSRPState{mfaChallenge: ch, Key: key}
		if err := s.putDeviceSRP(ctx, block, st); err != nil {
			return nil, err
		}
		return &authOutput{ChallengeName: chDeviceVerifier, Session: block, ChallengeParameters: map[string]string{
			"SRP_B": ss.BHex(), "SALT": hex.EncodeToString(sec.Salt), "SECRET_BLOCK": block, "USERNAME": u.Username,
		}}, nil
	}
	for _, k := range []string{"PASSWORD_CLAIM_SECRET_BLOCK", "PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP"} {
		if resp[k] == "" {
			return nil, missing(k)
		}
	}
	st, ok, err := s.takeDeviceSRP(ctx, resp["PASSWORD_CLAIM_SECRET_BLOCK"])
	if err != nil {
		return nil, err
	}
	if !ok || st.PoolID != p.ID || st.ClientID != c.ID || st.Admin != admin || st.DeviceKey != resp["DEVICE_KEY"] {
		return nil, notAuthorized(msgIncorrect)
	}
	u, err := s.store.GetUser(ctx, p.ID, st.Username)
	if err != nil {
		return nil, notAuthorized(msgIncorrect)
	}
	priv, _ := decodePrivate(u)
	d := findDevice(priv.Factors, st.DeviceKey)
	if d == nil || !d.confirmed() {
		return nil, notAuthorized("Device does not exist.")
	}
	locked, _, err := s.lockout.check(ctx, p.ID, st.LockKey)
	if err != nil {
		return nil, err
	}
	if locked {
		return nil, notAuthorized(msgAttemptsExceeded)
	}
	stamp, err := srp.ParseTimestamp(resp["TIMESTAMP"])
	if err != nil || s.clock().Sub(stamp).Abs() > timestampWindow {
		return nil, notAuthorized(msgIncorrect)
	}
	block, err := base64.StdEncoding.DecodeString(resp["PASSWORD_CLAIM_SECRET_BLOCK"])
	if err != nil || !srp.VerifySignature(st.Key, d.GroupKey, d.Key, block, resp["TIMESTAMP"], resp["PASSWORD_CLAIM_SIGNATURE"]) {
		if err := s.lockout.fail(ctx, p.ID, st.LockKey); err != nil {
			return nil, err
		}
		return nil, notAuthorized(msgIncorrect)
	}
	ctx = withDeviceVerified(withDeviceKey(ctx, d.Key))
	if d.Status != remembered {
		if out, err := s.mfaGate(ctx, p, c, u, admin); out != nil || err != nil {
			return out, err
		}
	}
	return s.loginTokens(ctx, p, c, u, d.Key, in.ClientMetadata)
}

func (s *Service) putDeviceSRP(ctx context.Context, block string, st deviceSRPState) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return wrap("encode session", err)
	}
	id := tokenID(block)
	return s.putSessionRaw(ctx, id, sessionDevice, st.PoolID, raw, st.Expires)
}

func (s *Service) takeDeviceSRP(ctx context.Context, block string) (deviceSRPState, bool, error) {
	var st deviceSRPState
	raw, ok, err := s.takeSessionRaw(ctx, block, sessionDevice)
	if err != nil || !ok {
		return st, false, err
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return st, false, wrap("decode session", err)
	}
	return st, true, nil
}

// putSessionRaw stores sealed session data under id.
func (s *Service) putSessionRaw(ctx context.Context, id, kind, poolID string, raw []byte, expires time.Time) error {
	if !expires.After(s.clock()) {
		return notAuthorized(msgInvalidSession)
	}
	if err := s.store.PutSession(ctx, store.Session{ID: id, PoolID: poolID, Kind: kind,
		Data: s.sealer.Seal(raw, sessionAAD(kind, id)), ExpiresAt: expires}); err != nil {
		return wrap("store session", err)
	}
	return nil
}

// takeSessionRaw consumes a session of kind named by bearer.
func (s *Service) takeSessionRaw(ctx context.Context, bearer, kind string) ([]byte, bool, error) {
	if bearer == "" || len(bearer) > 8192 {
		return nil, false, nil
	}
	id := tokenID(bearer)
	sess, err := s.store.TakeSession(ctx, id, s.clock())
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, wrap("take session", err)
	}
	if sess.Kind != kind {
		return nil, false, nil
	}
	raw, err := s.sealer.Open(sess.Data, sessionAAD(kind, id))
	if err != nil {
		return nil, false, nil
	}
	return raw, true, nil
}

type deviceVerifiedCtx struct{}

func withDeviceVerified(ctx context.Context) context.Context {
	return context.WithValue(ctx, deviceVerifiedCtx{}, true)
}

func deviceVerified(ctx context.Context) bool {
	v, _ := ctx.Value(deviceVerifiedCtx{}).(bool)
	return v
}

// deviceType is AWS's DeviceType.
type deviceType struct {
	DeviceKey                   string
	DeviceAttributes            []attributeType
	DeviceCreateDate            *epoch
	DeviceLastModifiedDate      *epoch
	DeviceLastAuthenticatedDate *epoch `json:",omitempty"`
}

func deviceOut(d device) deviceType {
	attrs := []attributeType{{Name: "device_status", Value: strp("valid")}}
	if d.Name != "" {
		attrs = append(attrs, attributeType{Name: "device_name", Value: strp(d.Name)})
	}
	if d.Status != "" {
		attrs = append(attrs, attributeType{Name: "dev:device_remembered_status", Value: strp(d.Status)})
	}
	out := deviceType{DeviceKey: d.Key, DeviceAttributes: attrs, DeviceCreateDate: ts(d.Created), DeviceLastModifiedDate: ts(d.Modified)}
	if !d.LastAuthed.IsZero() {
		out.DeviceLastAuthenticatedDate = ts(d.LastAuthed)
	}
	return out
}

type deviceInput struct {
	AccessToken            string
	UserPoolId             string
	Username               string
	DeviceKey              string
	DeviceRememberedStatus string
	Limit                  int
	PaginationToken        string
}

type listDevicesOutput struct {
	Devices         []deviceType
	PaginationToken string `json:",omitempty"`
}

type getDeviceOutput struct {
	Device deviceType
}

// deviceUser resolves the caller of a device operation: the access token's
// user, or (admin) the pool's user.
func (s *Service) deviceUser(ctx context.Context, in *deviceInput, admin bool) (*pool, store.User, error) {
	if admin {
		if in.UserPoolId == "" {
			return nil, store.User{}, missing("UserPoolId")
		}
		return s.loadPoolUser(ctx, in.UserPoolId, in.Username)
	}
	a, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, store.User{}, err
	}
	return a.pool, a.user, nil
}

// readerUser is deviceUser for AdminListDevices and AdminGetDevice, whose
// API reports an unknown user as ResourceNotFoundException.
func (s *Service) readerUser(ctx context.Context, in *deviceInput, admin bool) (store.User, error) {
	_, u, err := s.deviceUser(ctx, in, admin)
	var ae *awsjson.Error
	if admin && errors.As(err, &ae) && ae.Type == excUserNotFound {
		return u, apiErr(excResourceNotFound, msgUserNotFound)
	}
	return u, err
}

func (s *Service) listDevicesAs(ctx context.Context, in *deviceInput, admin bool) (*listDevicesOutput, error) {
	u, err := s.readerUser(ctx, in, admin)
	if err != nil {
		return nil, err
	}
	limit := in.Limit
	if limit == 0 {
		limit = 60
	}
	if limit < 0 || limit > 60 {
		return nil, invalidParameter("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60", in.Limit)
	}
	after, err := decodeToken(in.PaginationToken)
	if err != nil {
		return nil, err
	}
	priv, _ := decodePrivate(u)
	out := &listDevicesOutput{Devices: []deviceType{}}
	if priv.Factors == nil {
		return out, nil
	}
	started := after == ""
	for _, d := range priv.Factors.Devices {
		if !d.confirmed() {
			continue
		}
		if !started {
			started = d.Key == after
			continue
		}
		if len(out.Devices) == limit {
			out.PaginationToken = encodeToken(out.Devices[len(out.Devices)-1].DeviceKey)
			break
		}
		out.Devices = append(out.Devices, deviceOut(d))
	}
	return out, nil
}

func (s *Service) listDevices(ctx context.Context, in *deviceInput) (*listDevicesOutput, error) {
	return s.listDevicesAs(ctx, in, false)
}

func (s *Service) adminListDevices(ctx context.Context, in *deviceInput) (*listDevicesOutput, error) {
	return s.listDevicesAs(ctx, in, true)
}

func (s *Service) getDeviceAs(ctx context.Context, in *deviceInput, admin bool) (*getDeviceOutput, error) {
	if in.DeviceKey == "" {
		return nil, missing("DeviceKey")
	}
	u, err := s.readerUser(ctx, in, admin)
	if err != nil {
		return nil, err
	}
	priv, _ := decodePrivate(u)
	d := findDevice(priv.Factors, in.DeviceKey)
	if d == nil || !d.confirmed() {
		return nil, apiErr(excResourceNotFound, "Device does not exist.")
	}
	return &getDeviceOutput{Device: deviceOut(*d)}, nil
}

func (s *Service) getDevice(ctx context.Context, in *deviceInput) (*getDeviceOutput, error) {
	return s.getDeviceAs(ctx, in, false)
}

func (s *Service) adminGetDevice(ctx context.Context, in *deviceInput) (*getDeviceOutput, error) {
	return s.getDeviceAs(ctx, in, true)
}

// editDevice applies fn to one of the user's devices (remove: forget it).
func (s *Service) editDevice(ctx context.Context, in *deviceInput, admin bool, fn func(d *device) (remove bool, err error)) (*empty, error) {
	if in.DeviceKey == "" {
		return nil, missing("DeviceKey")
	}
	p, u, err := s.deviceUser(ctx, in, admin)
	if err != nil {
		return nil, err
	}
	_, _, err = s.updateUser(ctx, p.ID, u.Username, func(p *pool, u *store.User) error {
		priv, err := decodePrivate(*u)
		if err != nil {
			return err
		}
		f := priv.Factors
		for i := range f.devicesOrNil() {
			d := &f.Devices[i]
			if d.Key != in.DeviceKey {
				continue
			}
			remove, err := fn(d)
			if err != nil {
				return err
			}
			d.Modified = s.clock()
			if remove {
				f.Devices = append(f.Devices[:i], f.Devices[i+1:]...)
			}
			return encodePrivate(u, priv)
		}
		return apiErr(excResourceNotFound, "Device does not exist.")
	})
	if err != nil {
		return nil, err
	}
	return &empty{}, nil
}

func (f *userFactors) devicesOrNil() []device {
	if f == nil {
		return nil
	}
	return f.Devices
}

func updateStatus(in *deviceInput) func(d *device) (bool, error) {
	return func(d *device) (bool, error) {
		switch in.DeviceRememberedStatus {
		case remembered, notRemembered:
			d.Status = in.DeviceRememberedStatus
			return false, nil
		case "":
			return false, missing("DeviceRememberedStatus")
		default:
			return false, invalidParameter("1 validation error detected: Value '%s' at 'deviceRememberedStatus' failed to satisfy constraint: Member must satisfy enum value set: [remembered, not_remembered]", in.DeviceRememberedStatus)
		}
	}
}

func forget(*device) (bool, error) { return true, nil }

func (s *Service) updateDeviceStatus(ctx context.Context, in *deviceInput) (*empty, error) {
	return s.editDevice(ctx, in, false, updateStatus(in))
}

func (s *Service) adminUpdateDeviceStatus(ctx context.Context, in *deviceInput) (*empty, error) {
	return s.editDevice(ctx, in, true, updateStatus(in))
}

func (s *Service) forgetDevice(ctx context.Context, in *deviceInput) (*empty, error) {
	return s.editDevice(ctx, in, false, forget)
}

func (s *Service) adminForgetDevice(ctx context.Context, in *deviceInput) (*empty, error) {
	return s.editDevice(ctx, in, true, forget)
}
