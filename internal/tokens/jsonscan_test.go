package tokens

import (
	"reflect"
	"strings"
	"testing"
)

// TestScanObjectMatchesEncodingJSON checks scanObject against the strict
// encoding/json decoder: the same claims whenever scanObject accepts, and
// no acceptance of what the strict decoder refuses.
func TestScanObjectMatchesEncodingJSON(t *testing.T) {
	inputs := []string{
		`{}`, ` { } `, "\t{\"a\":1}\r\n", `{"a":1,"b":-0,"c":0.5,"d":1e3,"e":1E+3,"f":-1.25e-7,"g":12345678901234567890}`,
		`{"s":"x","t":"","u":"héllo ☃ 😀","v":"\u0041","w":"a\"b","x":"a\\b"}`,
		`{"g":["admins","users"],"h":[],"i":[1,"x",true,null,{"k":"v"},[[]]],"j":[1,2,3,4,5,6,7,8,9,10]}`,
		`{"o":{"a":1,"a":2},"p":{},"q":{"r":{"s":{"t":[{"u":null}]}}}}`,
		`{"b":true,"c":false,"n":null}`,
		`{"a":1,"a":2}`, `{"a":1,}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`, `{"a":1e}`, `{"a":+1}`,
		`{"a":tru}`, `{"a":truex}`, `{"a":nul}`, `{"a":[1,]}`, `{"a":[1 2]}`, `{"a" 1}`, `{a:1}`, `{"a":1}}`,
		`{"a":1} x`, `{"a":1}{}`, `[1]`, `null`, `"s"`, ``, `{`, `{"a":"x`, "{\"a\":\"\x01\"}", "{\"a\":\"\xff\"}",
		"{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\x7f\"}", "{\"a\":\"\u2028\"}", "\ufeff{}", `{"":1}`,
		`{"a":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`,
		`{"a":` + strings.Repeat(`{"b":`, 40) + `1` + strings.Repeat("}", 40) + `}`,
	}
	for _, in := range inputs {
		want, werr := decodeObjectStrict([]byte(in))
		got, ok := scanObject(in)
		if ok && werr != nil {
			t.Errorf("scanObject accepted %q, strict refused it: %v", in, werr)
		}
		if ok && !reflect.DeepEqual(got, want) {
			t.Errorf("scanObject %#v, strict %#v for %q", got, want, in)
		}
	}
	// The plain documents tokens carry are decoded here, not handed back.
	for _, in := range inputs[:4] {
		if _, ok := scanObject(in); !ok {
			t.Errorf("scanObject refused %q", in)
		}
	}
	for _, in := range inputs[5:8] {
		if _, ok := scanObject(in); !ok {
			t.Errorf("scanObject refused %q", in)
		}
	}
}
