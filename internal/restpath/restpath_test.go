package restpath

import "testing"

func TestMatch(t *testing.T) {
	p := Parse("/restapis/{api}/resources/{res}")
	if v, ok := p.Match(SplitEscaped("/restapis/abc/resources/x%2Fy")); !ok || v["api"] != "abc" || v["res"] != "x/y" {
		t.Fatalf("match: %v %v", v, ok)
	}
	for _, path := range []string{"/restapis/abc/resources/", "/restapis/abc", "/restapis/abc/stages/x", "/restapis//resources/r"} {
		if _, ok := p.Match(Split(path)); ok {
			t.Errorf("%s matched", path)
		}
	}
}
