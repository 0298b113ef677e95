package userpool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

const itemUICustomization = "ui-customization"

// maxUICSS and maxUIImage are AWS's limits for SetUICustomization.
const (
	maxUICSS   = 131072
	maxUIImage = 100 << 10
)

type uiCustomizationInput struct {
	UserPoolId string
	ClientId   string
	CSS        *string
	ImageFile  []byte
}

// uiCustomizationType is AWS's UICustomizationType.
type uiCustomizationType struct {
	UserPoolId       string
	ClientId         string
	ImageUrl         string  `json:",omitempty"`
	CSS              *string `json:",omitempty"`
	CSSVersion       string  `json:",omitempty"`
	LastModifiedDate *epoch
	CreationDate     *epoch
}

type uiCustomizationOutput struct {
	UICustomization uiCustomizationType
}

type uiRecord struct {
	CSS       *string
	Image     []byte
	ImageType string
	Version   string
	Created   time.Time
	Modified  time.Time
}

func uiKey(poolID, clientID string) string { return poolID + "|" + clientID }

func (s *Service) setUICustomization(ctx context.Context, in *uiCustomizationInput) (*uiCustomizationOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	client := in.ClientId
	if client == "" {
		client = "ALL"
	}
	if client != "ALL" {
		if _, _, err := s.loadPoolClient(ctx, p.ID, client); err != nil {
			return nil, err
		}
	}
	if in.CSS != nil {
		if len(*in.CSS) > maxUICSS {
			return nil, invalidParameter("CSS must be at most %d characters", maxUICSS)
		}
		if strings.ContainsAny(*in.CSS, "<>") || strings.Contains(strings.ToLower(*in.CSS), "@import") || strings.Contains(strings.ToLower(*in.CSS), "url(") {
			return nil, invalidParameter("CSS may not contain markup, @import or url(): only style rules for the managed login classes")
		}
	}
	rec := uiRecord{CSS: in.CSS, Version: newUUID()}
	if len(in.ImageFile) > 0 {
		if len(in.ImageFile) > maxUIImage {
			return nil, invalidParameter("ImageFile must be at most 100 KB")
		}
		rec.ImageType = http.DetectContentType(in.ImageFile)
		if rec.ImageType != "image/png" && rec.ImageType != "image/jpeg" {
			return nil, invalidParameter("ImageFile must be a PNG or JPEG image")
		}
		rec.Image = in.ImageFile
	}
	now := s.clock()
	rec.Created, rec.Modified = now, now
	key := uiKey(p.ID, client)
	if old, err := s.store.GetItem(ctx, itemUICustomization, key, now); err == nil {
		var prev uiRecord
		if json.Unmarshal(old.Data, &prev) == nil {
			rec.Created = prev.Created
		}
		s.store.DeleteItem(ctx, itemUICustomization, key)
	}
	raw, _ := json.Marshal(rec)
	if err := s.store.CreateItem(ctx, store.Item{Kind: itemUICustomization, Key: key, PoolID: p.ID, Data: raw, CreatedAt: now, UpdatedAt: now}); err != nil {
		return nil, wrap("store UI customization", err)
	}
	return &uiCustomizationOutput{UICustomization: rec.api(p.ID, client)}, nil
}

func (r uiRecord) api(poolID, clientID string) uiCustomizationType {
	out := uiCustomizationType{UserPoolId: poolID, ClientId: clientID, CSS: r.CSS, CSSVersion: r.Version,
		CreationDate: ts(r.Created), LastModifiedDate: ts(r.Modified)}
	if len(r.Image) > 0 {
		out.ImageUrl = "data:" + r.ImageType + ";base64," + base64.StdEncoding.EncodeToString(r.Image)
	}
	return out
}

type getUIInput struct {
	UserPoolId string
	ClientId   string
}

func (s *Service) uiRecord(ctx context.Context, poolID, clientID string) (uiRecord, string, bool) {
	for _, c := range []string{clientID, "ALL"} {
		if c == "" {
			continue
		}
		it, err := s.store.GetItem(ctx, itemUICustomization, uiKey(poolID, c), s.clock())
		if errors.Is(err, store.ErrNotFound) || err != nil {
			continue
		}
		var r uiRecord
		if json.Unmarshal(it.Data, &r) == nil {
			return r, c, true
		}
	}
	return uiRecord{}, "", false
}

// getUICustomization returns the client's customization, else the pool's (ALL).
func (s *Service) getUICustomization(ctx context.Context, in *getUIInput) (*uiCustomizationOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if in.ClientId != "" && in.ClientId != "ALL" {
		if _, _, err := s.loadPoolClient(ctx, p.ID, in.ClientId); err != nil {
			return nil, err
		}
	}
	r, c, ok := s.uiRecord(ctx, p.ID, in.ClientId)
	if !ok {
		client := in.ClientId
		if client == "" {
			client = "ALL"
		}
		return &uiCustomizationOutput{UICustomization: uiCustomizationType{UserPoolId: p.ID, ClientId: client}}, nil
	}
	return &uiCustomizationOutput{UICustomization: r.api(p.ID, c)}, nil
}

// UICustomization is what the managed login pages apply: CSS and a logo data URL.
func (s *Service) UICustomization(ctx context.Context, poolID, clientID string) (css, logo string) {
	r, _, ok := s.uiRecord(ctx, poolID, clientID)
	if !ok {
		return "", ""
	}
	if r.CSS != nil {
		css = *r.CSS
	}
	return css, r.api(poolID, clientID).ImageUrl
}
