package vtl

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"unclosed if", "#if($a)\nfoo", "line 2, column 4: missing #end for #if at line 1, column 1"},
		{"stray end", "text\n  #end", "line 2, column 3: unexpected #end"},
		{"stray else", "#else", "line 1, column 1: unexpected #else"},
		{"else in foreach", "#foreach($i in $l)\n#else\n#end", "line 2, column 1: unexpected #else in #foreach"},
		{"missing value", "ab\n  #set($a = )", "line 2, column 13: unexpected ')' in expression"},
		{"set without ref", "#set(a = 1)", "line 1, column 6: #set needs a reference"},
		{"foreach without in", "#foreach($a on $b)x#end", "line 1, column 13: expected 'in' in #foreach"},
		{"unclosed call", "$a.b(1,", "line 1, column 8: unexpected end of template in expression"},
		{"unclosed formal", "${a.b", "line 1, column 6: expected '}' to close ${a"},
		{"unclosed comment", "x\n#* never closed", "line 2, column 1: unterminated #* comment"},
		{"unclosed string", "#set($a = 'x)", "line 1, column 11: unterminated string literal"},
		{"include", "#include('/etc/passwd')", "line 1, column 1: #include is not supported"},
		{"parse", "#parse('x.vm')", "#parse is not supported"},
		{"evaluate", "#evaluate('#set($a=1)')", "#evaluate is not supported"},
		{"bad operator", "#if($a === 1)#end", "line 1, column 10: unexpected '=' in expression"},
		{"if without paren", "#if $a #end", "line 1, column 1: #if requires '('"},
		{"bad index", "$a[1", "line 1, column 5: expected ']' in index of $a"},
		{"unicode column", "é€\n  ü$a.b(", "line 2, column 9: unexpected end of template"},
		{"macro name", "#macro()#end", "#macro needs a name"},
		{"unclosed macro", "#macro(m)body", "missing #end for #macro"},
		{"unclosed define", "#define($d)body", "missing #end for #define"},
		{"bad word", "#if(foo)#end", "unexpected word \"foo\" in expression"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.src)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want error %q", tt.src, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Line < 1 || e.Column < 1 {
				t.Fatalf("error %v is not a positioned *Error", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse(%q) error = %q, want it to contain %q", tt.src, err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "vtl: line ") {
				t.Fatalf("error %q lacks the vtl: line prefix", err)
			}
		})
	}
}

func TestTemplateSizeLimit(t *testing.T) {
	if _, err := Parse(strings.Repeat("x", MaxTemplateSize)); err != nil {
		t.Fatalf("template of exactly %d bytes: %v", MaxTemplateSize, err)
	}
	_, err := Parse(strings.Repeat("x", MaxTemplateSize+1))
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("oversized template: err = %v, want ErrLimit", err)
	}
}

func TestRenderLimits(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		vars   map[string]any
		limits Limits
		want   string // error substring; "" means success
	}{
		{"1000 iterations ok", "#foreach($i in [1..1000])#end", nil, Limits{}, ""},
		{"1001 iterations", "#foreach($i in [1..1001])#end", nil, Limits{}, "line 1, column 1: #foreach exceeded 1000 iterations"},
		{"big list", "\n  #foreach($i in $l)$i#end", map[string]any{"l": make([]any, 1001)}, Limits{}, "line 2, column 3: #foreach exceeded 1000 iterations"},
		{"custom loop limit", "#foreach($i in [1..3])#end", nil, Limits{MaxLoopIterations: 2}, "exceeded 2 iterations"},
		{"nested loops", "#foreach($i in [1..1000])#foreach($j in [1..1000])#set($x = $j)#end#end", nil, Limits{}, "evaluation exceeded 1000000 steps"},
		{"macro recursion", "#macro(r)#r()#end#r()", nil, Limits{}, "macro #r nested deeper than 64"},
		{"mutual recursion", "#macro(a)#b()#end#macro(b)#a()#end#a()", nil, Limits{MaxDepth: 10}, "nested deeper than 10"},
		{"define recursion", "#define($d)$d#end$d", nil, Limits{}, "#define blocks nested deeper than 64"},
		{"output cap", "#foreach($i in [1..1000])#foreach($j in [1..1000])0123456789#end#end", nil, Limits{MaxOutput: 100_000}, "output exceeded 100000 bytes"},
		{"string doubling", "#set($s = 'xx')#foreach($i in [1..64])#set($s = \"$s$s\")#end", nil, Limits{MaxOutput: 1 << 20}, "exceeded 1048576 bytes"},
		{"concat doubling", "#set($s = 'xx')#foreach($i in [1..64])#set($s = $s + $s)#end", nil, Limits{MaxOutput: 1 << 20}, "exceeded 1048576 bytes"},
		{"replace growth", "#set($s = 'xxxxxxxx')#foreach($i in [1..40])#set($s = $s.replace('x', 'xx'))#end", nil, Limits{MaxOutput: 1 << 20}, "exceeded 1048576 bytes"},
		{"list growth", "#set($l = [])#foreach($i in [1..1000])#foreach($j in [1..1000])#set($o = $l.add($j))#end#end", nil, Limits{MaxSteps: 50_000}, "exceeded 50000 steps"},
		{"stop is not an error", "a#stop b", nil, Limits{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := Parse(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			tmpl.Limits = tt.limits
			_, err = tmpl.Render(tt.vars)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Render: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Render error = %v, want %q", err, tt.want)
			}
			if !errors.Is(err, ErrLimit) {
				t.Fatalf("error %v does not wrap ErrLimit", err)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"index out of range", "#set($l = [1])\n$l.get(5)", "line 2, column 3: List.get: index 5 out of bounds for length 1"},
		{"substring range", "#set($s = 'abc')$s.substring(2, 9)", "String.substring: begin 2, end 9, length 3"},
		{"bad regex", "#set($s = 'abc')$s.replaceAll('(', 'x')", "bad regular expression"},
		{"bad group", "#set($s = 'abc')$s.replaceAll('b', '$2')", "no group 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := Parse(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			_, err = tmpl.Render(nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Render error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestInvalidBody(t *testing.T) {
	for _, src := range []string{"$input.json('$')", "$input.path('$.a')", "#set($x = $input.json('$'))"} {
		tmpl, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tmpl.RenderAPIGateway(&Request{Body: []byte(`{"a":`)})
		if !errors.Is(err, ErrInvalidJSON) {
			t.Errorf("%s with a broken body: err = %v, want ErrInvalidJSON", src, err)
		}
	}
}

// TestInvalidBodyJSONBelowRoot: $input.json below the root of a body that
// is not JSON renders "" (see jsonOfUnparsedBody).
func TestInvalidBodyJSONBelowRoot(t *testing.T) {
	tmpl, err := Parse(`[$input.json('$.a')]#set($x = $input.json('$.b'))[$x]`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := tmpl.RenderAPIGateway(&Request{Body: []byte(`a=1&b=2`)})
	if err != nil || out != "[][]" {
		t.Fatalf("got %q, %v; want [][]", out, err)
	}
}

func TestCyclesAndNesting(t *testing.T) {
	tmpl, err := Parse(`#set($m = {})#set($x = $m.put("self", $m))#set($l = [])#set($x = $l.add($l))$m.size() $l.size() #if($l == $l)eq#end`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := tmpl.Render(nil)
	if err != nil || out != "1 1 eq" {
		t.Fatalf("cyclic values: %q, %v", out, err)
	}
	tmpl, err = Parse(`#set($m = {})#set($x = $m.put("self", $m))$m`)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := tmpl.Render(nil); err != nil || !strings.Contains(out, "{...}") {
		t.Fatalf("printing a cyclic map: %q, %v", out, err)
	}
	deep := strings.Repeat("#if(true)", 300) + strings.Repeat("#end", 300)
	if _, err := Parse(deep); err == nil || !strings.Contains(err.Error(), "nested deeper than 200") {
		t.Fatalf("deep nesting: %v", err)
	}
	if _, err := Parse("#set($a = " + strings.Repeat("[", 5000)); err == nil || !strings.Contains(err.Error(), "unexpected") && !strings.Contains(err.Error(), "too deeply") {
		t.Fatalf("deep list: %v", err)
	}
}

func TestParseJSONErrorIsTemplateError(t *testing.T) {
	tmpl, err := Parse(`$util.parseJson('{"a":')`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tmpl.RenderAPIGateway(&Request{})
	if err == nil || errors.Is(err, ErrInvalidJSON) || !strings.Contains(err.Error(), "parseJson") {
		t.Fatalf("err = %v, want a template error that is not ErrInvalidJSON", err)
	}
}

func TestHugeRanges(t *testing.T) {
	for _, src := range []string{
		"#set($r = [1..2000000000])#set($x = $r.add(1))",
		"#set($r = [-2000000000..2000000000])$r.contains(5)",
		"#foreach($i in [1..1000])#set($r = [1..999999])#set($x = $r.contains(-1))#end",
	} {
		tmpl, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tmpl.Render(nil); !errors.Is(err, ErrLimit) {
			t.Errorf("%s: err = %v, want ErrLimit", src, err)
		}
	}
}

func TestBigStringWorkIsBounded(t *testing.T) {
	body := `{"s": "` + strings.Repeat("x", 256<<10) + `"}`
	for _, src := range []string{
		"#foreach($i in [1..1000])#set($x = $util.base64Encode($input.body))#end",
		"#foreach($i in [1..1000])#set($x = $input.body.replace('x', 'y'))#end",
		"#foreach($i in [1..1000])#set($x = $input.json('$'))#end",
	} {
		tmpl, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.Limits = Limits{MaxSteps: 50_000}
		if _, err := tmpl.RenderAPIGateway(&Request{Body: []byte(body)}); !errors.Is(err, ErrLimit) {
			t.Errorf("%s: err = %v, want ErrLimit", src, err)
		}
	}
}
