// Package vtl is a Velocity Template Language engine, compatible with the
// Velocity 1.7 dialect that Amazon API Gateway uses for mapping templates,
// plus API Gateway's $input, $util, $context and $stageVariables.
//
// Templates are parsed once into an immutable tree and may be rendered from
// many goroutines at once. Rendering is bounded (loop iterations, output
// size, nesting depth, evaluation steps) and never touches the host.
package vtl

import (
	"errors"
	"fmt"
	"sort"
)

// MaxTemplateSize is the largest template Parse accepts (API Gateway's limit).
const MaxTemplateSize = 300 * 1024

// ErrLimit is wrapped by render errors caused by a resource limit.
var ErrLimit = errors.New("limit exceeded")

// ErrInvalidJSON is wrapped by render errors caused by a request body that is
// not valid JSON when the template reads it with $input.json or $input.path
// (API Gateway answers 400). A bad $util.parseJson argument is a template error.
var ErrInvalidJSON = errors.New("invalid JSON")

// Error is a parse or render error with its position in the template.
type Error struct {
	Line, Column int
	Msg          string
	Err          error
}

// Error formats the error as "vtl: line L, column C: msg".
func (e *Error) Error() string {
	return fmt.Sprintf("vtl: line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Unwrap returns the underlying cause (ErrLimit, ErrInvalidJSON or nil).
func (e *Error) Unwrap() error { return e.Err }

// Limits bounds one rendering. Zero fields take the defaults: 1,000 loop
// iterations, 10 MiB of output, depth 64 and 1,000,000 evaluation steps.
type Limits struct {
	MaxLoopIterations int // per #foreach execution; default 1,000
	MaxOutput         int // bytes of output; default 10 MiB
	MaxDepth          int // nesting of macros, #define blocks and string interpolation; default 64
	MaxSteps          int // evaluation steps per rendering; default 1,000,000
}

// defaultLimits fill the zero fields of a Template's Limits.
var defaultLimits = Limits{MaxLoopIterations: 1000, MaxOutput: 10 << 20, MaxDepth: 64, MaxSteps: 1_000_000}

func (l Limits) withDefaults() Limits {
	if l.MaxLoopIterations <= 0 {
		l.MaxLoopIterations = defaultLimits.MaxLoopIterations
	}
	if l.MaxOutput <= 0 {
		l.MaxOutput = defaultLimits.MaxOutput
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = defaultLimits.MaxDepth
	}
	if l.MaxSteps <= 0 {
		l.MaxSteps = defaultLimits.MaxSteps
	}
	return l
}

// Template is a parsed template. It is immutable and safe for concurrent use.
type Template struct {
	// Limits bound each rendering; set it before rendering concurrently.
	Limits Limits

	src    string
	root   []node
	names  []string // variable slots
	macros map[string]*macroDef
	// macroNames are the macros declared anywhere in the template (found
	// before parsing so that calls may precede the declaration or recurse).
	macroNames map[string]bool
	lines      []int // offsets of line starts
	slots      struct{ input, util, context, stageVariables, foreach, velocityCount, velocityHasNext int }
}

// pos converts a byte offset into a 1-based line and column (in runes).
func (t *Template) pos(off int) (line, col int) {
	i := sort.SearchInts(t.lines, off+1) - 1
	if i < 0 {
		i = 0
	}
	col = 1
	for _, r := range t.src[t.lines[i]:min(off, len(t.src))] {
		_ = r
		col++
	}
	return i + 1, col
}

func (t *Template) errorAt(off int, cause error, format string, args ...any) *Error {
	l, c := t.pos(off)
	return &Error{Line: l, Column: c, Msg: fmt.Sprintf(format, args...), Err: cause}
}

// ---- template nodes ----

type node any

type textNode struct{ s string }

type refNode struct {
	ref     *refExpr
	quiet   bool
	escapes int    // number of backslashes before the '$'
	raw     string // source text of the reference, printed when it is null
}

type ifNode struct {
	pos    int
	conds  []expr
	blocks [][]node
	els    []node
}

type foreachNode struct {
	pos  int
	slot int // loop variable
	iter expr
	body []node
}

type setNode struct {
	pos    int
	target *refExpr
	val    expr
}

type breakNode struct{}

type stopNode struct{}

type defineNode struct {
	slot int
	body []node
}

type macroCallNode struct {
	pos  int
	name string
	args []expr
	raw  string
}

type macroDef struct {
	params []int // slots
	body   []node
}

// ---- expressions ----

type expr any

type litExpr struct{ v value }

type interpExpr struct{ parts []node } // double-quoted string with references

type listExpr struct{ items []expr }

type mapExpr struct{ keys, vals []expr }

type rangeExpr struct {
	pos      int
	from, to expr
}

type binExpr struct {
	pos  int
	op   string
	l, r expr
}

type notExpr struct{ x expr }

type negExpr struct {
	pos int
	x   expr
}

type segKind uint8

const (
	segProp segKind = iota
	segCall
	segIndex
)

type seg struct {
	kind segKind
	pos  int
	name string
	args []expr // call arguments, or the index expression
}

type refExpr struct {
	pos  int
	slot int
	name string
	segs []seg
}
