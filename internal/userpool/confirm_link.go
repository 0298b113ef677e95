package userpool

import (
	"context"
	"encoding/json"
	"html"
	"net/url"
	"regexp"
	"strings"
)

// Cognito's default texts of CONFIRM_WITH_LINK verification emails.
const (
	defaultLinkSubject = "Your verification link"
	defaultLinkMessage = "Please click the link below to verify your email address. {##Verify Email##} "
)

// linkTag is the {##text##} placeholder of EmailMessageByLink: the text
// becomes a link to the confirmUser endpoint.
var linkTag = regexp.MustCompile(`\{##(.*?)##\}`)

// confirmWithLink reports whether sign-up confirmation emails carry a link
// (VerificationMessageTemplate.DefaultEmailOption CONFIRM_WITH_LINK). As in
// AWS, links confirm sign-ups only; attribute verification sends codes.
func (p *pool) confirmWithLink() bool {
	var t verificationTemplate
	_ = json.Unmarshal(p.cfg.VerificationMessageTemplate, &t)
	return t.DefaultEmailOption == "CONFIRM_WITH_LINK"
}

// confirmLinkBase is where the pool's confirmUser endpoint is: its custom
// domain, else its prefix domain (AWS's links name the pool's domain), else
// — a pool with no domain, which AWS would not send links for — the pool's
// pages on Cognate's own host, so links work locally without a resolver.
func (s *Service) confirmLinkBase(ctx context.Context, p *pool) (string, error) {
	ds, err := s.poolDomains(ctx, p.ID)
	if err != nil {
		return "", err
	}
	base := ""
	for _, d := range ds {
		switch {
		case d.Custom:
			base = "https://" + d.Domain
		case base == "":
			base = "https://" + PrefixDomainHost(d.Domain, s.region)
		}
	}
	if base == "" && s.pagesURL != nil {
		base = strings.TrimRight(s.pagesURL(p.ID), "/")
	}
	return base, nil
}

// linkMessage renders the EmailSubjectByLink and EmailMessageByLink of a
// sign-up code as AWS does: {##text##} becomes <a href="LINK">text</a>,
// the link being /confirmUser?client_id=…&user_name=…&confirmation_code=….
// ok is false when there is nowhere to link to (the code message is sent).
func (s *Service) linkMessage(ctx context.Context, p *pool, clientID, username, code string) (subject, body string, ok bool, err error) {
	if clientID == "" {
		return "", "", false, nil
	}
	base, err := s.confirmLinkBase(ctx, p)
	if err != nil || base == "" {
		return "", "", false, err
	}
	link := base + "/confirmUser?" + url.Values{"client_id": {clientID}, "user_name": {username}, "confirmation_code": {code}}.Encode()
	var t verificationTemplate
	_ = json.Unmarshal(p.cfg.VerificationMessageTemplate, &t)
	subject = or(t.EmailSubjectByLink, defaultLinkSubject)
	body = linkTag.ReplaceAllStringFunc(or(t.EmailMessageByLink, defaultLinkMessage), func(m string) string {
		text := linkTag.FindStringSubmatch(m)[1]
		return `<a href="` + html.EscapeString(link) + `">` + html.EscapeString(text) + `</a>`
	})
	return subject, body, true, nil
}
