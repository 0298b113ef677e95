package config

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/CONFIG.md from the schema types")

// referencePath is the configuration reference, generated from this package.
var referencePath = filepath.Join("..", "..", "docs", "CONFIG.md")

// TestConfigReference keeps docs/CONFIG.md equal to what the schema types
// and their doc comments say. After changing the schema, run
//
//	go test ./internal/config -run TestConfigReference -update
func TestConfigReference(t *testing.T) {
	want, err := reference()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(referencePath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatalf("%v (generate it: go test ./internal/config -run TestConfigReference -update)", err)
	}
	if string(got) != want {
		t.Fatalf("docs/CONFIG.md is out of date with the schema types in internal/config: run\n  go test ./internal/config -run TestConfigReference -update")
	}
}

// TestEveryFieldDocumented: a field without a doc comment would leave a
// blank row in the reference.
func TestEveryFieldDocumented(t *testing.T) {
	docs, err := fieldDocs()
	if err != nil {
		t.Fatal(err)
	}
	for _, sec := range sections() {
		for i := range sec.t.NumField() {
			f := sec.t.Field(i)
			if yamlKey(f) != "" && docs[sec.t.Name()+"."+f.Name] == "" {
				t.Errorf("%s.%s has no doc comment", sec.t.Name(), f.Name)
			}
		}
	}
}

// fieldDocs reads "Type.Field" → doc comment from the package's source files.
func fieldDocs() (map[string]string, error) {
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		addFieldDocs(file, out)
	}
	return out, nil
}

func addFieldDocs(file *ast.File, out map[string]string) {
	for _, decl := range file.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, spec := range gd.Specs {
			ts, ok := spec.(*ast.TypeSpec)
			if !ok {
				continue
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			for _, f := range st.Fields.List {
				doc := f.Doc.Text()
				if doc == "" {
					doc = f.Comment.Text()
				}
				for _, n := range f.Names {
					out[ts.Name.Name+"."+n.Name] = strings.Join(strings.Fields(doc), " ")
				}
			}
		}
	}
}

type section struct {
	path string // "pools[].clients[]"
	t    reflect.Type
}

// sections lists the schema's mappings, depth first from the top level.
func sections() []section {
	var out []section
	var walk func(path string, t reflect.Type)
	walk = func(path string, t reflect.Type) {
		out = append(out, section{path, t})
		for i := range t.NumField() {
			f := t.Field(i)
			key := yamlKey(f)
			ft := f.Type
			suffix := ""
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Slice {
				ft, suffix = ft.Elem(), "[]"
			}
			if key == "" || ft.Kind() != reflect.Struct || ft == reflect.TypeFor[Document]() {
				continue
			}
			p := key + suffix
			if path != "" {
				p = path + "." + p
			}
			walk(p, ft)
		}
	}
	walk("", reflect.TypeFor[File]())
	return out
}

func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[Document]():
		return "OpenAPI document"
	case t.Kind() == reflect.Interface:
		return "JSON string or mapping"
	case t.Kind() == reflect.String:
		return "string"
	case t.Kind() == reflect.Bool:
		return "boolean"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Float64:
		return "number"
	case t.Kind() == reflect.Map:
		return "map of " + typeName(t.Elem()) + "s"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		return "list of mappings"
	case t.Kind() == reflect.Slice:
		return "list of " + typeName(t.Elem()) + "s"
	case t.Kind() == reflect.Struct:
		return "mapping"
	}
	return t.String()
}

func reference() (string, error) {
	docs, err := fieldDocs()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(`# Configuration reference

<!-- Generated from the schema types in internal/config by
     go test ./internal/config -run TestConfigReference -update
     (the test fails when this file and the types disagree). Do not edit by hand. -->

` + "`cognate up --config FILE`" + ` reads one YAML file. Decoding is strict: an unknown key is an error
that names the field by its path and suggests the nearest valid key. Relative paths are taken from the
file's directory. Values may use ` + "`${NAME}`" + ` or ` + "`${NAME:-default}`" + ` (environment variables, expanded
when the file is read) and, where ids are generated, ` + "`${pool:NAME}`" + `, ` + "`${client:POOL/CLIENT}`" + `,
` + "`${issuer:POOL}`" + `, ` + "`${aws:region}`" + ` and ` + "`${aws:account}`" + ` (resolved when the file is applied).
SIGHUP or ` + "`cognate apply`" + ` applies the file again; see README.md.

`)
	for _, sec := range sections() {
		title := sec.path
		if title == "" {
			title = "Top level"
		}
		fmt.Fprintf(&b, "## %s\n\n| key | type | meaning |\n| --- | --- | --- |\n", title)
		for i := range sec.t.NumField() {
			f := sec.t.Field(i)
			key := yamlKey(f)
			if key == "" {
				continue
			}
			doc := docs[sec.t.Name()+"."+f.Name]
			for _, verb := range []string{" is ", " are "} {
				if rest, ok := strings.CutPrefix(doc, f.Name+verb); ok && rest != "" {
					doc = strings.ToUpper(rest[:1]) + rest[1:]
				}
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", key, typeName(f.Type), strings.ReplaceAll(doc, "|", `\|`))
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n") + "\n", nil
}
