package vtl

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf16"
	"unicode/utf8"
)

// utilObj is API Gateway's $util.
type utilObj struct{}

var theUtil = &utilObj{}

func (*utilObj) prop(*state, string) (value, bool) { return null, false }

func (*utilObj) javaString(_ *state, dst []byte) []byte { return append(dst, "$util"...) }

func (*utilObj) call(st *state, name string, args []value) (value, bool, error) {
	if len(args) != 1 {
		return null, false, nil
	}
	a := args[0]
	if a.isNull() {
		return null, true, nil
	}
	s := st.toString(a)
	switch name {
	case "escapeJavaScript":
		if !needsJSEscape(s) {
			return strVal(s), true, nil
		}
		return strVal(string(appendEscapeJS(nil, s))), true, nil
	case "parseJson":
		v, err := parseJSON(s, st.lim.MaxDepth)
		if err != nil {
			return null, true, fmt.Errorf("parseJson: %w", err)
		}
		return v, true, nil
	case "urlEncode":
		return strVal(urlEncode(s)), true, nil
	case "urlDecode":
		d, err := url.QueryUnescape(s)
		if err != nil {
			return null, true, fmt.Errorf("urlDecode: %w", err)
		}
		return strVal(d), true, nil
	case "base64Encode":
		return strVal(base64.StdEncoding.EncodeToString([]byte(s))), true, nil
	case "base64Decode":
		d, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return null, true, fmt.Errorf("base64Decode: %w", err)
		}
		return strVal(string(d)), true, nil
	}
	return null, false, nil
}

// appendCall writes $util.escapeJavaScript(x) straight into the output.
func (u *utilObj) appendCall(st *state, dst []byte, name string, args []value) ([]byte, bool, error) {
	if name != "escapeJavaScript" || len(args) != 1 || args[0].isNull() {
		return dst, false, nil
	}
	if args[0].k == kString {
		return appendEscapeJS(dst, args[0].s), true, nil
	}
	return appendEscapeJS(dst, st.toString(args[0])), true, nil
}

func needsJSEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= utf8.RuneSelf, c == '"', c == '\\', c == '/':
			return true
		}
	}
	return false
}

const upperHex = "0123456789ABCDEF"

// appendEscapeJS escapes s with JavaScript string rules as API Gateway's
// $util.escapeJavaScript does (Apache Commons Lang StringEscapeUtils, but as
// AWS answers, a single quote is left alone): double quotes, backslash and
// '/' get a backslash, control characters use \b \t \n \f \r or
// \u00XX, and non-ASCII characters become \uXXXX (UTF-16, upper-case hex).
func appendEscapeJS(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\\' && c != '/' {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\', '/':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\r':
				dst = append(dst, '\\', 'r')
			default:
				dst = appendU(dst, uint16(c))
			}
			i++
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
				dst = appendU(appendU(dst, uint16(r1)), uint16(r2))
			} else {
				dst = appendU(dst, uint16(r))
			}
			i += size
		}
		start = i
	}
	return append(dst, s[start:]...)
}

func appendU(dst []byte, u uint16) []byte {
	return append(dst, '\\', 'u', upperHex[u>>12], upperHex[u>>8&0xF], upperHex[u>>4&0xF], upperHex[u&0xF])
}

// urlEncode encodes like java.net.URLEncoder with UTF-8: letters, digits and
// ".-*_" stay, space becomes '+', everything else is %XX (upper case).
func urlEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlpha(c) || isDigit(c) || c == '.' || c == '-' || c == '*' || c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&0xF])
		}
	}
	return b.String()
}

var (
	regexCache sync.Map
	regexCount atomic.Int64
)

const maxCachedRegexps = 512

// compileJava compiles a Java regular expression with Go's RE2 engine (linear
// time; Java-only constructs such as look-around are rejected) and caches it.
func compileJava(pattern string) (*regexp.Regexp, error) {
	if re, ok := regexCache.Load(pattern); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("bad regular expression: %w", err)
	}
	if regexCount.Load() < maxCachedRegexps {
		if _, loaded := regexCache.LoadOrStore(pattern, re); !loaded {
			regexCount.Add(1)
		}
	}
	return re, nil
}
